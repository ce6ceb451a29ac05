/** Status: build information, TSDB head statistics and cardinality, loaded configuration, and flags. */
import { useMemo, useState, type ReactNode } from 'react';
import type { BuildInfo, Flags, TsdbStat, TsdbStatus } from '../lib/api.js';
import { formatCount } from '../lib/format.js';
import { useApi, type Loadable } from '../lib/use-api.js';
import { Icon } from '../components/Icon.js';
import { ErrorState, Spinner } from '../components/States.js';

const BUILD_LABELS: Record<string, string> = {
  version: 'Version',
  revision: 'Revision',
  branch: 'Branch',
  buildUser: 'Build user',
  buildDate: 'Build date',
  goVersion: 'Go version',
};

export function StatusPage() {
  const [build] = useApi<BuildInfo>('status/buildinfo');
  const [tsdb] = useApi<TsdbStatus>('status/tsdb');
  const [config] = useApi<{ yaml: string }>('status/config');
  const [flags] = useApi<Flags>('status/flags');

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Status</h1>
          <p className="page-subtitle">Build, storage, configuration and runtime flags of this server</p>
        </div>
        <nav className="section-nav" aria-label="Status sections">
          <a href="#build">Build</a>
          <a href="#tsdb">TSDB</a>
          <a href="#config">Configuration</a>
          <a href="#flags">Flags</a>
        </nav>
      </header>

      <Section id="build" title="Build information" value={build}>
        {(b) => (
          <dl className="kv-grid" data-testid="build-info">
            {Object.entries(b).map(([k, v]) => (
              <div key={k} className="kv">
                {/* Sextant reports its Node.js runtime in Prometheus' goVersion field. */}
                <dt>{k === 'goVersion' && !v.startsWith('go') ? 'Runtime' : (BUILD_LABELS[k] ?? k)}</dt>
                <dd className="mono">{v || '—'}</dd>
              </div>
            ))}
          </dl>
        )}
      </Section>

      <Section id="tsdb" title="TSDB status" value={tsdb}>
        {(t) => <TsdbView status={t} />}
      </Section>

      <Section id="config" title="Configuration" value={config}>
        {(c) => <ConfigView yaml={c.yaml} />}
      </Section>

      <Section id="flags" title="Command-line flags" value={flags}>
        {(f) => <FlagsView flags={f} />}
      </Section>
    </div>
  );
}

function Section<T>({ id, title, value, children }: { id: string; title: string; value: Loadable<T>; children(data: T): ReactNode }) {
  return (
    <section className="card status-section" id={id} aria-labelledby={`${id}-title`}>
      <h2 className="card-title" id={`${id}-title`}>
        {title}
      </h2>
      {value.state === 'loading' && (
        <div className="loading-state">
          <Spinner /> Loading…
        </div>
      )}
      {value.state === 'error' && <ErrorState title="Not available" message={value.message} />}
      {value.state === 'ok' && children(value.data)}
    </section>
  );
}

function TsdbView({ status }: { status: TsdbStatus }) {
  const h = status.headStats;
  const fmtTime = (ms: number) => (Number.isFinite(ms) && ms > 0 && ms < 8.64e15 ? new Date(ms).toLocaleString() : '—');
  return (
    <>
      {h && (
        <div className="stat-tiles">
          <Tile label="Head series" value={formatCount(h.numSeries)} />
          <Tile label="Head chunks" value={formatCount(h.chunkCount)} />
          {h.numLabelPairs !== undefined && <Tile label="Label pairs" value={formatCount(h.numLabelPairs)} />}
          <Tile label="Oldest sample" value={fmtTime(h.minTime)} small />
          <Tile label="Newest sample" value={fmtTime(h.maxTime)} small />
        </div>
      )}
      <div className="top-tables">
        <TopTable title="Top series count by metric name" stats={status.seriesCountByMetricName} valueLabel="Series" />
        <TopTable title="Top label value count by label name" stats={status.labelValueCountByLabelName} valueLabel="Values" />
        <TopTable title="Top memory use by label name" stats={status.memoryInBytesByLabelName} valueLabel="Bytes" />
        <TopTable title="Top series count by label pair" stats={status.seriesCountByLabelValuePair} valueLabel="Series" />
      </div>
    </>
  );
}

function Tile({ label, value, small }: { label: string; value: string; small?: boolean }) {
  return (
    <div className="tile">
      <div className="tile-label">{label}</div>
      <div className={`tile-value${small ? ' small' : ''}`}>{value}</div>
    </div>
  );
}

function TopTable({ title, stats, valueLabel }: { title: string; stats: TsdbStat[] | undefined; valueLabel: string }) {
  if (!stats) return null;
  const rows = stats.slice(0, 10);
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <div className="top-table">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted small">No data yet.</p>
      ) : (
        <table className="data-table compact">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">{valueLabel}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <td className="mono bar-cell">
                  <span className="bar" style={{ width: `${(r.value / max) * 100}%` }} />
                  <span className="bar-text">{r.name}</span>
                </td>
                <td className="num mono">{formatCount(r.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ConfigView({ yaml }: { yaml: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="code-block-wrap">
      <button
        type="button"
        className="btn btn-small copy-btn"
        onClick={() => {
          void navigator.clipboard?.writeText(yaml).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        <Icon name="copy" size={14} />
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre className="code-block" data-testid="config-yaml">
        <code>{yaml.trim() === '' ? '# (empty configuration)' : yaml}</code>
      </pre>
    </div>
  );
}

function FlagsView({ flags }: { flags: Flags }) {
  const [filter, setFilter] = useState('');
  const entries = useMemo(() => {
    const f = filter.toLowerCase();
    return Object.entries(flags)
      .filter(([k, v]) => k.toLowerCase().includes(f) || v.toLowerCase().includes(f))
      .sort(([a], [b]) => a.localeCompare(b));
  }, [flags, filter]);
  return (
    <>
      <div className="search-box section-search">
        <Icon name="search" />
        <input type="search" placeholder="Filter flags…" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter flags" />
      </div>
      <table className="data-table compact">
        <thead>
          <tr>
            <th>Flag</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <td className="mono">--{k}</td>
              <td className="mono break">{v === '' ? <span className="muted">(empty)</span> : v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
