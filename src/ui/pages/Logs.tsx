/**
 * Logs: a LogQL query over a time range. Log queries show the volume over time (stacked by level; drag to
 * zoom) and the lines, newest first; metric queries show a graph. Live tail streams new lines over the Loki
 * tail WebSocket. The query, range and end time live in the URL, so a copied link reproduces the view.
 */
import { lazy, Suspense, useCallback, useEffect, useState, type ReactNode } from 'react';
import { formatDuration } from '../lib/format.js';
import { LINE_LIMITS, logsCodec, queryWindow, rangeMillis, type LogsState } from '../lib/query-state.js';
import { useQueryPage, useQueryResult, type QueryResult } from '../lib/use-query-page.js';
import { alignMatrix, type AlignedSeries } from '../lib/series.js';
import { Icon } from '../components/Icon.js';
import { DocsHint, EmptyState, Examples, ErrorState, ResultStats, Spinner } from '../components/States.js';
import { LimitSelect, QueryBar, ResultCard, RunHint } from '../components/QueryBar.js';
import { EndPicker, RangePicker } from '../components/TimeRangeControls.js';
import { bucketSeconds, isMetricQuery, lokiLabels, lokiQueryRange, volumeQuery, type LokiStream } from '../components/logs/loki-api.js';
import type { LogRow } from '../components/logs/LogList.js';
import type { VolumeSeries } from '../components/logs/VolumeHistogram.js';
import { levelColor } from '../components/logs/level-color.js';
import { normaliseLevel } from '../components/logs/detect.js';
import '../components/logs/logs.css';

const LogQLEditor = lazy(() => import('../components/logs/LogQLEditor.js'));
const VolumeHistogram = lazy(() => import('../components/logs/VolumeHistogram.js'));
const LogList = lazy(() => import('../components/logs/LogList.js'));
const Graph = lazy(() => import('../components/Graph.js'));

const MAX_LIVE_ROWS = 2000;

type Answer = { kind: 'logs'; rows: LogRow[]; limitHit: boolean } | { kind: 'metric'; series: AlignedSeries; count: number };

type VolumeData = { times: number[]; series: VolumeSeries[] };

const EXAMPLES = ['{job=~".+"}', '{job=~".+"} |= "error"', 'sum by (job) (count_over_time({job=~".+"}[1m]))'];

let rowSeq = 0;

function toRows(streams: LokiStream[]): LogRow[] {
  const rows: LogRow[] = [];
  for (const s of streams) {
    for (const [ts, line, extra] of s.values) {
      rows.push({ id: `${ts}-${rowSeq++}`, ts, line, stream: s.stream, metadata: extra?.structuredMetadata ?? {}, parsed: extra?.parsed ?? {} });
    }
  }
  // Newest first; ns timestamps compare as equal-length digit strings only when lengths match.
  rows.sort((a, b) => (a.ts.length !== b.ts.length ? b.ts.length - a.ts.length : a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0));
  return rows;
}

function runQuery(state: LogsState, signal: AbortSignal): Promise<Answer> | null {
  if (state.query === '') return null;
  const rangeMs = rangeMillis(state.range);
  if (isMetricQuery(state.query)) {
    const stepSec = bucketSeconds(rangeMs, 250);
    const { start, end } = queryWindow(state, stepSec, Date.now());
    return lokiQueryRange({ query: state.query, start: String(start), end: String(end), step: String(stepSec) }, signal).then((data) => {
      const series = data.resultType === 'matrix' ? data.result : [];
      return { kind: 'metric', series: alignMatrix(series, start, end, stepSec), count: series.length };
    });
  }
  const endMs = state.endMs ?? Date.now();
  return lokiQueryRange({ query: state.query, start: `${endMs - rangeMs}000000`, end: `${endMs}000000`, limit: String(state.limit), direction: 'backward' }, signal).then((data) => {
    const rows = data.resultType === 'streams' ? toRows(data.result) : [];
    return { kind: 'logs', rows, limitHit: rows.length >= state.limit };
  });
}

