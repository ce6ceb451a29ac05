/**
 * /traces/<id>: one trace as a waterfall (virtualised, collapsible, critical path outlined, service colours,
 * time ruler), the selected span's details, and the log lines written during the trace (LogQL on the trace_id
 * structured metadata; when opened from a log line, that line's own query is used).
 */
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Link, useLocation } from '../lib/router.js';
import { EmptyState, ErrorState, Spinner } from '../components/States.js';
import { Icon } from '../components/Icon.js';
import { fetchTrace, TraceApiError } from '../components/traces/trace-api.js';
import { buildTrace, formatMicros, serviceColor, traceLogQuery, type UiTrace } from '../components/traces/trace-model.js';
import { Waterfall } from '../components/traces/Waterfall.js';
import { SpanDetails } from '../components/traces/SpanDetails.js';
import { lokiQueryRange, type LokiStream } from '../components/logs/loki-api.js';
import type { LogRow } from '../components/logs/LogList.js';
import '../components/traces/traces.css';
import '../components/logs/logs.css';

const LogList = lazy(() => import('../components/logs/LogList.js'));

type Loaded = { kind: 'loading' } | { kind: 'error'; message: string; notFound: boolean } | { kind: 'ok'; trace: UiTrace; renderMs: number };

export function TracesDetailPage({ traceId }: { traceId: string }) {
  const { search } = useLocation();
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  const [selected, setSelected] = useState<string | undefined>();
  const id = traceId.toLowerCase();

  useEffect(() => {
    const ctl = new AbortController();
    setLoaded({ kind: 'loading' });
    setSelected(undefined);
    const t0 = performance.now();
    fetchTrace(id, ctl.signal)
      .then((batches) => {
        if (ctl.signal.aborted) return;
        const trace = buildTrace(id, batches);
        setLoaded({ kind: 'ok', trace, renderMs: performance.now() - t0 });
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        setLoaded({ kind: 'error', message: err instanceof Error ? err.message : String(err), notFound: err instanceof TraceApiError && err.status === 404 });
      });
    return () => ctl.abort();
  }, [id]);

  const fromLogs = new URLSearchParams(search).get('q');
  const trace = loaded.kind === 'ok' ? loaded.trace : undefined;
  const span = trace && selected ? trace.byId.get(selected) : undefined;

  return (
    <div className="page trace-view">
      <header className="page-header">
        <div>
          <h1>
            {trace?.roots[0] ? (
              <>
                <span className="swatch" style={{ background: serviceColor(trace.roots[0].service) }} /> {trace.roots[0].service}: {trace.roots[0].name}
              </>
            ) : (
              'Trace'
            )}
          </h1>
          <p className="page-subtitle mono" data-testid="trace-id">
            {id}
          </p>
        </div>
        <Link href="/traces" className="btn">
          <Icon name="search" /> Search traces
        </Link>
      </header>

      {loaded.kind === 'loading' && (
        <div className="card loading-state">
          <Spinner /> Loading trace…
        </div>
      )}
      {loaded.kind === 'error' &&
        (loaded.notFound ? (
          <section className="card">
            <EmptyState title="Trace not found" icon="traces">
              <p>
                No spans with trace id <code>{id}</code> are stored. It may be older than the trace retention, its spans may not have arrived yet, or the id may be mistyped.
              </p>
              <p>
                <Link className="btn" href={`/logs?${new URLSearchParams({ query: fromLogs ?? traceLogQuery(id, []) })}`} data-testid="trace-log-search">
                  Search logs for this trace id
                </Link>
              </p>
            </EmptyState>
          </section>
        ) : (
          <ErrorState title="Could not load the trace" message={loaded.message} />
        ))}
      {trace && (
        <>
          <div className="stats trace-stats" data-testid="trace-stats">
            <span>{formatMicros(trace.duration)}</span>
            <span data-testid="trace-span-count">{trace.spans.length} spans</span>
            <span>{trace.services.length} services</span>
            <span className={trace.errors ? 'text-danger' : undefined}>{trace.errors} errors</span>
            <span>started {new Date(Number(trace.startNs / 1_000_000n)).toLocaleString()}</span>
          </div>
          <div className={`trace-layout${span ? ' with-details' : ''}`}>
            <section className="card waterfall-card">
              <Waterfall trace={trace} selected={selected} onSelect={setSelected} />
            </section>
            {span && <SpanDetails span={span} traceId={id} onClose={() => setSelected(undefined)} />}
          </div>
          <TraceLogs trace={trace} query={fromLogs ?? traceLogQuery(id, trace.services)} />
        </>
      )}
    </div>
  );
}

type Logs = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ok'; rows: LogRow[] };

function TraceLogs({ trace, query }: { trace: UiTrace; query: string }) {
  const [logs, setLogs] = useState<Logs>({ kind: 'loading' });
  const range = useMemo(() => {
    // Lines are often written a little before or after the spans' own times (clock skew, buffered writers).
    const slack = 5n * 60n * 1_000_000_000n;
    const end = trace.startNs + BigInt(Math.ceil(trace.duration * 1000));
    return { start: String(trace.startNs - slack), end: String(end + slack) };
  }, [trace]);

  useEffect(() => {
    const ctl = new AbortController();
    setLogs({ kind: 'loading' });
    lokiQueryRange({ query, ...range, limit: '1000', direction: 'forward' }, ctl.signal)
      .then((data) => {
        if (ctl.signal.aborted) return;
        const rows: LogRow[] = [];
        if (data.resultType === 'streams') {
          data.result.forEach((s: LokiStream, si) =>
            s.values.forEach(([ts, line, extra], i) => rows.push({ id: `${si}-${i}-${ts}`, ts, line, stream: s.stream, metadata: extra?.structuredMetadata ?? {}, parsed: extra?.parsed ?? {} })),
          );
        }
        rows.sort((a, b) => (a.ts.length !== b.ts.length ? a.ts.length - b.ts.length : a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
        setLogs({ kind: 'ok', rows });
      })
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setLogs({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      });
    return () => ctl.abort();
  }, [query, range]);

  return (
    <section className="card trace-logs" data-testid="trace-logs">
      <header className="trace-logs-header">
        <h2 className="card-title">Logs of this trace</h2>
        <Link className="btn btn-small" href={`/logs?${new URLSearchParams({ query, range: '1h', end: String(Number(BigInt(range.end) / 1_000_000n)) })}`} data-testid="trace-logs-open">
          <Icon name="external" size={14} /> Open in Logs
        </Link>
      </header>
      <div className="muted small mono">{query}</div>
      {logs.kind === 'loading' && (
        <div className="loading-state">
          <Spinner /> Loading log lines…
        </div>
      )}
      {logs.kind === 'error' && <ErrorState title="Could not load the logs" message={logs.message} detail="LogQL" />}
      {logs.kind === 'ok' &&
        (logs.rows.length === 0 ? (
          <EmptyState title="No log lines for this trace" icon="logs">
            <p>No stored line carries this trace id. Send logs with the trace context (OTLP logs set trace_id automatically when written inside a span).</p>
          </EmptyState>
        ) : (
          <Suspense fallback={<Spinner />}>
            <LogList rows={logs.rows} height={Math.min(400, logs.rows.length * 30 + 20)} />
          </Suspense>
        ))}
    </section>
  );
}
