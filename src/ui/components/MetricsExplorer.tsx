/**
 * A dialog listing every metric name the server knows (with type and help text when metadata is
 * available); picking one inserts it into the query.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { apiGet } from '../lib/api.js';
import { Icon } from './Icon.js';
import { ErrorState, Spinner } from './States.js';

type Metadata = Record<string, { type: string; help: string; unit: string }[]>;

const MAX_SHOWN = 500;

export function MetricsExplorer({ onClose, onPick }: { onClose(): void; onPick(name: string): void }) {
  const [names, setNames] = useState<string[] | null>(null);
  const [meta, setMeta] = useState<Metadata>({});
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [active, setActive] = useState(0);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    const ctl = new AbortController();
    apiGet<string[]>('label/__name__/values', {}, ctl.signal)
      .then((r) => setNames(r.data))
      .catch((e: unknown) => !ctl.signal.aborted && setError(e instanceof Error ? e.message : String(e)));
    // Metadata is a nicety; the list works without it.
    apiGet<Metadata>('metadata', {}, ctl.signal)
      .then((r) => setMeta(r.data))
      .catch(() => undefined);
    return () => ctl.abort();
  }, []);

  const filtered = useMemo(() => {
    if (!names) return [];
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    return names.filter((n) => words.every((w) => n.toLowerCase().includes(w)));
  }, [names, filter]);

  useEffect(() => setActive(0), [filter]);
  useEffect(() => {
    list.current?.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onClose();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, Math.min(filtered.length, MAX_SHOWN) - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      const name = filtered[active];
      if (name) {
        e.preventDefault();
        onPick(name);
      }
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="metrics-explorer-title" onKeyDown={onKey}>
        <div className="modal-header">
          <h2 id="metrics-explorer-title">Metrics explorer</h2>
          <span className="muted">{names ? `${names.length} metrics` : ''}</span>
          <button type="button" className="btn btn-icon" onClick={onClose} aria-label="Close">
            <Icon name="close" />
          </button>
        </div>
        <div className="modal-search">
          <Icon name="search" />
          <input autoFocus type="search" placeholder="Filter metric names…" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter metric names" />
        </div>
        <div className="modal-body">
          {error && <ErrorState title="Could not load metric names" message={error} />}
          {!error && !names && (
            <div className="loading-state">
              <Spinner /> Loading metric names…
            </div>
          )}
          {names && filtered.length === 0 && <p className="muted modal-empty">{names.length === 0 ? 'No metrics have been collected yet — check the Targets page.' : 'No metric names match the filter.'}</p>}
          {filtered.length > 0 && (
            <ul className="metric-list" role="listbox" ref={list} aria-label="Metric names">
              {filtered.slice(0, MAX_SHOWN).map((n, i) => {
                const m = meta[n]?.[0];
                return (
                  <li key={n} role="option" aria-selected={i === active} className={i === active ? 'active' : ''} onMouseEnter={() => setActive(i)} onClick={() => onPick(n)}>
                    <div className="metric-list-name mono">
                      {n}
                      {m && <span className={`type-badge type-${m.type}`}>{m.type}</span>}
                    </div>
                    {m?.help && <div className="metric-list-help">{m.help}</div>}
                  </li>
                );
              })}
            </ul>
          )}
          {filtered.length > MAX_SHOWN && <p className="muted modal-empty">{filtered.length - MAX_SHOWN} more — type to narrow the list.</p>}
        </div>
        <div className="modal-footer muted">
          <kbd>↑</kbd>
          <kbd>↓</kbd> to move · <kbd>Enter</kbd> to insert · <kbd>Esc</kbd> to close
        </div>
      </div>
    </div>
  );
}
