/**
 * The PromQL editor: CodeMirror 6 with Prometheus' own PromQL language support (highlighting, linting, and
 * completion of metric names, labels, values and functions fetched from the same-origin API).
 * Loaded lazily so the rest of the UI paints before the editor's code arrives.
 */
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, drawSelection, highlightSpecialChars, keymap, placeholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { autocompletion, closeBrackets, closeBracketsKeymap, closeCompletion, completionKeymap } from '@codemirror/autocomplete';
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';

export interface PromQLEditorHandle {
  focus(): void;
  /** Inserts text at the cursor (replacing any selection), e.g. a metric picked in the explorer. */
  insert(text: string): void;
}

export interface PromQLEditorProps {
  value: string;
  onChange(value: string): void;
  onRun(): void;
  autoFocus?: boolean;
}

const highlight = HighlightStyle.define([
  { tag: tags.name, color: 'var(--syntax-name)' },
  { tag: tags.number, color: 'var(--syntax-number)' },
  { tag: tags.string, color: 'var(--syntax-string)' },
  { tag: tags.keyword, color: 'var(--syntax-keyword)', fontWeight: '600' },
  { tag: tags.function(tags.variableName), color: 'var(--syntax-function)' },
  { tag: tags.labelName, color: 'var(--syntax-label)' },
  { tag: tags.operator, color: 'var(--syntax-operator)' },
  { tag: tags.modifier, color: 'var(--syntax-keyword)' },
  { tag: tags.paren, color: 'var(--text-muted)' },
  { tag: tags.squareBracket, color: 'var(--text-muted)' },
  { tag: tags.brace, color: 'var(--text-muted)' },
  { tag: tags.invalid, color: 'var(--danger)' },
  { tag: tags.comment, color: 'var(--text-faint)', fontStyle: 'italic' },
]);

// Colours come from CSS variables so the editor follows the light/dark theme without being rebuilt.
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
  '.cm-tooltip': {
    backgroundColor: 'var(--surface)',
    border: '1px solid var(--border)',
    borderRadius: '8px',
    boxShadow: 'var(--shadow-lg)',
    overflow: 'hidden',
  },
  '.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--font-mono)', fontSize: '13px', maxHeight: '18em' },
  '.cm-tooltip-autocomplete > ul > li': { padding: '3px 10px !important', color: 'var(--text)' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: 'var(--accent-soft)', color: 'var(--text)' },
  '.cm-completionDetail': { color: 'var(--text-faint)', fontStyle: 'normal', marginLeft: '1em' },
  '.cm-completionMatchedText': { textDecoration: 'none', fontWeight: '700', color: 'var(--accent)' },
  '.cm-completionInfo': { backgroundColor: 'var(--surface)', border: '1px solid var(--border)', padding: '6px 10px', maxWidth: '28em' },
  '.cm-diagnostic': { fontFamily: 'var(--font-sans)', fontSize: '13px' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--danger)' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--danger)', textUnderlineOffset: '3px' },
});

export const PromQLEditor = forwardRef<PromQLEditorHandle, PromQLEditorProps>(function PromQLEditor(props, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // Callbacks change every render; the editor is built once, so it reads them through a ref.
  const latest = useRef(props);
  latest.current = props;

  useImperativeHandle(ref, () => ({
    focus: () => view.current?.focus(),
    insert: (text: string) => {
      const v = view.current;
      if (!v) return;
      const sel = v.state.selection.main;
      v.dispatch({ changes: { from: sel.from, to: sel.to, insert: text }, selection: { anchor: sel.from + text.length } });
      v.focus();
    },
  }));

  useEffect(() => {
    if (!host.current) return;
    const promql = new PromQLExtension().setComplete({
      remote: { url: window.location.origin, cache: { maxAge: 5 * 60 * 1000 } },
    });
    const run = (v: EditorView) => {
      // A completion popup left open over the results after running looks broken.
      closeCompletion(v);
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
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          autocompletion({ icons: false }),
          syntaxHighlighting(highlight),
          theme,
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': 'PromQL expression', 'data-testid': 'promql-input' }),
          placeholder('Enter a PromQL expression, e.g. rate(http_requests_total[5m])  —  Shift+Enter to run'),
          // Running must win over completion's Enter and the default newline bindings.
          Prec.highest(keymap.of([
            { key: 'Shift-Enter', run },
            { key: 'Mod-Enter', run },
          ])),
          keymap.of([...closeBracketsKeymap, ...completionKeymap, ...lintKeymap, ...historyKeymap, { key: 'Enter', run: insertNewlineAndIndent }, ...defaultKeymap]),
          promql.asExtension(),
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

  // Outside changes (back button, metric explorer) replace the document; typing does not loop back here.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return <div className="promql-editor" ref={host} />;
});

export default PromQLEditor;
