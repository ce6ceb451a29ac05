/**
 * Logs: a LogQL query over a time range. Log queries show the volume over time (stacked by level; drag to
 * zoom) and the lines, newest first; metric queries show a graph. Live tail streams new lines over the Loki
 * tail WebSocket. The query, range and end time live in the URL, so a copied link reproduces the view.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { formatDuration, parseDuration } from '../lib/format.js';
import { RANGE_PRESETS } from '../lib/query-state.js';
import { navigate, useLocation } from '../lib/router.js';
import { alignMatrix, type AlignedSeries } from '../lib/series.js';
import { Icon } from '../components/Icon.js';
import { EmptyState, ErrorState, Spinner } from '../components/States.js';
import { bucketSeconds, isMetricQuery, LokiError, lokiQueryRange, volumeQuery, type LokiQueryData, type LokiStream } from '../components/logs/loki-api.js';
import type { LogRow } from '../components/logs/LogList.js';
import type { VolumeSeries } from '../components/logs/VolumeHistogram.js';
import { levelColor } from '../components/logs/level-color.js';
import { normaliseLevel } from '../components/logs/detect.js';
import '../components/logs/logs.css';

const LogQLEditor = lazy(() => import('../components/logs/LogQLEditor.js'));
const VolumeHistogram = lazy(() => import('../components/logs/VolumeHistogram.js'));
const LogList = lazy(() => import('../components/logs/LogList.js'));
const Graph = lazy(() => import('../components/Graph.js'));

const LINE_LIMITS = [100, 1000, 5000] as const;
const MAX_LIVE_ROWS = 2000;

interface LogsState {
  query: string;
  range: string;
  endMs: number | null;
  limit: number;
}

function parseState(search: string): LogsState {
  const p = new URLSearchParams(search);
  const range = p.get('range') ?? '1h';
  const end = Number(p.get('end'));
  const limit = Number(p.get('limit'));
  return {
    query: p.get('query') ?? '',
    range: parseDuration(range) === null ? '1h' : range,
    endMs: Number.isFinite(end) && end > 0 ? end : null,
    limit: LINE_LIMITS.includes(limit as (typeof LINE_LIMITS)[number]) ? limit : 1000,
  };
}

function serialize(s: LogsState): string {
  const p = new URLSearchParams();
  p.set('query', s.query);
  p.set('range', s.range);
  if (s.endMs !== null) p.set('end', String(s.endMs));
  if (s.limit !== 1000) p.set('limit', String(s.limit));
  return p.toString();
}

type Result =
  | { kind: 'idle' }
  | { kind: 'error'; message: string }
  | { kind: 'logs'; rows: LogRow[]; tookMs: number; limitHit: boolean }
  | { kind: 'metric'; series: AlignedSeries; count: number; tookMs: number };

type Volume = { times: number[]; series: VolumeSeries[] } | { error: string } | null;

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

export function LogsPage() {
  const { search } = useLocation();
  const state = useMemo(() => parseState(search), [search]);
  const [draft, setDraft] = useState(state.query);
  const [result, setResult] = useState<Result>({ kind: 'idle' });
  const [volume, setVolume] = useState<Volume>(null);
  const [loading, setLoading] = useState(false);
  const [runCount, setRunCount] = useState(0);
  const [live, setLive] = useState(false);
  const [liveRows, setLiveRows] = useState<LogRow[]>([]);
  const [liveError, setLiveError] = useState<string | null>(null);

  useEffect(() => setDraft(state.query), [state.query]);

  const update = useCallback((patch: Partial<LogsState>, replace = false) => navigate(`/logs?${serialize({ ...state, ...patch })}`, replace), [state]);

  const run = useCallback(() => {
    update({ query: draft.trim() });
    setRunCount((n) => n + 1);
  }, [draft, update]);

  const rangeMs = parseDuration(state.range) ?? 3600_000;
  const metric = state.query !== '' && isMetricQuery(state.query);

  useEffect(() => {
    if (state.query === '') {
      setResult({ kind: 'idle' });
      setVolume(null);
      setLoading(false);
      return;
    }
    const ctl = new AbortController();
    setLoading(true);
    const endMs = state.endMs ?? Date.now();
    const startMs = endMs - rangeMs;
    const started = performance.now();
    const fail = (err: unknown) => {
      if (ctl.signal.aborted) return;
      setResult({ kind: 'error', message: err instanceof LokiError || err instanceof Error ? err.message : String(err) });
      setLoading(false);
    };
    const range = { start: `${startMs}000000`, end: `${endMs}000000` };
    if (metric) {
      setVolume(null);
      const stepSec = bucketSeconds(rangeMs, 250);
      const alignedEnd = Math.floor(endMs / 1000 / stepSec) * stepSec;
      const alignedStart = alignedEnd - Math.floor(rangeMs / 1000 / stepSec) * stepSec;
      lokiQueryRange({ query: state.query, start: String(alignedStart), end: String(alignedEnd), step: String(stepSec) }, ctl.signal)
        .then((data: LokiQueryData) => {
          if (ctl.signal.aborted) return;
          const series = data.resultType === 'matrix' ? data.result : [];
          setResult({ kind: 'metric', series: alignMatrix(series, alignedStart, alignedEnd, stepSec), count: series.length, tookMs: performance.now() - started });
          setLoading(false);
        })
        .catch(fail);
    } else {
      lokiQueryRange({ query: state.query, ...range, limit: String(state.limit), direction: 'backward' }, ctl.signal)
        .then((data) => {
          if (ctl.signal.aborted) return;
          const rows = data.resultType === 'streams' ? toRows(data.result) : [];
          setResult({ kind: 'logs', rows, tookMs: performance.now() - started, limitHit: rows.length >= state.limit });
          setLoading(false);
        })
        .catch(fail);
      // The volume runs alongside; its failure does not hide the lines.
      const stepSec = bucketSeconds(rangeMs);
      const vEnd = Math.ceil(endMs / 1000 / stepSec) * stepSec;
      const vStart = vEnd - Math.ceil(rangeMs / 1000 / stepSec) * stepSec;
      lokiQueryRange({ query: volumeQuery(state.query, stepSec), start: String(vStart), end: String(vEnd), step: String(stepSec) }, ctl.signal)
        .then((data) => {
          if (ctl.signal.aborted) return;
          const series = data.resultType === 'matrix' ? data.result : [];
          const aligned = alignMatrix(series, vStart, vEnd, stepSec);
          const order = ['critical', 'fatal', 'error', 'warn', 'warning', 'info', 'debug', 'trace'];
          const rank = (l: string) => {
            const i = order.indexOf(l.toLowerCase());
            return i < 0 ? order.length : i;
          };
          // INFO, info and Information are one level.
          const merged = new Map<string, (number | null)[]>();
          series.forEach((s, i) => {
            const level = normaliseLevel(s.metric.level) ?? (s.metric.level ? s.metric.level.toLowerCase() : 'logs');
            const col = aligned.columns[i];
            const prev = merged.get(level);
            merged.set(level, prev ? prev.map((v, j) => (v === null && col[j] === null ? null : (v ?? 0) + (col[j] ?? 0))) : col);
          });
          const vs = [...merged].map(([level, counts]) => ({ level, counts })).sort((a, b) => rank(a.level) - rank(b.level));
          setVolume({ times: aligned.times, series: vs });
        })
        .catch((err: unknown) => {
          if (!ctl.signal.aborted) setVolume({ error: err instanceof Error ? err.message : String(err) });
        });
    }
    return () => ctl.abort();
  }, [state.query, state.range, state.endMs, state.limit, rangeMs, metric, runCount]);

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

  const zoom = useCallback((fromMs: number, toMs: number) => {
    if (toMs - fromMs < 1000) return;
    update({ range: formatDuration(toMs - fromMs), endMs: toMs });
  }, [update]);

  const rows = live ? liveRows : result.kind === 'logs' ? result.rows : [];

  return (
    <div className="page logs">
      <header className="page-header">
        <div>
          <h1>Logs</h1>
          <p className="page-subtitle">Search and tail logs with LogQL</p>
        </div>
      </header>

      <section className="card query-card">
        <div className="query-row">
          <div className="editor-frame">
            <Suspense fallback={<div className="promql-editor promql-editor-loading">{draft || '\u00a0'}</div>}>
              <LogQLEditor value={draft} onChange={setDraft} onRun={run} autoFocus />
            </Suspense>
          </div>
          <button type="button" className="btn btn-primary run-btn" onClick={run} title="Run query (Shift+Enter or Ctrl/⌘+Enter)">
            <Icon name="play" />
            Run
          </button>
        </div>
        <div className="query-hint">
          <kbd>Shift</kbd>+<kbd>Enter</kbd> or <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd> to run · a metric query such as <code>rate(&#123;job="api"&#125;[1m])</code> draws a graph
        </div>
      </section>

      <div className="toolbar">
        <div className="logs-toolbar-row">
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
            <label className="field">
              <span>Lines</span>
              <select value={state.limit} onChange={(e) => update({ limit: Number(e.target.value) }, true)} aria-label="Line limit">
                {LINE_LIMITS.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        <div className="toolbar-controls">
          <div className="segmented" role="group" aria-label="Time range">
            {RANGE_PRESETS.map((r) => (
              <button key={r} type="button" className={state.range === r ? 'active' : ''} aria-pressed={state.range === r} onClick={() => update({ range: r, query: draft.trim() }, true)}>
                {r}
              </button>
            ))}
            {!RANGE_PRESETS.includes(state.range) && (
              <button type="button" className="active" aria-pressed="true">
                {formatDuration(rangeMs)}
              </button>
            )}
          </div>
          <div className="field end-field">
            <span>End</span>
            {state.endMs === null ? (
              <button type="button" className="btn btn-small" onClick={() => update({ endMs: Math.floor(Date.now() / 1000) * 1000 }, true)} title="The range ends now. Click to pin a fixed end time.">
                <Icon name="clock" size={14} />
                now
              </button>
            ) : (
              <>
                <input
                  type="datetime-local"
                  step={1}
                  value={toLocalInput(state.endMs)}
                  aria-label="End time"
                  data-testid="logs-end"
                  onChange={(e) => e.target.value && update({ endMs: new Date(e.target.value).getTime() }, true)}
                />
                <button type="button" className="btn btn-small" onClick={() => update({ endMs: null }, true)} title="End the range at the current time again">
                  Back to now
                </button>
              </>
            )}
          </div>
        </div>
      </div>

      <section className={`card result-card${loading ? ' is-loading' : ''}`} aria-live="polite" aria-busy={loading}>
        {loading && <div className="progress-bar" />}
        {loading && (result.kind === 'idle' || result.kind === 'error') ? (
          <div className="loading-state">
            <Spinner /> Running query…
          </div>
        ) : live ? (
          <>
            <div className="stats" data-testid="logs-stats">
              <span>live · {liveRows.length} lines</span>
            </div>
            {liveError && <ErrorState title="Live tail error" message={liveError} />}
            {liveRows.length === 0 && !liveError ? (
              <EmptyState title="Waiting for new lines" icon="logs">
                <p>Lines matching <code>{state.query}</code> appear here as they arrive.</p>
              </EmptyState>
            ) : (
              <Suspense fallback={<Spinner />}>
                <LogList rows={rows} />
              </Suspense>
            )}
          </>
        ) : (
          <ResultView
            result={result}
            volume={volume}
            query={state.query}
            onZoom={zoom}
            onExample={(q) => {
              setDraft(q);
              update({ query: q });
            }}
          />
        )}
      </section>
    </div>
  );
}

/** datetime-local works in local time without a zone, as the Explore page's end picker. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function ResultView({ result, volume, query, onZoom, onExample }: { result: Result; volume: Volume; query: string; onZoom(a: number, b: number): void; onExample(q: string): void }) {
  switch (result.kind) {
    case 'idle':
      return (
        <EmptyState title="Search your logs" icon="logs">
          <p>
            Write a LogQL query — a stream selector such as <code>{'{job="api"}'}</code>, optionally followed by filters like <code>|= "error"</code> — and press <kbd>Shift</kbd>+<kbd>Enter</kbd>. Try:
          </p>
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
      return <ErrorState title="Query error" message={result.message} detail="LogQL" />;
    case 'metric':
      return (
        <>
          <div className="stats" data-testid="logs-stats">
            <span>{result.count} series</span>
            <span>{Math.round(result.tookMs)} ms</span>
          </div>
          {result.count === 0 ? (
            <EmptyState title="No data" icon="search">
              <p>
                <code>{query}</code> returned no series in this range — widen the range or loosen the selector.
              </p>
            </EmptyState>
          ) : (
            <Suspense fallback={<div className="graph-placeholder"><Spinner /></div>}>
              <Graph data={result.series} />
            </Suspense>
          )}
        </>
      );
    case 'logs':
      return (
        <>
          {volume && 'series' in volume && volume.series.length > 0 && (
            <>
              <div className="log-volume-legend" aria-label="Levels">
                {volume.series.map((s) => (
                  <span key={s.level}>
                    <span className="swatch" style={{ background: levelColor(s.level) }} />
                    {s.level}
                  </span>
                ))}
              </div>
              <Suspense fallback={<div className="log-volume" />}>
                <VolumeHistogram times={volume.times} series={volume.series} onZoom={onZoom} />
              </Suspense>
            </>
          )}
          {volume && 'error' in volume && <div className="warning-banner"><Icon name="warning" /> Log volume unavailable: {volume.error}</div>}
          <div className="stats" data-testid="logs-stats">
            <span>{result.rows.length} lines</span>
            <span>{Math.round(result.tookMs)} ms</span>
            {result.limitHit && <span>limit reached — narrow the query or raise the line limit to see more</span>}
          </div>
          {result.rows.length === 0 ? (
            <EmptyState title="No lines" icon="search">
              <p>
                Nothing matches <code>{query}</code> in this range. Widen the time range, check the stream selector's labels, or remove a filter.
              </p>
            </EmptyState>
          ) : (
            <Suspense fallback={<Spinner />}>
              <LogList rows={result.rows} />
            </Suspense>
          )}
        </>
      );
  }
}
