/**
 * The LogQL editor: CodeMirror 6 over Grafana's LogQL lezer grammar (the same grammar the server parses
 * with), with highlighting. Shift+Enter or Ctrl/⌘+Enter runs. Loaded lazily like the PromQL editor.
 */
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, drawSelection, highlightSpecialChars, keymap, placeholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { bracketMatching, HighlightStyle, LanguageSupport, LRLanguage, syntaxHighlighting } from '@codemirror/language';
import { styleTags, tags } from '@lezer/highlight';
import { parser } from '@grafana/lezer-logql';

export interface LogQLEditorHandle {
  focus(): void;
}

export interface LogQLEditorProps {
  value: string;
  onChange(value: string): void;
  onRun(): void;
  autoFocus?: boolean;
}

const KEYWORDS =
  'Json Logfmt Unpack Pattern Regexp Unwrap LabelFormat LineFormat Decolorize Drop Keep By Without Bool On Ignoring GroupLeft GroupRight Offset And Or Unless ParserFlag';
const FUNCTIONS =
  'CountOverTime Rate RateCounter BytesOverTime BytesRate AvgOverTime SumOverTime MinOverTime MaxOverTime StddevOverTime StdvarOverTime QuantileOverTime FirstOverTime LastOverTime AbsentOverTime Sum Avg Count Max Min Stddev Stdvar Bottomk Topk Sort Sort_Desc LabelReplace Vector BytesConv DurationConv DurationSecondsConv';

const logql = LRLanguage.define({
  name: 'logql',
  parser: parser.configure({
    props: [
      styleTags({
        [KEYWORDS]: tags.keyword,
        [FUNCTIONS]: tags.function(tags.variableName),
        'String': tags.string,
        'Number Duration Bytes': tags.number,
        'Identifier LabelName': tags.labelName,
        'PipeExact PipeMatch PipePattern Npa Pipe Eq Neq Re Nre Gtr Gte Lss Lte Eql Add Sub Mul Div Mod Pow': tags.operator,
        'LineComment': tags.comment,
        '( )': tags.paren,
        '[ ]': tags.squareBracket,
        '{ }': tags.brace,
      }),
    ],
  }),
  languageData: { closeBrackets: { brackets: ['(', '[', '{', '"', '`'] }, commentTokens: { line: '#' } },
});

const highlight = HighlightStyle.define([
  { tag: tags.number, color: 'var(--syntax-number)' },
  { tag: tags.string, color: 'var(--syntax-string)' },
  { tag: tags.keyword, color: 'var(--syntax-keyword)', fontWeight: '600' },
  { tag: tags.function(tags.variableName), color: 'var(--syntax-function)' },
  { tag: tags.labelName, color: 'var(--syntax-label)' },
  { tag: tags.operator, color: 'var(--syntax-operator)' },
  { tag: tags.paren, color: 'var(--text-muted)' },
  { tag: tags.squareBracket, color: 'var(--text-muted)' },
  { tag: tags.brace, color: 'var(--text-muted)' },
  { tag: tags.comment, color: 'var(--text-faint)', fontStyle: 'italic' },
]);

// The same look as the PromQL editor: colours from CSS variables follow the theme.
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

export const LogQLEditor = forwardRef<LogQLEditorHandle, LogQLEditorProps>(function LogQLEditor(props, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useImperativeHandle(ref, () => ({ focus: () => view.current?.focus() }));

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
          new LanguageSupport(logql),
          syntaxHighlighting(highlight),
          theme,
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'LogQL query', 'data-testid': 'logql-input' }),
          placeholder('Enter a LogQL query, e.g. {job="api"} |= "error"  —  Shift+Enter to run'),
          Prec.highest(keymap.of([
            { key: 'Shift-Enter', run },
            { key: 'Mod-Enter', run },
          ])),
          keymap.of([...closeBracketsKeymap, ...historyKeymap, { key: 'Enter', run: insertNewlineAndIndent }, ...defaultKeymap]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    if (latest.current.autoFocus) {
      v.focus();
      v.dispatch({ selection: { anchor: v.state.doc.length } });
    }
    return () => {
      v.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
  }, [props.value]);

  return <div className="promql-editor logql-editor" ref={host} />;
});

export default LogQLEditor;
