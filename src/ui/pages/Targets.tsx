/**
 * Targets: every scrape target grouped by scrape pool, with health, endpoint, labels after relabeling
 * (and the discovered labels before it, on demand), last scrape, duration and last error.
 */
import { useMemo, useState } from 'react';
import type { ActiveTarget, TargetsData } from '../lib/api.js';
import { humanizeSeconds, relativeTime } from '../lib/format.js';
import { usePolledApi } from '../lib/use-api.js';
import { Icon } from '../components/Icon.js';
import { EmptyState, LoadStatus } from '../components/States.js';

export function TargetsPage() {
  // Keeps "last scrape" ages and health current without the user reloading.
  const [targets, , now] = usePolledApi<TargetsData>('targets', { state: 'active' });
  const [filter, setFilter] = useState('');
  const [unhealthyOnly, setUnhealthyOnly] = useState(false);

  const all = targets.state === 'ok' ? targets.data.activeTargets : [];
  const pools = useMemo(() => groupTargets(all, filter, unhealthyOnly), [all, filter, unhealthyOnly]);
  const down = all.filter((t) => t.health === 'down').length;
  const up = all.filter((t) => t.health === 'up').length;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Targets</h1>
          <p className="page-subtitle">
            {targets.state === 'ok' ? (
              <>
                {all.length} targets · <span className="text-ok">{up} up</span>
                {down > 0 && (
                  <>
                    {' '}· <span className="text-danger">{down} down</span>
                  </>
                )}
                {all.length - up - down > 0 && <> · {all.length - up - down} unknown</>}
              </>
            ) : (
              'What Sextant scrapes, and how it is going'
            )}
          </p>
        </div>
      </header>

      <div className="toolbar">
        <div className="search-box">
          <Icon name="search" />
          <input type="search" placeholder="Filter by endpoint or label…" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter targets" />
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={unhealthyOnly} onChange={(e) => setUnhealthyOnly(e.target.checked)} />
          Show only unhealthy
        </label>
      </div>

      <LoadStatus value={targets} loading="Loading targets…" errorTitle="Could not load targets" />
      {targets.state === 'ok' && all.length === 0 && (
        <div className="card">
          <EmptyState title="No targets configured" icon="targets">
            <p>
              Add <code>scrape_configs</code> to your <code>prometheus.yml</code>, or run without <code>--config</code> to monitor this host.
            </p>
          </EmptyState>
        </div>
      )}
      {targets.state === 'ok' && all.length > 0 && pools.length === 0 && (
        <div className="card">
          <EmptyState title={unhealthyOnly && filter === '' ? 'All targets are healthy' : 'No matching targets'} icon="search">
            <p>{unhealthyOnly && filter === '' ? 'Every target answered its last scrape.' : 'Nothing matches the filter — clear it to see all targets.'}</p>
          </EmptyState>
        </div>
      )}
      {pools.map((p) => (
        <PoolCard key={p.name} name={p.name} targets={p.targets} total={p.total} upCount={p.up} now={now} />
      ))}
    </div>
  );
}

interface Pool {
  name: string;
  targets: ActiveTarget[];
  total: number;
  up: number;
}

function groupTargets(all: readonly ActiveTarget[], filter: string, unhealthyOnly: boolean): Pool[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const byPool = new Map<string, Pool>();
  for (const t of all) {
    let p = byPool.get(t.scrapePool);
    if (!p) byPool.set(t.scrapePool, (p = { name: t.scrapePool, targets: [], total: 0, up: 0 }));
    p.total++;
    if (t.health === 'up') p.up++;
    if (unhealthyOnly && t.health === 'up') continue;
    if (words.length > 0) {
      const hay = [t.scrapeUrl, t.scrapePool, ...Object.entries(t.labels).map(([k, v]) => `${k}=${v}`)].join(' ').toLowerCase();
      if (!words.every((w) => hay.includes(w))) continue;
    }
    p.targets.push(t);
  }
  return [...byPool.values()].filter((p) => p.targets.length > 0).sort((a, b) => a.name.localeCompare(b.name));
}

function PoolCard({ name, targets, total, upCount, now }: { name: string; targets: ActiveTarget[]; total: number; upCount: number; now: number }) {
  const [open, setOpen] = useState(true);
  const healthy = upCount === total;
  return (
    <section className="card pool" data-testid="scrape-pool">
      <button type="button" className="pool-header" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className={`chevron${open ? ' open' : ''}`}>
          <Icon name="chevron" />
        </span>
        <h2>{name}</h2>
        <span className={`pill ${healthy ? 'pill-ok' : 'pill-danger'}`}>
          {upCount}/{total} up
        </span>
      </button>
      {open && (
        <div className="table-wrap">
          <table className="data-table targets-table">
            <thead>
              <tr>
                <th>Endpoint</th>
                <th>State</th>
                <th>Labels</th>
                <th>Last scrape</th>
                <th className="num">Duration</th>
              </tr>
            </thead>
            <tbody>
              {targets.map((t) => (
                <TargetRow key={t.scrapeUrl + JSON.stringify(t.labels)} t={t} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function TargetRow({ t, now }: { t: ActiveTarget; now: number }) {
  const [showDiscovered, setShowDiscovered] = useState(false);
  const labels = Object.entries(t.labels).sort(([a], [b]) => a.localeCompare(b));
  const discovered = Object.entries(t.discoveredLabels).sort(([a], [b]) => a.localeCompare(b));
  return (
    <>
      <tr className={`target-row health-${t.health}`} data-testid="target-row">
        <td className="endpoint-cell">
          <a href={t.globalUrl || t.scrapeUrl} target="_blank" rel="noreferrer" className="endpoint-link mono">
            {t.scrapeUrl}
            <Icon name="external" size={12} />
          </a>
          {t.lastError && (
            <div className="target-error" data-testid="target-error">
              {t.lastError}
            </div>
          )}
        </td>
        <td>
          <span className={`badge badge-${t.health}`} data-testid="target-health">
            <span className="dot" />
            {t.health.toUpperCase()}
          </span>
        </td>
        <td className="labels-cell">
          <div className="label-chips">
            {labels.map(([k, v]) => (
              <span key={k} className="chip mono">
                <span className="chip-key">{k}</span>=<span className="chip-value">{v}</span>
              </span>
            ))}
          </div>
          {discovered.length > 0 && (
            <button type="button" className="link-button" aria-expanded={showDiscovered} onClick={() => setShowDiscovered(!showDiscovered)}>
              {showDiscovered ? 'Hide' : 'Show'} discovered labels ({discovered.length})
            </button>
          )}
        </td>
        <td className="nowrap" title={t.lastScrape}>
          {relativeTime(t.lastScrape, now)}
          {t.scrapeInterval && <div className="muted small">every {t.scrapeInterval}</div>}
        </td>
        <td className="num nowrap">{t.lastScrapeDuration > 0 ? humanizeSeconds(t.lastScrapeDuration) : '—'}</td>
      </tr>
      {showDiscovered && (
        <tr className="discovered-row">
          <td colSpan={5}>
            <div className="discovered-title">Discovered labels (before relabeling)</div>
            <div className="label-chips">
              {discovered.map(([k, v]) => (
                <span key={k} className="chip chip-muted mono">
                  <span className="chip-key">{k}</span>=<span className="chip-value">{v}</span>
                </span>
              ))}
            </div>
          </td>
        </tr>
      )}
    </>
  );
}
