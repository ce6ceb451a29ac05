/**
 * Explore: write a PromQL expression, run it over a time range, look at it as a graph or a table.
 * Everything that defines the query lives in the URL, so copying the address shares the exact view.
 */
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { apiPost, type QueryData } from '../lib/api.js';
import { autoStepSeconds, humanizeSeconds } from '../lib/format.js';
import { exploreCodec, queryWindow, rangeMillis, type ExploreState, type ExploreTab } from '../lib/query-state.js';
import { useQueryPage, type QueryResult } from '../lib/use-query-page.js';
import { alignMatrix, type AlignedSeries } from '../lib/series.js';
import type { PromQLEditorHandle } from '../components/PromQLEditor.js';
import { Icon } from '../components/Icon.js';
import { ResultTable } from '../components/ResultTable.js';
import { MetricsExplorer } from '../components/MetricsExplorer.js';
import { QueryBar, ResultCard, RunHint } from '../components/QueryBar.js';
import { EndPicker, RangePicker } from '../components/TimeRangeControls.js';
import { EmptyState, ErrorState, Examples, ResultStats, Spinner } from '../components/States.js';

// The editor and the graph are the heaviest parts of the bundle; load them after first paint.
const PromQLEditor = lazy(() => import('../components/PromQLEditor.js'));
const Graph = lazy(() => import('../components/Graph.js'));

type Answer =
  | { kind: 'graph'; series: AlignedSeries; stepSec: number; warnings: string[]; data: QueryData }
  | { kind: 'table'; data: QueryData; warnings: string[]; evalTimeSec: number };

const MAX_GRAPH_SERIES = 1000;

const EXAMPLES = ['up', 'rate(process_cpu_seconds_total[1m])', 'sum by (job) (scrape_samples_scraped)', 'scrape_duration_seconds'];

function runQuery(state: ExploreState, signal: AbortSignal): Promise<Answer> | null {
  if (state.expr === '') return null;
  if (state.tab === 'table') {
    const evalTimeSec = (state.endMs ?? Date.now()) / 1000;
    return apiPost<QueryData>('query', { query: state.expr, time: String(evalTimeSec) }, signal).then(({ data, warnings }) => ({ kind: 'table', data, warnings, evalTimeSec }));
  }
  const stepSec = state.stepSeconds ?? autoStepSeconds(rangeMillis(state.range));
  const { start, end } = queryWindow(state, stepSec, Date.now());
  return apiPost<QueryData>('query_range', { query: state.expr, start: String(start), end: String(end), step: String(stepSec) }, signal).then(({ data, warnings }) => {
    if (data.resultType !== 'matrix') return { kind: 'graph', series: { times: [], columns: [], names: [] }, stepSec, warnings, data };
    // Thousands of lines are unreadable and slow to draw; draw the first ones and say so.
    const drawn = data.result.length > MAX_GRAPH_SERIES ? data.result.slice(0, MAX_GRAPH_SERIES) : data.result;
    if (drawn.length < data.result.length) {
      warnings = [...warnings, `Showing ${MAX_GRAPH_SERIES} of ${data.result.length} series — aggregate or filter the query to see them all.`];
    }
    return { kind: 'graph', series: alignMatrix(drawn, start, end, stepSec), stepSec, warnings, data };
  });
}

