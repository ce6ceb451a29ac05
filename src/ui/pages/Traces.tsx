/**
 * Traces: find traces by service, operation, tags and duration over a time range, or with a TraceQL query;
 * results as a duration-over-time scatter (click a point to open the trace) and a table with root service and
 * operation, duration, span count and errors. The form lives in the URL, so a copied link reproduces the search.
 */
import { lazy, Suspense, useEffect, useMemo, useState, type FormEvent } from 'react';
import { formToTraceQL, queryWindow, TRACE_LIMITS, tracesCodec, type TraceSearchState } from '../lib/query-state.js';
import { useQueryPage } from '../lib/use-query-page.js';
import { Link, navigate } from '../lib/router.js';
import { Icon } from '../components/Icon.js';
import { DocsHint, EmptyState, Examples, ErrorState, ResultStats } from '../components/States.js';
import { LimitSelect, QueryBar, ResultCard, RunHint } from '../components/QueryBar.js';
import { EndPicker, RangePicker } from '../components/TimeRangeControls.js';
import { fetchOperations, fetchServices, searchTraces, type SearchTrace } from '../components/traces/trace-api.js';
import { formatMicros } from '../components/traces/trace-model.js';
import type { ScatterPoint } from '../components/traces/DurationScatter.js';
import '../components/traces/traces.css';

const TraceQLEditor = lazy(() => import('../components/traces/TraceQLEditor.js'));
const DurationScatter = lazy(() => import('../components/traces/DurationScatter.js'));

const EXAMPLES = ['{ status = error }', '{ duration > 500ms }', '{ span.http.status_code >= 500 } >> { kind = server }'];

function runSearch(state: TraceSearchState, signal: AbortSignal): Promise<SearchTrace[]> | null {
  if (!state.searched) return null;
  const { start, end } = queryWindow(state, 1, Date.now(), 'ceil');
  const q = state.mode === 'traceql' ? state.q || '{}' : formToTraceQL(state);
  return searchTraces({ q, start: String(start), end: String(end), limit: String(state.limit) }, signal);
}

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
  const { state, draft, setDraft: set, run, apply, result, loading } = useQueryPage('/traces', tracesCodec, runSearch);
  const [services, setServices] = useState<string[] | null>(null);
  const [operations, setOperations] = useState<string[]>([]);

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

  const submit = (e: FormEvent) => {
    e.preventDefault();
    run();
  };
  const points: ScatterPoint[] = useMemo(
    () =>
      result.kind === 'ok'
        ? result.data.map((t) => ({ traceId: t.traceID, t: Number(BigInt(t.startTimeUnixNano) / 1_000_000n) / 1000, durationMs: t.durationMs, error: stats(t).errors > 0 }))
        : [],
    [result],
  );
  const noTraces = services !== null && services.length === 0;

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
          <QueryBar text={draft.q} onRun={() => run()}>
            <TraceQLEditor value={draft.q} onChange={(q) => set({ q })} onRun={() => run()} />
          </QueryBar>
        ) : (
          <form className="trace-search-form" onSubmit={submit} data-testid="trace-search-form">
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
              <input value={draft.tags} onChange={(e) => set({ tags: e.target.value })} placeholder="http.status_code=500 error=true" aria-label="Tags (logfmt)" data-testid="tags-input" />
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
        <RunHint>{draft.mode === 'traceql' ? <><kbd>Enter</kbd> in the editor too</> : <><kbd>Enter</kbd> in a text field too</>}</RunHint>
      </section>

      <div className="toolbar">
        <div className="toolbar-group">
          <LimitSelect label="Limit" value={state.limit} options={TRACE_LIMITS} onChange={(limit) => apply({ limit })} />
        </div>
        <div className="toolbar-controls">
          <RangePicker range={state.range} onChange={(range) => apply({ range })} />
          <EndPicker endMs={state.endMs} onChange={(endMs) => apply({ endMs })} testId="traces-end" />
        </div>
      </div>

      <ResultCard loading={loading} blank={result.kind !== 'ok'} busy="Searching…">
        {result.kind === 'idle' ? (
          noTraces ? (
            <NoTracesYet />
          ) : (
            <EmptyState title="Search traces" icon="traces">
              <p>
                Pick a service (and optionally an operation, tags such as <code>http.status_code=500</code>, or a minimum duration) and press Find traces, or switch to TraceQL, for
                example:
              </p>
              <Examples queries={EXAMPLES} onPick={(q) => run({ mode: 'traceql', q })} />
            </EmptyState>
          )
        ) : result.kind === 'error' ? (
          <ErrorState title="Search failed" message={result.message} detail={state.mode === 'traceql' ? 'TraceQL' : undefined} />
        ) : (
          <>
            <ResultStats testId="traces-stats" items={[`${result.data.length} traces`, `${Math.round(result.tookMs)} ms`, result.data.length >= state.limit && 'limit reached — narrow the search or raise the limit']} />
            {result.data.length === 0 ? (
              noTraces ? (
                <NoTracesYet />
              ) : (
                <EmptyState title="No traces found" icon="search">
                  <p>Nothing matches in this time range. Widen the range, remove a tag or lower the minimum duration.</p>
                </EmptyState>
              )
            ) : (
              <>
                <Suspense fallback={<div className="trace-scatter" />}>
                  <DurationScatter points={points} onOpen={(id) => navigate(`/traces/${id}`)} />
                </Suspense>
                <TraceTable traces={result.data} />
              </>
            )}
          </>
        )}
      </ResultCard>
    </div>
  );
}

/** Nothing has sent spans yet: searching cannot help, sending can. */
function NoTracesYet() {
  const origin = window.location.origin;
  return (
    <EmptyState title="No traces yet" icon="traces">
      <p>
        Nothing has sent spans to this server. Point an OpenTelemetry SDK or collector at <code data-testid="otlp-traces-url">{origin}/v1/traces</code> (OTLP/HTTP) — or OTLP/gRPC
        at port 4317 of this host (<code>--otlp-grpc-listen</code>) — or a Zipkin library at <code>{origin}/api/v2/spans</code>.
      </p>
      <DocsHint doc="traces.md" what="ingest formats and TraceQL" />
    </EmptyState>
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
