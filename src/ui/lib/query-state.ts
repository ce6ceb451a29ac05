/**
 * The URL state of the query pages (Explore, Logs, Traces): what to query and over which time range, as URL
 * parameters, so a copied link reproduces the view. One codec per page keeps that page's parameter names —
 * Explore uses Prometheus' own (`g0.expr`, `g0.range_input`, `g0.end_input`, `g0.step_input`, `g0.tab`), Logs
 * and Traces their own short ones — so links people already have keep opening the same view. The time range
 * is parsed, validated and turned into a query window here, once, for all three.
 */
import { parseDuration } from './format.js';

/** A page's state to and from the query string (without the leading '?'). */
export interface UrlCodec<S> {
  parse(search: string): S;
  serialize(s: S): string;
}

/** A time range ending at a fixed time or now. */
export interface TimeRange {
  /** Range as a duration string, e.g. "1h". */
  range: string;
  /** Fixed end time in ms since the epoch, or null for "now". */
  endMs: number | null;
}

export const RANGE_PRESETS: readonly string[] = ['5m', '15m', '1h', '3h', '6h', '12h', '1d', '2d', '7d'];
export const DEFAULT_RANGE = '1h';

/** A range parameter, or the default when it is missing or not a duration (a bad link still opens). */
export function parseRange(raw: string | null): string {
  return raw !== null && parseDuration(raw) !== null ? raw : DEFAULT_RANGE;
}

export function rangeMillis(range: string): number {
  return parseDuration(range) ?? parseDuration(DEFAULT_RANGE)!;
}

/** An end time given as ms since the epoch (Logs, Traces), or null. */
function parseEndMs(raw: string | null): number | null {
  const n = Number(raw);
  return raw !== null && Number.isFinite(n) && n > 0 ? n : null;
}

function oneOf<T extends number>(allowed: readonly T[], raw: string | null, fallback: T): T {
  const n = Number(raw);
  return allowed.includes(n as T) ? (n as T) : fallback;
}

/**
 * The query window in Unix seconds, both ends on multiples of `stepSec` so successive refreshes evaluate the
 * same points: 'floor' for graphs (the last point is complete), 'ceil' for histogram buckets that must cover now.
 */
export function queryWindow(t: TimeRange, stepSec: number, nowMs: number, round: 'floor' | 'ceil' = 'floor'): { start: number; end: number } {
  const r = round === 'floor' ? Math.floor : Math.ceil;
  const end = r(((t.endMs ?? nowMs) / 1000) / stepSec) * stepSec;
  return { start: end - r(rangeMillis(t.range) / 1000 / stepSec) * stepSec, end };
}

// ---- Explore ----

export type ExploreTab = 'graph' | 'table';

export interface QueryState extends TimeRange {
  expr: string;
  /** Explicit step in seconds, or null for automatic. */
  stepSeconds: number | null;
  tab: ExploreTab;
}
export type ExploreState = QueryState;

export const DEFAULT_STATE: QueryState = { expr: '', range: DEFAULT_RANGE, endMs: null, stepSeconds: null, tab: 'graph' };

export function parseQueryState(search: string): QueryState {
  const p = new URLSearchParams(search);
  const end = p.get('g0.end_input');
  const endMs = end ? Date.parse(end) : NaN;
  const step = Number(p.get('g0.step_input'));
  const tab = p.get('g0.tab');
  return {
    expr: p.get('g0.expr') ?? '',
    range: parseRange(p.get('g0.range_input')),
    endMs: Number.isFinite(endMs) ? endMs : null,
    stepSeconds: Number.isFinite(step) && step > 0 ? step : null,
    // Prometheus' UI uses tab=0 for graph and tab=1 for table.
    tab: tab === '1' || tab === 'table' ? 'table' : 'graph',
  };
}

