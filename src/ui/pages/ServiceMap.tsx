/**
 * Service map: the service graph metrics (traces_service_graph_request_total and _failed_total, written by the
 * span-metrics generator) as a layered SVG diagram. Nodes are services, laid out left to right by call depth;
 * edges carry the request rate and error rate over the chosen window; a selected service lists its slowest recent
 * requests from the latency exemplars, each linking to its trace. No graph library: the graphs are small.
 */
import { useEffect, useMemo, useState } from 'react';
import { apiPost, type VectorSample } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { useEscape } from '../lib/use-escape.js';
import { parseDuration } from '../lib/format.js';
import { EmptyState, ErrorState, Spinner } from '../components/States.js';
import { formatMicros, serviceColor } from '../components/traces/trace-model.js';
import { layout, type Edge } from '../components/traces/service-graph-layout.js';
import '../components/traces/traces.css';

const WINDOWS = ['5m', '15m', '1h', '6h'] as const;

function fmtRate(r: number): string {
  if (r === 0) return '0/s';
  if (r >= 100) return `${Math.round(r)}/s`;
  if (r >= 1) return `${r.toFixed(1)}/s`;
  return `${r.toFixed(3)}/s`;
}

type Loaded = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ok'; edges: Edge[] };

export function ServiceMapPage() {
  const [win, setWin] = useState<(typeof WINDOWS)[number]>('15m');
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [tick, setTick] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setLoaded({ kind: 'loading' });
    const q = (expr: string) => apiPost<{ resultType: string; result: VectorSample[] }>('query', { query: expr }, ctl.signal).then((r) => r.data.result);
    Promise.all([
      q('sum by (client, server) (traces_service_graph_request_total)'),
      q(`sum by (client, server) (rate(traces_service_graph_request_total[${win}]))`),
      q(`sum by (client, server) (rate(traces_service_graph_request_failed_total[${win}]))`),
    ])
      .then(([totals, rates, failed]) => {
        if (ctl.signal.aborted) return;
        const key = (m: Record<string, string>) => `${m.client}\u0000${m.server}`;
        const rateOf = new Map(rates.map((s) => [key(s.metric), Number(s.value[1])]));
        const failedOf = new Map(failed.map((s) => [key(s.metric), Number(s.value[1])]));
        const edges = totals
          .filter((s) => s.metric.client && s.metric.server)
          .map((s) => ({
            client: s.metric.client,
            server: s.metric.server,
            total: Number(s.value[1]),
            rate: rateOf.get(key(s.metric)) ?? 0,
            errorRate: failedOf.get(key(s.metric)) ?? 0,
          }));
        setLoaded({ kind: 'ok', edges });
      })
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setLoaded({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      });
    return () => ctl.abort();
  }, [win, tick]);

  return (
    <div className="page service-map">
      <header className="page-header">
        <div>
          <h1>Service map</h1>
          <p className="page-subtitle">Which services call which, with request and error rates, from the traces' service graph</p>
        </div>
        <div className="toolbar-controls">
          <div className="segmented" role="group" aria-label="Rate window">
            {WINDOWS.map((w) => (
              <button key={w} type="button" className={w === win ? 'active' : ''} aria-pressed={w === win} onClick={() => setWin(w)}>
                {w}
              </button>
            ))}
          </div>
          <button type="button" className="btn btn-small" onClick={() => setTick((t) => t + 1)}>
            Refresh
          </button>
        </div>
      </header>
      <section className="card">
        {loaded.kind === 'loading' && (
          <div className="loading-state">
            <Spinner /> Loading the service graph…
          </div>
        )}
        {loaded.kind === 'error' && <ErrorState title="Could not load the service graph" message={loaded.message} detail="PromQL" />}
        {loaded.kind === 'ok' &&
          (loaded.edges.length === 0 ? (
            <EmptyState title="No service graph yet" icon="traces">
              <p>
                Edges appear once a traced client span and the server span it calls reach Sextant — instrument at least two services that call each other and send their spans to{' '}
                <code>{window.location.origin}/v1/traces</code>.
              </p>
            </EmptyState>
          ) : (
            <ServiceGraph edges={loaded.edges} window={win} selected={selected} onSelect={setSelected} />
          ))}
      </section>
      {selected && <ServicePanel service={selected} window={win} onClose={() => setSelected(null)} />}
    </div>
  );
}