const LEVEL_ORDER = ['critical', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'];

/** Lines per level over the range, for the histogram above a log query's lines; null for metric queries. */
function runVolume(state: LogsState, signal: AbortSignal): Promise<VolumeData> | null {
  if (state.query === '' || isMetricQuery(state.query)) return null;
  const stepSec = bucketSeconds(rangeMillis(state.range));
  const { start, end } = queryWindow(state, stepSec, Date.now(), 'ceil');
  return lokiQueryRange({ query: volumeQuery(state.query, stepSec), start: String(start), end: String(end), step: String(stepSec) }, signal).then((data) => {
    const series = data.resultType === 'matrix' ? data.result : [];
    const aligned = alignMatrix(series, start, end, stepSec);
    const rank = (l: string) => {
      const i = LEVEL_ORDER.indexOf(l.toLowerCase());
      return i < 0 ? LEVEL_ORDER.length : i;
    };
    // INFO, info and Information are one level.
    const merged = new Map<string, (number | null)[]>();
    series.forEach((s, i) => {
      const level = normaliseLevel(s.metric.level) ?? (s.metric.level ? s.metric.level.toLowerCase() : 'logs');
      const col = aligned.columns[i];
      const prev = merged.get(level);
      merged.set(level, prev ? prev.map((v, j) => (v === null && col[j] === null ? null : (v ?? 0) + (col[j] ?? 0))) : col);
    });
    return { times: aligned.times, series: [...merged].map(([level, counts]) => ({ level, counts })).sort((a, b) => rank(a.level) - rank(b.level)) };
  });
}

export function LogsPage() {
  const { state, draft, setDraft, run, apply, result, loading, runKey } = useQueryPage('/logs', logsCodec, runQuery);
  // The volume runs alongside the lines; its failure does not hide them.
  const { result: volume } = useQueryResult(runKey, (signal) => runVolume(state, signal));
  const [live, setLive] = useState(false);
  const [liveRows, setLiveRows] = useState<LogRow[]>([]);
  const [liveError, setLiveError] = useState<string | null>(null);
  const metric = state.query !== '' && isMetricQuery(state.query);

  // Live tail: a WebSocket while the toggle is on; new lines go on top.
  useEffect(() => {
    if (!live || state.query === '' || metric) return;
    setLiveRows([]);
    setLiveError(null);
    const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const params = new URLSearchParams({ query: state.query, limit: '100', start: `${Date.now() - 60_000}000000` });
    const ws = new WebSocket(`${proto}//${window.location.host}/loki/api/v1/tail?${params}`);
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as { streams: LokiStream[] };
      const rows = toRows(msg.streams);
      setLiveRows((prev) => [...rows, ...prev].slice(0, MAX_LIVE_ROWS));
    };
    ws.onerror = () => setLiveError('The live tail connection failed — check the query and that the server is reachable.');
    ws.onclose = (ev) => {
      if (ev.code !== 1000 && ev.code !== 1005 && ev.reason) setLiveError(ev.reason);
    };
    return () => ws.close();
  }, [live, state.query, metric]);

  const zoom = useCallback(
    (fromMs: number, toMs: number) => {
      if (toMs - fromMs >= 1000) run({ range: formatDuration(toMs - fromMs), endMs: toMs });
    },
    [run],
  );

  return (
    <div className="page logs">
      <header className="page-header">
        <div>
          <h1>Logs</h1>
          <p className="page-subtitle">Search and tail logs with LogQL</p>
        </div>
      </header>

      <section className="card query-card">
        <QueryBar text={draft.query} onRun={() => run()}>
          <LogQLEditor value={draft.query} onChange={(query) => setDraft({ query })} onRun={() => run()} autoFocus />
        </QueryBar>
        <RunHint>
          a metric query such as <code>rate(&#123;job="api"&#125;[1m])</code> draws a graph
        </RunHint>
      </section>

      <div className="toolbar">
        <div className="toolbar-group">
          {!metric && (
            <button
              type="button"
              className={`btn live-toggle${live ? ' active' : ''}`}
              aria-pressed={live}
              disabled={state.query === ''}
              onClick={() => setLive((v) => !v)}
              title={live ? 'Stop streaming new lines' : 'Stream new lines as they arrive'}
              data-testid="live-toggle"
            >
              {live ? <span className="live-dot" aria-hidden="true" /> : <Icon name="play" size={14} />}
              {live ? 'Live — stop' : 'Live tail'}
            </button>
          )}
          {!metric && !live && (
            <LimitSelect label="Lines" value={state.limit} options={LINE_LIMITS} onChange={(limit) => apply({ limit })} />
          )}
        </div>
        <div className="toolbar-controls">
          <RangePicker range={state.range} onChange={(range) => apply({ range })} />
          <EndPicker endMs={state.endMs} onChange={(endMs) => apply({ endMs })} testId="logs-end" />
        </div>
      </div>

      <ResultCard loading={loading} blank={result.kind !== 'ok'}>
        {live ? (
          <>
            <ResultStats testId="logs-stats" items={[`live · ${liveRows.length} lines`]} />
            {liveError && <ErrorState title="Live tail error" message={liveError} />}
            {liveRows.length === 0 && !liveError ? (
              <EmptyState title="Waiting for new lines" icon="logs">
                <p>
                  Lines matching <code>{state.query}</code> appear here as they arrive.
                </p>
              </EmptyState>
            ) : (
              <Suspense fallback={<Spinner />}>
                <LogList rows={liveRows} />
              </Suspense>
            )}
          </>
        ) : (
          <ResultView result={result} volume={volume} query={state.query} onZoom={zoom} onExample={(query) => run({ query })} />
        )}
      </ResultCard>
    </div>
  );
}

function ResultView({ result, volume, query, onZoom, onExample }: { result: QueryResult<Answer>; volume: QueryResult<VolumeData>; query: string; onZoom(a: number, b: number): void; onExample(q: string): void }) {
  if (result.kind === 'idle') {
    return (
      <IfNoLogs>
        <EmptyState title="Search your logs" icon="logs">
          <p>
            Write a LogQL query — a stream selector such as <code>{'{job="api"}'}</code>, optionally followed by filters like <code>|= "error"</code> — and press <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd>. Try:
          </p>
          <Examples queries={EXAMPLES} onPick={onExample} />
        </EmptyState>
      </IfNoLogs>
    );
  }
  if (result.kind === 'error') return <ErrorState title="Query error" message={result.message} detail="LogQL" />;
  const answer = result.data;
  const took = `${Math.round(result.tookMs)} ms`;
  if (answer.kind === 'metric') {
    return (
      <>
        <ResultStats testId="logs-stats" items={[`${answer.count} series`, took]} />
        {answer.count === 0 ? (
          <IfNoLogs>
            <EmptyState title="No data" icon="search">
              <p>
                <code>{query}</code> returned no series in this range — widen the range or loosen the selector.
              </p>
            </EmptyState>
          </IfNoLogs>
        ) : (
          <Suspense fallback={<div className="graph-placeholder"><Spinner /></div>}>
            <Graph data={answer.series} />
          </Suspense>
        )}
      </>
    );
  }
  return (
    <>
      {volume.kind === 'ok' && volume.data.series.length > 0 && (
        <div className="log-volume-panel">
          <div className="log-volume-legend" aria-label="Levels">
            {volume.data.series.map((s) => (
              <span key={s.level}>
                <span className="swatch" style={{ background: levelColor(s.level) }} />
                {s.level}
              </span>
            ))}
          </div>
          <Suspense fallback={<div className="log-volume" />}>
            <VolumeHistogram times={volume.data.times} series={volume.data.series} onZoom={onZoom} />
          </Suspense>
        </div>
      )}
      {volume.kind === 'error' && (
        <div className="warning-banner">
          <Icon name="warning" /> Log volume unavailable: {volume.message}
        </div>
      )}
      <ResultStats testId="logs-stats" items={[`${answer.rows.length} lines`, took, answer.limitHit && 'limit reached — narrow the query or raise the line limit to see more']} />
      {answer.rows.length === 0 ? (
        <IfNoLogs>
          <EmptyState title="No lines" icon="search">
            <p>
              Nothing matches <code>{query}</code> in this range. Widen the time range, check the stream selector's labels, or remove a filter.
            </p>
          </EmptyState>
        </IfNoLogs>
      ) : (
        <Suspense fallback={<Spinner />}>
          <LogList rows={answer.rows} />
        </Suspense>
      )}
    </>
  );
}

/** How far back "are there any logs at all?" looks. */
const ANY_LOGS_WINDOW_MS = 30 * 86400_000;

/**
 * Shows `children` unless no log line has arrived at all, in which case searching cannot help: it says how
 * to send some instead. While that is being checked, `children` shows.
 */
function IfNoLogs({ children }: { children: ReactNode }) {
  const [empty, setEmpty] = useState(false);
  useEffect(() => {
    const ctl = new AbortController();
    lokiLabels(Date.now() - ANY_LOGS_WINDOW_MS, ctl.signal)
      .then((names) => setEmpty(names.length === 0))
      .catch(() => undefined); // the query's own error, if any, says more
    return () => ctl.abort();
  }, []);
  if (!empty) return <>{children}</>;
  const origin = window.location.origin;
  return (
    <EmptyState title="No logs yet" icon="logs">
      <p>
        Nothing has been sent to this server. Point Promtail, Grafana Alloy or any Loki client at <code data-testid="loki-push-url">{origin}/loki/api/v1/push</code>; OpenTelemetry
        SDKs and collectors at <code>{origin}/v1/logs</code>; Fluent Bit, Vector or Logstash (Elasticsearch output) at <code>{origin}/_bulk</code>. Or run{' '}
        <code>sextant agent</code> on a node to ship its log files.
      </p>
      <DocsHint doc="logs.md" what="formats, label mapping and the agent" />
    </EmptyState>
  );
}
