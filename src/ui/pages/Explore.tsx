/**
 * Explore: write a PromQL expression, run it over a time range, look at it as a graph or a table.
 * Everything that defines the query lives in the URL, so copying the address shares the exact view.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, apiPost, type QueryData } from '../lib/api.js';
import { autoStepSeconds, formatDuration, humanizeSeconds, parseDuration } from '../lib/format.js';
import { parseQueryState, RANGE_PRESETS, serializeQueryState, type ExploreTab, type QueryState } from '../lib/query-state.js';
import { navigate, useLocation } from '../lib/router.js';
import { alignMatrix, type AlignedSeries } from '../lib/series.js';
import type { PromQLEditorHandle } from '../components/PromQLEditor.js';
import { Icon } from '../components/Icon.js';
import { ResultTable } from '../components/ResultTable.js';
import { MetricsExplorer } from '../components/MetricsExplorer.js';
import { EmptyState, ErrorState, Spinner } from '../components/States.js';

// The editor and the graph are the heaviest parts of the bundle; load them after first paint.
const PromQLEditor = lazy(() => import('../components/PromQLEditor.js'));
const Graph = lazy(() => import('../components/Graph.js'));

type Result =
  | { kind: 'idle' }
  | { kind: 'error'; message: string; errorType: string }
  | { kind: 'graph'; series: AlignedSeries; stepSec: number; tookMs: number; warnings: string[]; resultType: string; data: QueryData }
  | { kind: 'table'; data: QueryData; tookMs: number; warnings: string[]; evalTimeSec: number };

const MAX_GRAPH_SERIES = 1000;

const EXAMPLES = ['up', 'rate(process_cpu_seconds_total[1m])', 'sum by (job) (scrape_samples_scraped)', 'scrape_duration_seconds'];

export function ExplorePage() {
  const { search } = useLocation();
  const state = useMemo(() => parseQueryState(search), [search]);
  const [draft, setDraft] = useState(state.expr);
  const [result, setResult] = useState<Result>({ kind: 'idle' });
  // The previous result stays on screen while a new one loads, so re-running or changing the range
  // does not flash an empty panel.
  const [loading, setLoading] = useState(state.expr !== '');
  const [runCount, setRunCount] = useState(0);
  const [explorerOpen, setExplorerOpen] = useState(false);
  const editor = useRef<PromQLEditorHandle>(null);

  // Back/forward or a pasted link changes the URL under us: the editor follows.
  useEffect(() => setDraft(state.expr), [state.expr]);

  const update = useCallback(
    (patch: Partial<QueryState>, replace = false) => {
      navigate(`/explore?${serializeQueryState({ ...state, ...patch })}`, replace);
    },
    [state],
  );

  const run = useCallback(() => {
    update({ expr: draft.trim() });
    setRunCount((n) => n + 1);
  }, [draft, update]);

  const rangeMs = parseDuration(state.range) ?? 3600_000;
  const autoStep = autoStepSeconds(rangeMs);

  useEffect(() => {
    if (state.expr === '') {
      setResult({ kind: 'idle' });
      setLoading(false);
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    const endSec = (state.endMs ?? Date.now()) / 1000;
    const started = performance.now();
    const done = (r: Result) => {
      if (ctl.signal.aborted) return;
      setResult(r);
      setLoading(false);
    };
    const fail = (err: unknown) => {
      if (ctl.signal.aborted) return;
      if (err instanceof ApiError) done({ kind: 'error', message: err.message, errorType: err.errorType });
      else done({ kind: 'error', message: err instanceof Error ? err.message : String(err), errorType: 'client' });
    };
    if (state.tab === 'graph') {
      const stepSec = state.stepSeconds ?? autoStepSeconds(rangeMs);
      // Align to the step so successive refreshes draw the same points and the grid is stable.
      const end = Math.floor(endSec / stepSec) * stepSec;
      const start = end - Math.floor(rangeMs / 1000 / stepSec) * stepSec;
      apiPost<QueryData>('query_range', { query: state.expr, start: String(start), end: String(end), step: String(stepSec) }, ctl.signal)
        .then(({ data, warnings: serverWarnings }) => {
          let warnings = serverWarnings;
          const tookMs = performance.now() - started;
          if (data.resultType !== 'matrix') {
            done({ kind: 'graph', series: { times: [], columns: [], names: [] }, stepSec, tookMs, warnings, resultType: data.resultType, data });
            return;
          }
          // Thousands of lines are unreadable and slow to draw; draw the first ones and say so.
          const drawn = data.result.length > MAX_GRAPH_SERIES ? data.result.slice(0, MAX_GRAPH_SERIES) : data.result;
          if (drawn.length < data.result.length) {
            warnings = [...warnings, `Showing ${MAX_GRAPH_SERIES} of ${data.result.length} series — aggregate or filter the query to see them all.`];
          }
          done({ kind: 'graph', series: alignMatrix(drawn, start, end, stepSec), stepSec, tookMs, warnings, resultType: data.resultType, data });
        })
        .catch(fail);
    } else {
      apiPost<QueryData>('query', { query: state.expr, time: String(endSec) }, ctl.signal)
        .then(({ data, warnings }) => done({ kind: 'table', data, tookMs: performance.now() - started, warnings, evalTimeSec: endSec }))
        .catch(fail);
    }
    return () => ctl.abort();
  }, [state.expr, state.tab, state.range, state.endMs, state.stepSeconds, rangeMs, runCount]);

  const setTab = (tab: ExploreTab) => update({ tab, expr: draft.trim() });

  return (
    <div className="page explore">
      <header className="page-header">
        <div>
          <h1>Explore</h1>
          <p className="page-subtitle">Query metrics with PromQL</p>
        </div>
        <button type="button" className="btn" onClick={() => setExplorerOpen(true)}>
          <Icon name="list" />
          Metrics explorer
        </button>
      </header>

      <section className="card query-card">
        <div className="query-row">
          <div className="editor-frame">
            <Suspense fallback={<div className="promql-editor promql-editor-loading">{draft || '\u00a0'}</div>}>
              <PromQLEditor ref={editor} value={draft} onChange={setDraft} onRun={run} autoFocus />
            </Suspense>
          </div>
          <button type="button" className="btn btn-primary run-btn" onClick={run} title="Run query (Shift+Enter or Ctrl/⌘+Enter)">
            <Icon name="play" />
            Run
          </button>
        </div>
        <div className="query-hint">
          <kbd>Shift</kbd>+<kbd>Enter</kbd> or <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd> to run · <kbd>Ctrl</kbd>+<kbd>Space</kbd> to complete
        </div>
      </section>

      <div className="toolbar">
        <div className="tabs" role="tablist" aria-label="Result view">
          {(['graph', 'table'] as const).map((t) => (
            <button key={t} type="button" role="tab" aria-selected={state.tab === t} className={`tab${state.tab === t ? ' active' : ''}`} onClick={() => setTab(t)}>
              {t === 'graph' ? 'Graph' : 'Table'}
            </button>
          ))}
        </div>
        <div className="toolbar-controls">
          {state.tab === 'graph' && (
            <>
              <div className="segmented" role="group" aria-label="Time range">
                {RANGE_PRESETS.map((r) => (
                  <button key={r} type="button" className={state.range === r ? 'active' : ''} aria-pressed={state.range === r} onClick={() => update({ range: r, expr: draft.trim() }, true)}>
                    {r}
                  </button>
                ))}
                {!RANGE_PRESETS.includes(state.range) && (
                  <button type="button" className="active" aria-pressed="true">
                    {formatDuration(rangeMs)}
                  </button>
                )}
              </div>
              <StepInput value={state.stepSeconds} autoStep={autoStep} onChange={(stepSeconds) => update({ stepSeconds, expr: draft.trim() }, true)} />
            </>
          )}
          <EndTimePicker endMs={state.endMs} onChange={(endMs) => update({ endMs, expr: draft.trim() }, true)} />
        </div>
      </div>

      <section className={`card result-card${loading ? ' is-loading' : ''}`} aria-live="polite" aria-busy={loading}>
        {loading && <div className="progress-bar" />}
        {loading && (result.kind === 'idle' || result.kind === 'error') ? (
          <div className="loading-state">
            <Spinner /> Running query…
          </div>
        ) : (
          <ResultView result={result} expr={state.expr} onExample={(q) => { setDraft(q); update({ expr: q }); }} />
        )}
      </section>

      {explorerOpen && (
        <MetricsExplorer
          onClose={() => {
            setExplorerOpen(false);
            editor.current?.focus();
          }}
          onPick={(name) => {
            setExplorerOpen(false);
            if (draft.trim() === '') {
              setDraft(name);
              update({ expr: name });
            } else editor.current?.insert(name);
          }}
        />
      )}
    </div>
  );
}

/** Step in seconds; applied on Enter or when leaving the field, not on every keystroke. */
function StepInput({ value, autoStep, onChange }: { value: number | null; autoStep: number; onChange(v: number | null): void }) {
  const [text, setText] = useState(value === null ? '' : String(value));
  useEffect(() => setText(value === null ? '' : String(value)), [value]);
  const commit = () => {
    const v = Number(text);
    const next = text.trim() === '' || !(v > 0) ? null : v;
    if (next !== value) onChange(next);
    else setText(value === null ? '' : String(value));
  };
  return (
    <label className="field step-field">
      <span>Step</span>
      <input
        type="number"
        min={1}
        inputMode="numeric"
        placeholder={`auto · ${autoStep}s`}
        value={text}
        title="Seconds between points; empty for automatic (about 250 points across the range)"
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </label>
  );
}

