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