const NODE_W = 170;
const NODE_H = 44;
const COL_GAP = 140;
const ROW_GAP = 36;

export function ServiceGraph({ edges, window, selected, onSelect }: { edges: Edge[]; window: string; selected: string | null; onSelect(service: string): void }) {
  const { nodes, layers } = useMemo(() => layout(edges), [edges]);
  const [focus, setFocus] = useState<string | null>(null);
  const maxRows = Math.max(1, ...Array.from({ length: layers }, (_, l) => nodes.filter((n) => n.layer === l).length));
  const width = layers * NODE_W + (layers - 1) * COL_GAP + 40;
  const height = maxRows * NODE_H + (maxRows - 1) * ROW_GAP + 40;
  const pos = new Map(
    nodes.map((n) => {
      const inLayer = nodes.filter((m) => m.layer === n.layer).length;
      const offset = ((maxRows - inLayer) * (NODE_H + ROW_GAP)) / 2;
      return [n.name, { x: 20 + n.layer * (NODE_W + COL_GAP), y: 20 + offset + n.row * (NODE_H + ROW_GAP) }];
    }),
  );
  return (
    <div className="service-graph-wrap">
      <svg className="service-graph" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Service map" data-testid="service-graph">
        <defs>
          <marker id="sg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0 0L10 5L0 10z" fill="var(--text-faint)" />
          </marker>
        </defs>
        {edges.map((e) => {
          const a = pos.get(e.client)!;
          const b = pos.get(e.server)!;
          const x1 = a.x + NODE_W;
          const y1 = a.y + NODE_H / 2;
          const x2 = b.x;
          const y2 = b.y + NODE_H / 2;
          const self = e.client === e.server;
          const back = x2 <= x1;
          const d = self
            ? `M${a.x + NODE_W - 30} ${a.y} C${a.x + NODE_W} ${a.y - 40} ${a.x + NODE_W + 30} ${a.y} ${a.x + NODE_W} ${a.y + 12}`
            : back
              ? `M${a.x + NODE_W / 2} ${a.y + NODE_H} C${a.x + NODE_W / 2} ${a.y + NODE_H + 60} ${b.x + NODE_W / 2} ${b.y + NODE_H + 60} ${b.x + NODE_W / 2} ${b.y + NODE_H}`
              : `M${x1} ${y1} C${x1 + COL_GAP / 2} ${y1} ${x2 - COL_GAP / 2} ${y2} ${x2} ${y2}`;
          const errPct = e.rate > 0 ? (e.errorRate / e.rate) * 100 : 0;
          const dim = focus !== null && focus !== e.client && focus !== e.server;
          const mx = self ? a.x + NODE_W + 10 : back ? (a.x + b.x + NODE_W) / 2 : (x1 + x2) / 2;
          const my = self ? a.y - 24 : back ? Math.max(a.y, b.y) + NODE_H + 50 : (y1 + y2) / 2 - 8;
          return (
            <g key={`${e.client}>${e.server}`} className={`sg-edge${errPct > 0 ? ' has-errors' : ''}${dim ? ' dim' : ''}`} data-testid="service-edge" data-client={e.client} data-server={e.server}>
              <title>{`${e.client} → ${e.server}: ${fmtRate(e.rate)} over ${window}, ${errPct.toFixed(1)}% errors, ${e.total} requests counted`}</title>
              <path d={d} fill="none" markerEnd="url(#sg-arrow)" strokeWidth={1.5 + Math.min(4, Math.log10(1 + e.rate * 10))} />
              <text x={mx} y={my} textAnchor="middle" className="sg-edge-label">
                {fmtRate(e.rate)}
                {errPct > 0 ? ` · ${errPct.toFixed(1)}% err` : ''}
              </text>
            </g>
          );
        })}
        {nodes.map((n) => {
          const p = pos.get(n.name)!;
          const color = serviceColor(n.name);
          return (
            <g
              key={n.name}
              className={`sg-node${selected === n.name ? ' selected' : ''}`}
              transform={`translate(${p.x} ${p.y})`}
              tabIndex={0}
              role="button"
              aria-pressed={selected === n.name}
              aria-label={`${n.name}: show its slowest recent requests`}
              data-testid="service-node"
              data-service={n.name}
              onMouseEnter={() => setFocus(n.name)}
              onMouseLeave={() => setFocus(null)}
              onFocus={() => setFocus(n.name)}
              onBlur={() => setFocus(null)}
              onClick={() => onSelect(n.name)}
              onKeyDown={(ev) => {
                if (ev.key === 'Enter' || ev.key === ' ') {
                  ev.preventDefault();
                  onSelect(n.name);
                }
              }}
            >
              <rect width={NODE_W} height={NODE_H} rx={9} />
              <rect width={6} height={NODE_H} rx={3} fill={color} />
              <text x={16} y={NODE_H / 2 + 5} className="sg-node-label">
                {n.name.length > 20 ? `${n.name.slice(0, 19)}…` : n.name}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

type Exemplars = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ok'; list: { traceId: string; seconds: number; at: number; span: string }[] };

/** A service's slowest recent requests: the exemplars of its span-metrics latency histogram, each a trace. */
function ServicePanel({ service, window, onClose }: { service: string; window: string; onClose(): void }) {
  const [ex, setEx] = useState<Exemplars>({ kind: 'loading' });
  useEscape(onClose);
  useEffect(() => {
    const ctl = new AbortController();
    setEx({ kind: 'loading' });
    const end = Date.now() / 1000;
    const windowS = (parseDuration(window) ?? 900_000) / 1000;
    const sel = `traces_spanmetrics_latency_bucket{service=${JSON.stringify(service)}}`;
    apiPost<ExemplarSeries[]>('query_exemplars', { query: sel, start: String(end - windowS), end: String(end) }, ctl.signal)
      .then((r) => {
        if (ctl.signal.aborted) return;
        const seen = new Set<string>();
        const list = r.data
          .flatMap((s) => s.exemplars.map((e) => ({ traceId: e.labels.trace_id ?? '', seconds: Number(e.value), at: e.timestamp, span: s.seriesLabels.span_name ?? '' })))
          .filter((e) => e.traceId && !seen.has(e.traceId) && (seen.add(e.traceId), true))
          .sort((a, b) => b.seconds - a.seconds)
          .slice(0, 10);
        setEx({ kind: 'ok', list });
      })
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setEx({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      });
    return () => ctl.abort();
  }, [service, window]);

  return (
    <section className="card service-panel" data-testid="service-panel" aria-label={`Service ${service}`}>
      <header className="trace-logs-header">
        <h2 className="card-title">
          <span className="swatch" style={{ background: serviceColor(service) }} /> {service}
        </h2>
        <div className="toolbar-controls">
          <Link className="btn btn-small" href={`/traces?${new URLSearchParams({ service, range: '1h' })}`} data-testid="service-traces-link">
            Search its traces
          </Link>
          <button type="button" className="btn btn-small" onClick={onClose} title="Close (Esc)">
            Close
          </button>
        </div>
      </header>
      <p className="muted small">Slowest requests of the last {window}, from the exemplars of <code>traces_spanmetrics_latency_bucket</code>:</p>
      {ex.kind === 'loading' && <Spinner />}
      {ex.kind === 'error' && <ErrorState title="Could not load exemplars" message={ex.message} />}
      {ex.kind === 'ok' &&
        (ex.list.length === 0 ? (
          <p className="muted small">No exemplars in this window — they are kept for recent spans only; widen the window or send more traffic.</p>
        ) : (
          <table className="data-table">
            <thead>
              <tr>
                <th>Operation</th>
                <th className="num">Duration</th>
                <th>At</th>
                <th>Trace</th>
              </tr>
            </thead>
            <tbody>
              {ex.list.map((e) => (
                <tr key={e.traceId} data-testid="exemplar-row">
                  <td className="mono">{e.span}</td>
                  <td className="num mono">{formatMicros(e.seconds * 1e6)}</td>
                  <td className="mono nowrap">{new Date(e.at * 1000).toLocaleTimeString()}</td>
                  <td>
                    <Link className="mono" href={`/traces/${e.traceId}`} data-testid="exemplar-trace-link">
                      {e.traceId.slice(0, 16)}…
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
