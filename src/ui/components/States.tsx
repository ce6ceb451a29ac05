/** Shared loading, empty and error states, so every page tells the user what to do next the same way. */
import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon.js';

export function Spinner() {
  return <span className="spinner" role="status" aria-label="Loading" />;
}

export function EmptyState({ title, icon, children }: { title: string; icon?: IconName; children?: ReactNode }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      {icon && (
        <div className="empty-icon">
          <Icon name={icon} size={22} />
        </div>
      )}
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function ErrorState({ title, message, detail }: { title: string; message: string; detail?: string }) {
  return (
    <div className="error-state" role="alert" data-testid="error-state">
      <Icon name="warning" size={18} />
      <div>
        <div className="error-title">
          {title}
          {detail && <span className="error-type">{detail}</span>}
        </div>
        <pre className="error-message">{message}</pre>
      </div>
    </div>
  );
}

/** The card a list page shows while its data loads or after loading failed; nothing once it is loaded. */
export function LoadStatus({ value, loading, errorTitle }: { value: { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok' }; loading: string; errorTitle: string }) {
  if (value.state === 'loading') {
    return (
      <div className="card loading-state">
        <Spinner /> {loading}
      </div>
    );
  }
  if (value.state === 'error') {
    return (
      <div className="card">
        <ErrorState title={errorTitle} message={value.message} />
      </div>
    );
  }
  return null;
}

/** The line of facts above a result (count, time taken, limits) and any warnings the server sent with it. */
export function ResultStats({ items, warnings = [], testId }: { items: ReactNode[]; warnings?: readonly string[]; testId: string }) {
  return (
    <>
      <div className="stats" data-testid={testId}>
        {items.map((s, i) => (s === null || s === false ? null : <span key={i}>{s}</span>))}
      </div>
      {warnings.map((w) => (
        <div key={w} className="warning-banner">
          <Icon name="warning" /> {w}
        </div>
      ))}
    </>
  );
}

/**
 * Names the document under docs/ that explains more. Plain text, not a link: the server does not serve the
 * docs and the project has no public docs address yet; with one, this is the one place to make it a link.
 */
export function DocsHint({ doc, what }: { doc: string; what: string }) {
  return (
    <p className="docs-hint">
      {what[0]!.toUpperCase() + what.slice(1)}: <code>docs/{doc}</code> in the Sextant repository.
    </p>
  );
}

/** Example queries under an empty state; picking one runs it. */
export function Examples({ queries, onPick }: { queries: readonly string[]; onPick(query: string): void }) {
  return (
    <div className="examples">
      {queries.map((q) => (
        <button key={q} type="button" className="chip chip-button mono" onClick={() => onPick(q)}>
          {q}
        </button>
      ))}
    </div>
  );
}