export function ExplorePage() {
  const { state, draft, setDraft, run, apply, result, loading } = useQueryPage('/explore', exploreCodec, runQuery);
  const [explorerOpen, setExplorerOpen] = useState(false);
  const editor = useRef<PromQLEditorHandle>(null);
  const autoStep = autoStepSeconds(rangeMillis(state.range));

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
        <QueryBar text={draft.expr} onRun={() => run()}>
          <PromQLEditor ref={editor} value={draft.expr} onChange={(expr) => setDraft({ expr })} onRun={() => run()} autoFocus />
        </QueryBar>
        <RunHint>
          <kbd>Shift</kbd>+<kbd>Enter</kbd> in the editor too · <kbd>Ctrl</kbd>+<kbd>Space</kbd> to complete
        </RunHint>
      </section>

      <div className="toolbar">
        <div className="tabs" role="tablist" aria-label="Result view">
          {(['graph', 'table'] as const).map((t: ExploreTab) => (
            <button key={t} type="button" role="tab" aria-selected={state.tab === t} className={`tab${state.tab === t ? ' active' : ''}`} onClick={() => apply({ tab: t })}>
              {t === 'graph' ? 'Graph' : 'Table'}
            </button>
          ))}
        </div>
        <div className="toolbar-controls">
          {state.tab === 'graph' && (
            <>
              <RangePicker range={state.range} onChange={(range) => apply({ range })} />
              <StepInput value={state.stepSeconds} autoStep={autoStep} onChange={(stepSeconds) => apply({ stepSeconds })} />
            </>
          )}
          <EndPicker endMs={state.endMs} onChange={(endMs) => apply({ endMs })} />
        </div>
      </div>

      <ResultCard loading={loading} blank={result.kind !== 'ok'}>
        <ResultView result={result} expr={state.expr} onExample={(expr) => run({ expr })} />
      </ResultCard>

      {explorerOpen && (
        <MetricsExplorer
          onClose={() => {
            setExplorerOpen(false);
            editor.current?.focus();
          }}
          onPick={(name) => {
            setExplorerOpen(false);
            if (draft.expr.trim() === '') run({ expr: name });
            else editor.current?.insert(name);
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

function ResultView({ result, expr, onExample }: { result: QueryResult<Answer>; expr: string; onExample(q: string): void }) {
  if (result.kind === 'idle') {
    return (
      <EmptyState title="Start with a query" icon="explore">
        <p>Type a PromQL expression above and press <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd>, or open the metrics explorer to browse what is being collected. Try one of these:</p>
        <Examples queries={EXAMPLES} onPick={onExample} />
      </EmptyState>
    );
  }
  if (result.kind === 'error') return <ErrorState title="Query error" message={result.message} detail={result.errorType} />;
  const answer = result.data;
  const took = `${Math.round(result.tookMs)} ms`;
  if (answer.kind === 'table') {
    const { data } = answer;
    const n = data.resultType === 'matrix' || data.resultType === 'vector' ? data.result.length : 1;
    return (
      <>
        <ResultStats testId="query-stats" items={[`${n} ${data.resultType === 'matrix' || data.resultType === 'vector' ? 'series' : 'result'}`, took, `at ${new Date(answer.evalTimeSec * 1000).toLocaleString()}`]} warnings={answer.warnings} />
        {n === 0 ? (
          <EmptyState title="No data" icon="search">
            <p>
              No data for <code>{expr}</code> at the end of the selected range — check the metric name or move the end time.
            </p>
          </EmptyState>
        ) : (
          <ResultTable data={data} />
        )}
      </>
    );
  }
  const total = answer.data.resultType === 'matrix' ? answer.data.result.length : answer.series.names.length;
  const stats = <ResultStats testId="query-stats" items={[`${total} series`, took, `step ${humanizeSeconds(answer.stepSec)}`]} warnings={answer.warnings} />;
  if (answer.data.resultType !== 'matrix') {
    // A scalar or string has no lines to draw.
    return (
      <>
        {stats}
        <ResultTable data={answer.data} />
      </>
    );
  }
  return (
    <>
      {stats}
      {answer.series.names.length === 0 ? (
        <EmptyState title="No data" icon="search">
          <p>
            No data for <code>{expr}</code> in the selected range — check the metric name or widen the range.
          </p>
        </EmptyState>
      ) : (
        <Suspense fallback={<div className="graph-placeholder"><Spinner /></div>}>
          <Graph data={answer.series} />
        </Suspense>
      )}
    </>
  );
}
