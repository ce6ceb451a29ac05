/**
 * The TraceQL editor: CodeMirror 6 over Grafana's TraceQL lezer grammar (the grammar the server parses with),
 * highlighted like the PromQL and LogQL editors. Enter runs (a TraceQL query is one line); Shift+Enter too.
 */
import { useEffect, useRef } from 'react';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, drawSelection, highlightSpecialChars, keymap, placeholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { bracketMatching, HighlightStyle, LanguageSupport, LRLanguage, syntaxHighlighting } from '@codemirror/language';
import { styleTags, tags } from '@lezer/highlight';
import { parser } from '@grafana/lezer-traceql';

export interface TraceQLEditorProps {
  value: string;
  onChange(value: string): void;
  onRun(): void;
}

const traceql = LRLanguage.define({
  name: 'traceql',
  parser: parser.configure({
    props: [
      styleTags({
        'String': tags.string,
        'Integer Float Duration': tags.number,
        'IntrinsicField': tags.keyword,
        'Resource Span Event Link Instrumentation Parent': tags.keyword,
        'Identifier': tags.labelName,
        'Static': tags.atom,
        'AggregateExpression Aggregate': tags.function(tags.variableName),
        'FieldOp ComparisonOp And Or Gt Lt Desc Anc Pipe': tags.operator,
        'LineComment BlockComment': tags.comment,
        '{ }': tags.brace,
        '( )': tags.paren,
      }),
    ],
  }),
  languageData: { closeBrackets: { brackets: ['(', '{', '"', '`'] } },
});

const highlight = HighlightStyle.define([
  { tag: tags.number, color: 'var(--syntax-number)' },
  { tag: tags.string, color: 'var(--syntax-string)' },
  { tag: tags.atom, color: 'var(--syntax-number)' },
  { tag: tags.keyword, color: 'var(--syntax-keyword)', fontWeight: '600' },
  { tag: tags.function(tags.variableName), color: 'var(--syntax-function)' },
  { tag: tags.labelName, color: 'var(--syntax-label)' },
  { tag: tags.operator, color: 'var(--syntax-operator)' },
  { tag: tags.brace, color: 'var(--text-muted)' },
  { tag: tags.paren, color: 'var(--text-muted)' },
  { tag: tags.comment, color: 'var(--text-faint)', fontStyle: 'italic' },
]);

const theme = EditorView.theme({
  '&': { fontSize: '14px', backgroundColor: 'transparent', color: 'var(--text)' },
  '&.cm-focused': { outline: 'none' },
  '.cm-content': { fontFamily: 'var(--font-mono)', padding: '9px 0', caretColor: 'var(--text)' },
  '.cm-line': { padding: '0 12px' },
  '.cm-scroller': { fontFamily: 'var(--font-mono)', lineHeight: '1.55' },
  '.cm-placeholder': { color: 'var(--text-faint)' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'var(--selection) !important' },
  '.cm-matchingBracket': { backgroundColor: 'var(--accent-soft)', outline: 'none' },
});

export function TraceQLEditor(props: TraceQLEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    if (!host.current) return;
    const run = () => {
      latest.current.onRun();
      return true;
    };
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: latest.current.value,
        extensions: [
          highlightSpecialChars(),
          history(),
          drawSelection(),
          bracketMatching(),
          closeBrackets(),
          new LanguageSupport(traceql),
          syntaxHighlighting(highlight),
          theme,
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'TraceQL query', 'data-testid': 'traceql-input' }),
          placeholder('TraceQL, e.g. { resource.service.name = "api" && duration > 100ms }  —  Enter to run'),
          Prec.highest(keymap.of([
            { key: 'Enter', run },
            { key: 'Shift-Enter', run },
            { key: 'Mod-Enter', run },
          ])),
          keymap.of([...closeBracketsKeymap, ...historyKeymap, ...defaultKeymap]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
  }, [props.value]);

  return <div className="promql-editor traceql-editor" ref={host} />;
}

export default TraceQLEditor;
