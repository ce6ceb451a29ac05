/**
 * The CodeMirror 6 setup shared by the PromQL, LogQL and TraceQL editors: theme, history, brackets,
 * Shift/Ctrl/⌘+Enter to run, placeholder, change listener and focus handling. Each query language
 * supplies only its grammar, highlight style and any extra keys.
 */
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { EditorState, Prec, type Extension } from '@codemirror/state';
import { EditorView, drawSelection, highlightSpecialChars, keymap, placeholder, type KeyBinding } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, insertNewlineAndIndent } from '@codemirror/commands';
import { closeBrackets, closeBracketsKeymap, closeCompletion } from '@codemirror/autocomplete';
import { bracketMatching, HighlightStyle, syntaxHighlighting, type TagStyle } from '@codemirror/language';
import { tags } from '@lezer/highlight';

export interface QueryEditorHandle {
  focus(): void;
  /** Inserts text at the cursor (replacing any selection), e.g. a metric picked in the explorer. */
  insert(text: string): void;
}

export interface QueryEditorProps {
  value: string;
  onChange(value: string): void;
  onRun(): void;
  autoFocus?: boolean;
}

export interface QueryEditorConfig {
  /** CSS class(es) of the host element. */
  className: string;
  ariaLabel: string;
  testId: string;
  placeholder: string;
  highlight: HighlightStyle;
  /** Language support and other per-language extensions; called once when the editor is built. */
  extensions(): Extension[];
  /** Keys that run the query, ahead of everything else (default Shift+Enter and Mod+Enter). */
  runKeys?: readonly string[];
  /** Bindings placed after the bracket keys and before history, e.g. completion and lint keys. */
  keymap?: readonly KeyBinding[];
}

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
});

/** The colours the three query languages share (theme variables), plus any a language adds. */
export function queryHighlight(extra: readonly TagStyle[] = []): HighlightStyle {
  return HighlightStyle.define([
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
    ...extra,
  ]);
}

const DEFAULT_RUN_KEYS = ['Shift-Enter', 'Mod-Enter'] as const;

export const QueryEditor = forwardRef<QueryEditorHandle, QueryEditorProps & { config: QueryEditorConfig }>(function QueryEditor(props, ref) {
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
    const config = latest.current.config;
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
          bracketMatching(),
          closeBrackets(),
          syntaxHighlighting(config.highlight),
          theme,
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': config.ariaLabel, 'data-testid': config.testId }),
          placeholder(config.placeholder),
          // Running must win over completion's Enter and the default newline bindings.
          Prec.highest(keymap.of((config.runKeys ?? DEFAULT_RUN_KEYS).map((key) => ({ key, run })))),
          keymap.of([
            ...closeBracketsKeymap,
            ...(config.keymap ?? []),
            ...historyKeymap,
            { key: 'Enter', run: insertNewlineAndIndent },
            ...defaultKeymap,
          ]),
          ...config.extensions(),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    // The editor loads lazily; if the user has meanwhile focused something else (the metrics explorer's
    // filter, say), taking focus would send their typing into the query.
    const focusFree = document.activeElement === null || document.activeElement === document.body;
    if (latest.current.autoFocus && focusFree) {
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

  return <div className={props.config.className} ref={host} />;
});
