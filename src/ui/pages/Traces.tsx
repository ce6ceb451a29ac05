/**
 * Traces: find traces by service, operation, tags and duration over a time range, or with a TraceQL query;
 * results as a duration-over-time scatter (click a point to open the trace) and a table with root service and
 * operation, duration, span count and errors. The form lives in the URL, so a copied link reproduces the search.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { parseDuration } from '../lib/format.js';
import { RANGE_PRESETS } from '../lib/query-state.js';
import { Link, navigate, useLocation } from '../lib/router.js';
import { Icon } from '../components/Icon.js';
import { EmptyState, ErrorState, Spinner } from '../components/States.js';
import { fetchOperations, fetchServices, searchTraces, type SearchTrace } from '../components/traces/trace-api.js';
import { formatMicros } from '../components/traces/trace-model.js';
import type { ScatterPoint } from '../components/traces/DurationScatter.js';
import '../components/traces/traces.css';

const TraceQLEditor = lazy(() => import('../components/traces/TraceQLEditor.js'));
const DurationScatter = lazy(() => import('../components/traces/DurationScatter.js'));

export interface TraceSearchState {
  mode: 'form' | 'traceql';
  service: string;
  operation: string;
  tags: string;
  minDuration: string;
  maxDuration: string;
  q: string;
  range: string;
  limit: number;
}

const LIMITS = [20, 50, 100, 500] as const;

export function parseSearchState(search: string): TraceSearchState {
  const p = new URLSearchParams(search);
  const range = p.get('range') ?? '1h';
  const limit = Number(p.get('limit'));
  return {
    mode: p.get('mode') === 'traceql' ? 'traceql' : 'form',
    service: p.get('service') ?? '',
    operation: p.get('operation') ?? '',
    tags: p.get('tags') ?? '',
    minDuration: p.get('minDuration') ?? '',
    maxDuration: p.get('maxDuration') ?? '',
    q: p.get('q') ?? '',
    range: parseDuration(range) === null ? '1h' : range,
    limit: LIMITS.includes(limit as (typeof LIMITS)[number]) ? limit : 20,
  };
}

function serialize(s: TraceSearchState): string {
  const p = new URLSearchParams();
  if (s.mode === 'traceql') {
    p.set('mode', 'traceql');
    p.set('q', s.q);
  } else {
    for (const k of ['service', 'operation', 'tags', 'minDuration', 'maxDuration'] as const) if (s[k]) p.set(k, s[k]);
  }
  p.set('range', s.range);
  if (s.limit !== 20) p.set('limit', String(s.limit));
  return p.toString();
}

/** The form as TraceQL: one span must satisfy every field, as Jaeger's search means it. */
export function formToTraceQL(s: Pick<TraceSearchState, 'service' | 'operation' | 'tags' | 'minDuration' | 'maxDuration'>): string {
  const parts: string[] = [];
  if (s.service) parts.push(`resource.service.name = ${JSON.stringify(s.service)}`);
  if (s.operation) parts.push(`name = ${JSON.stringify(s.operation)}`);
  for (const m of s.tags.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const key = m[1];
    const raw = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    if (key === 'error' && raw === 'true') parts.push('status = error');
    else if (key === 'status' && /^(error|ok|unset)$/i.test(raw)) parts.push(`status = ${raw.toLowerCase()}`);
    else if (/^-?\d+(\.\d+)?$/.test(raw)) parts.push(`(.${key} = ${raw} || .${key} = ${JSON.stringify(raw)})`);
    else if (raw === 'true' || raw === 'false') parts.push(`(.${key} = ${raw} || .${key} = ${JSON.stringify(raw)})`);
    else parts.push(`.${key} = ${JSON.stringify(raw)}`);
  }
  if (s.minDuration) parts.push(`duration >= ${s.minDuration}`);
  if (s.maxDuration) parts.push(`duration <= ${s.maxDuration}`);
  return `{ ${parts.join(' && ')} }`;
}

type Result = { kind: 'idle' } | { kind: 'error'; message: string } | { kind: 'ok'; traces: SearchTrace[]; tookMs: number };

function stats(t: SearchTrace): { spans: number; errors: number } {
  let spans = 0;
  let errors = 0;
  for (const s of Object.values(t.serviceStats ?? {})) {
    spans += s.spanCount;
    errors += s.errorCount ?? 0;
  }
  return { spans, errors };
}

