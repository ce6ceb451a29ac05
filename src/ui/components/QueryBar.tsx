/**
 * The pieces every query page is built from, so Explore, Logs and Traces look and behave alike: the editor
 * row with its Run button, the keyboard hint under it, and the result card with its progress bar.
 */
import { Suspense, type ReactNode } from 'react';
import { Icon } from './Icon.js';
import { Spinner } from './States.js';

/** The query editor (lazily loaded: `text` shows until it arrives) and the Run button. */
export function QueryBar({ text, onRun, children }: { text: string; onRun(): void; children: ReactNode }) {
  return (
    <div className="query-row">
      <div className="editor-frame">
        <Suspense fallback={<div className="promql-editor promql-editor-loading">{text || '\u00a0'}</div>}>{children}</Suspense>
      </div>
      <button type="button" className="btn btn-primary run-btn" onClick={onRun} title="Run query (Ctrl/⌘+Enter)" data-testid="run-query">
        <Icon name="play" />
        Run
      </button>
    </div>
  );
}

/** How to run from the keyboard, then what else the page wants to say. */
export function RunHint({ children }: { children?: ReactNode }) {
  return (
    <div className="query-hint">
      <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd> runs from anywhere on the page{children && <> · {children}</>}
    </div>
  );
}

/**
 * The result panel. While a query runs a bar moves along its top; the previous result stays (dimmed) unless
 * there is none worth keeping (`blank`), when a spinner says what is happening.
 */
export function ResultCard({ loading, blank, busy = 'Running query…', children }: { loading: boolean; blank: boolean; busy?: string; children: ReactNode }) {
  return (
    <section className={`card result-card${loading ? ' is-loading' : ''}`} aria-live="polite" aria-busy={loading}>
      {loading && <div className="progress-bar" />}
      {loading && blank ? (
        <div className="loading-state">
          <Spinner /> {busy}
        </div>
      ) : (
        children
      )}
    </section>
  );
}

/** How many lines or traces to fetch at most. */
export function LimitSelect({ label, value, options, onChange }: { label: string; value: number; options: readonly number[]; onChange(limit: number): void }) {
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {options.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}
