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
