/**
 * The PromQL editor: CodeMirror 6 with Prometheus' own PromQL language support (highlighting, linting, and
 * completion of metric names, labels, values and functions fetched from the same-origin API).
 * Loaded lazily so the rest of the UI paints before the editor's code arrives.
 */
import { forwardRef } from 'react';
import { EditorView } from '@codemirror/view';
import { autocompletion, completionKeymap } from '@codemirror/autocomplete';
import { indentOnInput } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import { QueryEditor, queryHighlight, type QueryEditorConfig, type QueryEditorHandle, type QueryEditorProps } from './QueryEditor.js';

export type PromQLEditorHandle = QueryEditorHandle;
export type PromQLEditorProps = QueryEditorProps;

const highlight = queryHighlight([
  { tag: tags.name, color: 'var(--syntax-name)' },
  { tag: tags.modifier, color: 'var(--syntax-keyword)' },
  { tag: tags.invalid, color: 'var(--danger)' },
]);

// The completion and lint popups only PromQL has; the base look comes from QueryEditor.
const popupTheme = EditorView.theme({
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

const config: QueryEditorConfig = {
  className: 'promql-editor',
  ariaLabel: 'PromQL expression',
  testId: 'promql-input',
  placeholder: 'Enter a PromQL expression, e.g. rate(http_requests_total[5m])  —  Ctrl+Enter to run',
  highlight,
  keymap: [...completionKeymap, ...lintKeymap],
  extensions: () => [
    indentOnInput(),
    autocompletion({ icons: false }),
    popupTheme,
    new PromQLExtension().setComplete({
      remote: { url: window.location.origin, cache: { maxAge: 5 * 60 * 1000 } },
    }).asExtension(),
  ],
};

export const PromQLEditor = forwardRef<PromQLEditorHandle, PromQLEditorProps>(function PromQLEditor(props, ref) {
  return <QueryEditor ref={ref} {...props} config={config} />;
});

export default PromQLEditor;