export function serializeQueryState(s: QueryState): string {
  const p = new URLSearchParams();
  p.set('g0.expr', s.expr.trim());
  p.set('g0.tab', s.tab === 'table' ? '1' : '0');
  p.set('g0.range_input', s.range);
  if (s.endMs !== null) p.set('g0.end_input', new Date(s.endMs).toISOString());
  if (s.stepSeconds !== null) p.set('g0.step_input', String(s.stepSeconds));
  return p.toString();
}

export const exploreCodec: UrlCodec<ExploreState> = { parse: parseQueryState, serialize: serializeQueryState };

// ---- Logs: ?query=&range=&end=<ms>&limit= ----

export const LINE_LIMITS = [100, 1000, 5000] as const;
const DEFAULT_LINES = 1000;

export interface LogsState extends TimeRange {
  query: string;
  limit: number;
}

export const logsCodec: UrlCodec<LogsState> = {
  parse(search) {
    const p = new URLSearchParams(search);
    return { query: p.get('query') ?? '', range: parseRange(p.get('range')), endMs: parseEndMs(p.get('end')), limit: oneOf(LINE_LIMITS, p.get('limit'), DEFAULT_LINES) };
  },
  serialize(s) {
    const p = new URLSearchParams();
    p.set('query', s.query.trim());
    p.set('range', s.range);
    if (s.endMs !== null) p.set('end', String(s.endMs));
    if (s.limit !== DEFAULT_LINES) p.set('limit', String(s.limit));
    return p.toString();
  },
};

// ---- Traces: ?service=&operation=&tags=&minDuration=&maxDuration= or ?mode=traceql&q=, then &range=&end=<ms>&limit= ----

export const TRACE_LIMITS = [20, 50, 100, 500] as const;
const DEFAULT_TRACES = 20;
const FORM_FIELDS = ['service', 'operation', 'tags', 'minDuration', 'maxDuration'] as const;

export interface TraceSearchState extends TimeRange {
  mode: 'form' | 'traceql';
  service: string;
  operation: string;
  tags: string;
  minDuration: string;
  maxDuration: string;
  q: string;
  limit: number;
  /** Whether a search was asked for: a bare /traces shows the search form, not every trace. */
  searched: boolean;
}

export const tracesCodec: UrlCodec<TraceSearchState> = {
  parse(search) {
    const p = new URLSearchParams(search);
    return {
      mode: p.get('mode') === 'traceql' ? 'traceql' : 'form',
      service: p.get('service') ?? '',
      operation: p.get('operation') ?? '',
      tags: p.get('tags') ?? '',
      minDuration: p.get('minDuration') ?? '',
      maxDuration: p.get('maxDuration') ?? '',
      q: p.get('q') ?? '',
      range: parseRange(p.get('range')),
      endMs: parseEndMs(p.get('end')),
      limit: oneOf(TRACE_LIMITS, p.get('limit'), DEFAULT_TRACES),
      searched: [...p.keys()].length > 0,
    };
  },
  serialize(s) {
    const p = new URLSearchParams();
    if (s.mode === 'traceql') {
      p.set('mode', 'traceql');
      p.set('q', s.q.trim());
    } else {
      for (const k of FORM_FIELDS) if (s[k].trim()) p.set(k, s[k].trim());
    }
    p.set('range', s.range);
    if (s.endMs !== null) p.set('end', String(s.endMs));
    if (s.limit !== DEFAULT_TRACES) p.set('limit', String(s.limit));
    return p.toString();
  },
};

/** The form as TraceQL: one span must satisfy every field, as Jaeger's search means it. */
export function formToTraceQL(s: Pick<TraceSearchState, 'service' | 'operation' | 'tags' | 'minDuration' | 'maxDuration'>): string {
  const parts: string[] = [];
  if (s.service) parts.push(`resource.service.name = ${JSON.stringify(s.service)}`);
  if (s.operation) parts.push(`name = ${JSON.stringify(s.operation)}`);
  for (const m of s.tags.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const key = m[1];
    const raw = m[2].startsWith('"') ? unquote(m[2]) : m[2];
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

/** A double-quoted tag value; one with an escape JSON does not know is taken as written rather than failing. */
function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}