function EndTimePicker({ endMs, onChange }: { endMs: number | null; onChange(endMs: number | null): void }) {
  if (endMs === null) {
    return (
      <div className="field end-field">
        <span>End</span>
        <button type="button" className="btn btn-small" onClick={() => onChange(Math.floor(Date.now() / 1000) * 1000)} title="The range ends now. Click to pin a fixed end time.">
          <Icon name="clock" size={14} />
          now
        </button>
      </div>
    );
  }
  // datetime-local works in local time without a zone; convert explicitly.
  return (
    <div className="field end-field">
      <span>End</span>
      <input type="datetime-local" step={1} value={toLocalInput(endMs)} aria-label="End time" onChange={(e) => e.target.value && onChange(new Date(e.target.value).getTime())} />
      <button type="button" className="btn btn-small" onClick={() => onChange(null)} title="End the range at the current time again">
        Back to now
      </button>
    </div>
  );
}

function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function ResultView({ result, expr, onExample }: { result: Result; expr: string; onExample(q: string): void }) {
  switch (result.kind) {
    case 'idle':
      return (
        <EmptyState title="Start with a query" icon="explore">
          <p>Type a PromQL expression above and press <kbd>Shift</kbd>+<kbd>Enter</kbd>, or open the metrics explorer to browse what is being collected. Try one of these:</p>
          <div className="examples">
            {EXAMPLES.map((q) => (
              <button key={q} type="button" className="chip chip-button mono" onClick={() => onExample(q)}>
                {q}
              </button>
            ))}
          </div>
        </EmptyState>
      );
    case 'error':
      return <ErrorState title="Query error" message={result.message} detail={result.errorType} />;
    case 'graph': {
      const total = result.data.resultType === 'matrix' ? result.data.result.length : result.series.names.length;
      const stats = <Stats items={[`${total} series`, `${Math.round(result.tookMs)} ms`, `step ${humanizeSeconds(result.stepSec)}`]} warnings={result.warnings} />;
      if (result.resultType !== 'matrix') {
        return (
          <>
            {stats}
            <ResultTable data={result.data} />
          </>
        );
      }
      if (result.series.names.length === 0) {
        return (
          <>
            {stats}
            <EmptyState title="No data" icon="search">
              <p>
                No data for <code>{expr}</code> in the selected range — check the metric name or widen the range.
              </p>
            </EmptyState>
          </>
        );
      }
      return (
        <>
          {stats}
          <Suspense fallback={<div className="graph-placeholder"><Spinner /></div>}>
            <Graph data={result.series} />
          </Suspense>
        </>
      );
    }
    case 'table': {
      const n = Array.isArray(result.data.result) && result.data.resultType !== 'scalar' && result.data.resultType !== 'string' ? result.data.result.length : 1;
      return (
        <>
          <Stats items={[`${n} ${result.data.resultType === 'matrix' || result.data.resultType === 'vector' ? 'series' : 'result'}`, `${Math.round(result.tookMs)} ms`, `at ${new Date(result.evalTimeSec * 1000).toLocaleString()}`]} warnings={result.warnings} />
          {n === 0 ? (
            <EmptyState title="No data" icon="search">
              <p>
                No data for <code>{expr}</code> at the end of the selected range — check the metric name or move the end time.
              </p>
            </EmptyState>
          ) : (
            <ResultTable data={result.data} />
          )}
        </>
      );
    }
  }
}

function Stats({ items, warnings }: { items: string[]; warnings: string[] }) {
  return (
    <>
      <div className="stats" data-testid="query-stats">
        {items.map((s) => (
          <span key={s}>{s}</span>
        ))}
      </div>
      {warnings.map((w) => (
        <div key={w} className="warning-banner">
          <Icon name="warning" /> {w}
        </div>
      ))}
    </>
  );
}