export function TracesPage() {
  const { search } = useLocation();
  const state = useMemo(() => parseSearchState(search), [search]);
  const [draft, setDraft] = useState(state);
  const [services, setServices] = useState<string[] | null>(null);
  const [operations, setOperations] = useState<string[]>([]);
  const [result, setResult] = useState<Result>({ kind: 'idle' });
  const [loading, setLoading] = useState(false);
  const [runCount, setRunCount] = useState(0);

  useEffect(() => setDraft(state), [state]);

  useEffect(() => {
    const ctl = new AbortController();
    fetchServices(ctl.signal)
      .then(setServices)
      .catch(() => setServices([]));
    return () => ctl.abort();
  }, []);

  useEffect(() => {
    if (!draft.service) {
      setOperations([]);
      return;
    }
    const ctl = new AbortController();
    fetchOperations(draft.service, ctl.signal)
      .then(setOperations)
      .catch(() => setOperations([]));
    return () => ctl.abort();
  }, [draft.service]);

  const submit = useCallback(
    (e?: FormEvent, patch: Partial<TraceSearchState> = {}) => {
      e?.preventDefault();
      navigate(`/traces?${serialize({ ...draft, ...patch })}`);
      setRunCount((n) => n + 1);
    },
    [draft],
  );

  const hasQuery = search.length > 0;
  const rangeMs = parseDuration(state.range) ?? 3600_000;

  useEffect(() => {
    if (!hasQuery) {
      setResult({ kind: 'idle' });
      return;
    }
    const ctl = new AbortController();
    const end = Math.ceil(Date.now() / 1000);
    const params: Record<string, string> = {
      q: state.mode === 'traceql' ? state.q || '{}' : formToTraceQL(state),
      start: String(end - Math.ceil(rangeMs / 1000)),
      end: String(end),
      limit: String(state.limit),
    };
    const started = performance.now();
    setLoading(true);
    searchTraces(params, ctl.signal)
      .then((traces) => {
        if (ctl.signal.aborted) return;
        setResult({ kind: 'ok', traces, tookMs: performance.now() - started });
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        setResult({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        setLoading(false);
      });
    return () => ctl.abort();
  }, [state, hasQuery, rangeMs, runCount]);

  const points: ScatterPoint[] = useMemo(
    () =>
      result.kind === 'ok'
        ? result.traces.map((t) => ({ traceId: t.traceID, t: Number(BigInt(t.startTimeUnixNano) / 1_000_000n) / 1000, durationMs: t.durationMs, error: stats(t).errors > 0 }))
        : [],
    [result],
  );
  const set = (patch: Partial<TraceSearchState>) => setDraft((d) => ({ ...d, ...patch }));

  return (
    <div className="page traces">
      <header className="page-header">
        <div>
          <h1>Traces</h1>
          <p className="page-subtitle">Find requests by service, operation, tags and duration, or with TraceQL</p>
        </div>
      </header>

      <section className="card query-card">
        <div className="tabs" role="tablist" aria-label="Search mode">
          <button type="button" role="tab" className={`tab${draft.mode === 'form' ? ' active' : ''}`} aria-selected={draft.mode === 'form'} onClick={() => set({ mode: 'form' })}>
            Search
          </button>
          <button
            type="button"
            role="tab"
            className={`tab${draft.mode === 'traceql' ? ' active' : ''}`}
            aria-selected={draft.mode === 'traceql'}
            onClick={() => set({ mode: 'traceql', q: draft.q || (draft.service || draft.operation || draft.tags || draft.minDuration ? formToTraceQL(draft) : '') })}
            data-testid="traceql-tab"
          >
            TraceQL
          </button>
        </div>
        {draft.mode === 'traceql' ? (
          <div className="query-row">
            <div className="editor-frame">
              <Suspense fallback={<div className="promql-editor promql-editor-loading">{draft.q || '\u00a0'}</div>}>
                <TraceQLEditor value={draft.q} onChange={(q) => set({ q })} onRun={() => submit()} />
              </Suspense>
            </div>
            <button type="button" className="btn btn-primary run-btn" onClick={() => submit()} data-testid="traces-run">
              <Icon name="play" />
              Run
            </button>
          </div>
        ) : (
          <form className="trace-search-form" onSubmit={(e) => submit(e)} data-testid="trace-search-form">
            <label className="field">
              <span>Service</span>
              <select value={draft.service} onChange={(e) => set({ service: e.target.value, operation: '' })} aria-label="Service" data-testid="service-select">
                <option value="">All services</option>
                {(services ?? []).map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Operation</span>
              <select value={draft.operation} onChange={(e) => set({ operation: e.target.value })} aria-label="Operation" disabled={!draft.service} data-testid="operation-select">
                <option value="">All operations</option>
                {operations.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            </label>
            <label className="field tags-field">
              <span>Tags</span>
              <input value={draft.tags} onChange={(e) => set({ tags: e.target.value })} placeholder='http.status_code=500 error=true' aria-label="Tags (logfmt)" data-testid="tags-input" />
            </label>
            <label className="field">
              <span>Min</span>
              <input className="duration-input" value={draft.minDuration} onChange={(e) => set({ minDuration: e.target.value })} placeholder="100ms" aria-label="Minimum duration" data-testid="min-duration" />
            </label>
            <label className="field">
              <span>Max</span>
              <input className="duration-input" value={draft.maxDuration} onChange={(e) => set({ maxDuration: e.target.value })} placeholder="5s" aria-label="Maximum duration" />
            </label>
            <button type="submit" className="btn btn-primary" data-testid="traces-search">
              <Icon name="search" />
              Find traces
            </button>
          </form>
        )}
        {services !== null && services.length === 0 && (
          <div className="query-hint">
            No traces stored yet — point an OpenTelemetry SDK at <code>{window.location.origin}/v1/traces</code> (OTLP/HTTP) or a Zipkin library at <code>/api/v2/spans</code>.
          </div>
        )}
      </section>

      <div className="toolbar">
        <div className="toolbar-controls">
          <div className="segmented" role="group" aria-label="Time range">
            {RANGE_PRESETS.map((r) => (
              <button key={r} type="button" className={state.range === r ? 'active' : ''} aria-pressed={state.range === r} onClick={() => submit(undefined, { range: r })}>
                {r}
              </button>
            ))}
          </div>
          <label className="field">
            <span>Limit</span>
            <select value={state.limit} onChange={(e) => submit(undefined, { limit: Number(e.target.value) })} aria-label="Result limit">
              {LIMITS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>

      <section className={`card result-card${loading ? ' is-loading' : ''}`} aria-live="polite" aria-busy={loading}>
        {loading && <div className="progress-bar" />}
        {loading && result.kind !== 'ok' ? (
          <div className="loading-state">
            <Spinner /> Searching…
          </div>
        ) : result.kind === 'idle' ? (
          <EmptyState title="Search traces" icon="traces">
            <p>Pick a service (and optionally an operation, tags such as <code>http.status_code=500</code>, or a minimum duration) and press Find traces, or switch to TraceQL, for example:</p>
            <div className="examples">
              {['{ status = error }', '{ duration > 500ms }', '{ span.http.status_code >= 500 } >> { kind = server }'].map((q) => (
                <button key={q} type="button" className="chip chip-button mono" onClick={() => navigate(`/traces?${serialize({ ...draft, mode: 'traceql', q })}`)}>
                  {q}
                </button>
              ))}
            </div>
          </EmptyState>
        ) : result.kind === 'error' ? (
          <ErrorState title="Search failed" message={result.message} detail={state.mode === 'traceql' ? 'TraceQL' : undefined} />
        ) : (
          <>
            <div className="stats" data-testid="traces-stats">
              <span>{result.traces.length} traces</span>
              <span>{Math.round(result.tookMs)} ms</span>
              {result.traces.length >= state.limit && <span>limit reached — narrow the search or raise the limit</span>}
            </div>
            {result.traces.length === 0 ? (
              <EmptyState title="No traces found" icon="search">
                <p>Nothing matches in the last {state.range}. Widen the time range, remove a tag or lower the minimum duration.</p>
              </EmptyState>
            ) : (
              <>
                <Suspense fallback={<div className="trace-scatter" />}>
                  <DurationScatter points={points} onOpen={(id) => navigate(`/traces/${id}`)} />
                </Suspense>
                <TraceTable traces={result.traces} />
              </>
            )}
          </>
        )}
      </section>
    </div>
  );
}

function TraceTable({ traces }: { traces: SearchTrace[] }) {
  return (
    <div className="table-wrap">
      <table className="data-table trace-table" data-testid="trace-results">
        <thead>
          <tr>
            <th>Root service</th>
            <th>Root operation</th>
            <th className="num">Duration</th>
            <th className="num">Spans</th>
            <th className="num">Errors</th>
            <th>Start</th>
            <th>Trace id</th>
          </tr>
        </thead>
        <tbody>
          {traces.map((t) => {
            const st = stats(t);
            return (
              <tr key={t.traceID} data-testid="trace-result">
                <td>{t.rootServiceName}</td>
                <td>
                  <Link href={`/traces/${t.traceID}`} className="mono" data-testid="trace-result-link">
                    {t.rootTraceName || '(root span missing)'}
                  </Link>
                </td>
                <td className="num mono">{formatMicros(t.durationMs * 1000)}</td>
                <td className="num mono">{st.spans}</td>
                <td className={`num mono${st.errors ? ' text-danger' : ''}`}>{st.errors}</td>
                <td className="mono nowrap">{new Date(Number(BigInt(t.startTimeUnixNano) / 1_000_000n)).toLocaleString()}</td>
                <td className="mono muted">{t.traceID.slice(0, 16)}…</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
