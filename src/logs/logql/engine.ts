/**
 * The LogQL engine: log queries (selector + pipeline → streams) and metric queries (range aggregations over
 * pipelines, vector aggregations, binary operations) evaluated over a LogStore. What the store can do is
 * pushed down: stream matchers, the time range and the line filters that precede any stage that rewrites the
 * line, so a search does not read what it need not.
 */
import type { Label, Labels } from '../../model/labels.js';
import { compareLabels, labelsKey } from '../../model/labels.js';
import type { LineFilter, LogStore } from '../store/interface.js';
import type { LogEntry } from '../model.js';
import { quantile } from '../../metrics/promql/quantile.js';
import { anchoredRegExp } from '../../model/matcher.js';
import type {
  BinaryExpr,
  Expr,
  Grouping,
  LogSelectorExpr,
  MetricExpr,
  RangeAggregationExpr,
  Stage,
  VectorAggregationExpr,
} from './ast.js';
import { parseLogQL } from './parse.js';
import { ERROR_DETAILS_LABEL, ERROR_LABEL, Pipeline, SAMPLE_ERR, compileLabelFilter, toLabels, type LineState } from './pipeline.js';
import { parseBytes, parseGoDuration } from './units.js';

/** An error while evaluating (not parsing) a query; the API answers 400 as Loki does for pipeline errors. */
export class LogQLExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogQLExecError';
  }
}

export interface ResultEntry {
  ts: bigint;
  line: string;
  /** The entry as stored (original stream labels and structured metadata). */
  source: LogEntry;
}

export interface ResultStream {
  labels: Labels;
  entries: ResultEntry[];
}

export interface MatrixSeries {
  labels: Labels;
  /** [ms, value] in time order. */
  points: [number, number][];
}

export type LogQLResult =
  | { type: 'streams'; streams: ResultStream[] }
  | { type: 'matrix'; series: MatrixSeries[] }
  | { type: 'vector'; samples: { labels: Labels; value: number }[]; timeMs: number }
  | { type: 'scalar'; value: number; timeMs: number };

export interface QueryStats {
  linesProcessed: number;
  bytesProcessed: number;
  entriesReturned: number;
  execTimeSeconds: number;
}

export interface RangeQueryParams {
  query: string | Expr;
  /** Nanoseconds; log queries read [start, end), metric queries evaluate at start, start+step, ... ≤ end. */
  start: bigint;
  end: bigint;
  stepMs: number;
  direction: 'forward' | 'backward';
  limit: number;
  signal?: AbortSignal;
}

export interface InstantQueryParams {
  query: string | Expr;
  time: bigint;
  direction: 'forward' | 'backward';
  limit: number;
  signal?: AbortSignal;
}

export interface LogQLEngineOptions {
  store: LogStore;
  /** How far back an instant log query reads (ms); Loki reads nothing sensible there, we read this window. */
  instantLogLookbackMs?: number;
  /** Largest number of series a metric query may produce. */
  maxSeries?: number;
}

/** Leading line filters (before any stage that rewrites the line) go to the store; the rest stay here. */
export function splitPushdown(stages: readonly Stage[]): { pushed: LineFilter[]; rest: Stage[] } {
  const pushed: LineFilter[] = [];
  const rest: Stage[] = [];
  let lineChanged = false;
  for (const st of stages) {
    if (st.type === 'lineFormat' || st.type === 'decolorize' || st.type === 'unpack') lineChanged = true;
    // ip() and pattern filters are evaluated here: the store only knows substrings and regexes.
    if (st.type === 'lineFilter' && !lineChanged && !st.ips?.length && !st.patterns?.length) pushed.push({ op: st.op, values: st.values });
    else rest.push(st);
  }
  return { pushed, rest };
}

interface StepSeries {
  labels: Labels;
  key: string;
  values: Float64Array;
  present: Uint8Array;
}

type Value = { kind: 'vector'; series: StepSeries[] } | { kind: 'scalar'; values: Float64Array };

interface EvalCtx {
  startMs: number;
  stepMs: number;
  steps: number;
  signal?: AbortSignal;
  stats: QueryStats;
}

function newStats(): QueryStats {
  return { linesProcessed: 0, bytesProcessed: 0, entriesReturned: 0, execTimeSeconds: 0 };
}

const NS_PER_MS = 1000000n;

/** ns bigint → µs number: exact for any realistic date, cheap enough per entry. */
function toUs(ts: bigint): number {
  return Number(ts / 1000n);
}

export class LogQLEngine {
  constructor(private readonly opts: LogQLEngineOptions) {}

  async queryRange(p: RangeQueryParams): Promise<{ result: LogQLResult; stats: QueryStats }> {
    const t0 = performance.now();
    const expr = typeof p.query === 'string' ? parseLogQL(p.query) : p.query;
    const stats = newStats();
    let result: LogQLResult;
    if (expr.kind === 'log') {
      result = { type: 'streams', streams: await this.selectLogs(expr, p.start, p.end, p.direction, p.limit, stats, p.signal) };
    } else {
      const startMs = Number(p.start / NS_PER_MS);
      const endMs = Number(p.end / NS_PER_MS);
      const stepMs = Math.max(1, p.stepMs);
      const steps = Math.floor((endMs - startMs) / stepMs) + 1;
      if (steps <= 0) throw new LogQLExecError('invalid time range: end is before start');
      if (steps > 11000) throw new LogQLExecError('exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter');
      const ctx: EvalCtx = { startMs, stepMs, steps, signal: p.signal, stats };
      const v = await this.evalMetric(expr, ctx);
      result = toMatrix(v, ctx);
    }
    stats.execTimeSeconds = (performance.now() - t0) / 1000;
    return { result, stats };
  }

  async queryInstant(p: InstantQueryParams): Promise<{ result: LogQLResult; stats: QueryStats }> {
    const t0 = performance.now();
    const expr = typeof p.query === 'string' ? parseLogQL(p.query) : p.query;
    const stats = newStats();
    let result: LogQLResult;
    const timeMs = Number(p.time / NS_PER_MS);
    if (expr.kind === 'log') {
      const lookback = BigInt(this.opts.instantLogLookbackMs ?? 3600000) * NS_PER_MS;
      result = { type: 'streams', streams: await this.selectLogs(expr, p.time - lookback, p.time + 1n, p.direction, p.limit, stats, p.signal) };
    } else {
      const ctx: EvalCtx = { startMs: timeMs, stepMs: 1, steps: 1, signal: p.signal, stats };
      const v = await this.evalMetric(expr, ctx);
      if (v.kind === 'scalar') result = { type: 'scalar', value: v.values[0], timeMs };
      else {
        const samples = v.series.filter((s) => s.present[0]).map((s) => ({ labels: s.labels, value: s.values[0] }));
        if (!isSorted(expr)) samples.sort((a, b) => compareLabels(a.labels, b.labels));
        result = { type: 'vector', samples, timeMs };
      }
    }
    stats.execTimeSeconds = (performance.now() - t0) / 1000;
    return { result, stats };
  }

  /** Reads entries through the pipeline; `limit` entries in `direction` order, grouped into streams. */
  async selectLogs(
    expr: LogSelectorExpr,
    start: bigint,
    end: bigint,
    direction: 'forward' | 'backward',
    limit: number,
    stats: QueryStats,
    signal?: AbortSignal,
  ): Promise<ResultStream[]> {
    const { pushed, rest } = splitPushdown(expr.pipeline);
    const pipeline = new Pipeline(rest);
    const streams = new Map<string, ResultStream>();
    let count = 0;
    const filtersMore = rest.some((s) => s.type === 'lineFilter' || s.type === 'labelFilter');
    const it = this.opts.store.select({
      matchers: expr.matchers,
      start,
      end,
      direction,
      limit: filtersMore ? 0 : limit,
      lineFilters: pushed,
      signal,
    });
    outer: for await (const batch of it) {
      for (const e of batch) {
        stats.linesProcessed++;
        stats.bytesProcessed += e.line.length;
        const r = pipeline.process(e);
        if (!r) continue;
        let s = streams.get(r.key);
        if (!s) {
          s = { labels: r.labels, entries: [] };
          streams.set(r.key, s);
        }
        s.entries.push({ ts: e.ts, line: r.line, source: e });
        if (limit > 0 && ++count >= limit) break outer;
      }
      if (signal?.aborted) throw new LogQLExecError('query canceled');
    }
    stats.entriesReturned = limit > 0 ? Math.min(count, limit) : [...streams.values()].reduce((a, s) => a + s.entries.length, 0);
    return [...streams.values()];
  }

  private async evalMetric(e: MetricExpr, ctx: EvalCtx): Promise<Value> {
    switch (e.kind) {
      case 'literal':
        return { kind: 'scalar', values: new Float64Array(ctx.steps).fill(e.value) };
      case 'vector':
        return { kind: 'vector', series: [{ labels: [], key: '', values: new Float64Array(ctx.steps).fill(e.value), present: new Uint8Array(ctx.steps).fill(1) }] };
      case 'range':
        return { kind: 'vector', series: await this.evalRange(e, ctx) };
      case 'vector_agg': {
        // sum by (g) over a summable range aggregation: group while reading, so a line with unique parsed
        // labels (trace ids, user ids) does not become a series of its own. Same result, far less work.
        if (e.op === 'sum' && e.expr.kind === 'range' && !e.expr.grouping && SUMMABLE.has(e.expr.op)) {
          return { kind: 'vector', series: await this.evalRange(e.expr, ctx, e.grouping ?? { without: false, labels: [] }) };
        }
        const inner = await this.evalMetric(e.expr, ctx);
        if (inner.kind === 'scalar') throw new LogQLExecError(`${e.op} needs a vector argument`);
        return { kind: 'vector', series: aggregate(e, inner.series, ctx) };
      }
      case 'binary': {
        const [l, r] = await Promise.all([this.evalMetric(e.lhs, ctx), this.evalMetric(e.rhs, ctx)]);
        return binary(e, l, r, ctx);
      }
      case 'label_replace': {
        const inner = await this.evalMetric(e.expr, ctx);
        if (inner.kind === 'scalar') throw new LogQLExecError('label_replace needs a vector argument');
        const re = anchoredRegExp(e.regex);
        const repl = e.replacement.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
          const n = a ?? b!;
          return /^[0-9]+$/.test(n) ? `$${n}` : `$<${n}>`;
        });
        return {
          kind: 'vector',
          series: inner.series.map((s) => {
            const src = s.labels.find((l) => l.name === e.src)?.value ?? '';
            const m = re.exec(src);
            if (!m) return s;
            const value = src.replace(re, repl);
            const rec = new Map(s.labels.map((l) => [l.name, l.value]));
            if (value === '') rec.delete(e.dst);
            else rec.set(e.dst, value);
            const labels = toLabels(rec);
            return { ...s, labels, key: labelsKey(labels) };
          }),
        };
      }
    }
  }

  private async evalRange(e: RangeAggregationExpr, ctx: EvalCtx, sumGrouping?: Grouping): Promise<StepSeries[]> {
    const { pushed, rest } = splitPushdown(e.log.pipeline);
    const pipeline = new Pipeline(rest);
    const rangeUs = e.rangeMs * 1000;
    const offsetUs = e.offsetMs * 1000;
    const firstEvalUs = ctx.startMs * 1000;
    const lastEvalUs = (ctx.startMs + (ctx.steps - 1) * ctx.stepMs) * 1000;
    // Windows are (t - range, t]; read (first - range, last] shifted by the offset.
    const fromNs = BigInt(Math.round(firstEvalUs - offsetUs - rangeUs)) * 1000n + 1n;
    const toNs = BigInt(Math.round(lastEvalUs - offsetUs)) * 1000n + 1n;
    const postFilters = e.unwrap?.postFilters.map(compileLabelFilter) ?? [];
    const unwrapName = e.unwrap?.label;
    const conv = e.unwrap?.conversion ?? '';
    const grouping: Grouping | undefined = sumGrouping ?? (e.unwrap && !e.grouping ? { without: true, labels: [e.unwrap.label] } : e.grouping);
    const byNames = grouping && !grouping.without ? [...new Set(grouping.labels)].sort() : undefined;
    const byBytes = e.op === 'bytes_over_time' || e.op === 'bytes_rate';

    interface Acc {
      labels: Labels;
      ts: Float64Array;
      vals: Float64Array;
      n: number;
    }
    const series = new Map<string, Acc>();
    const push = (labels: Labels, key: string, tsUs: number, v: number): void => {
      let a = series.get(key);
      if (!a) {
        a = { labels, ts: new Float64Array(64), vals: new Float64Array(64), n: 0 };
        series.set(key, a);
        if (this.opts.maxSeries && series.size > this.opts.maxSeries) throw new LogQLExecError(`maximum of series (${this.opts.maxSeries}) reached for a single query`);
      }
      if (a.n === a.ts.length) {
        const ts = new Float64Array(a.n * 2);
        ts.set(a.ts);
        const vals = new Float64Array(a.n * 2);
        vals.set(a.vals);
        a.ts = ts;
        a.vals = vals;
      }
      a.ts[a.n] = tsUs;
      a.vals[a.n] = v;
      a.n++;
    };
    const groupCache = new Map<string, { labels: Labels; key: string }>();
    const groupOf = (labels: Labels, key: string): { labels: Labels; key: string } => {
      if (!grouping) return { labels, key };
      let g = groupCache.get(key);
      if (!g) {
        const names = new Set(grouping.labels);
        const ls = labels.filter((l) => (grouping.without ? !names.has(l.name) : names.has(l.name)));
        g = { labels: ls, key: labelsKey(ls) };
        groupCache.set(key, g);
      }
      return g;
    };
    const fastPath = !e.unwrap && pipeline.labelStagesFree;
    const it = this.opts.store.select({ matchers: e.log.matchers, start: fromNs, end: toNs, direction: 'forward', limit: 0, lineFilters: pushed, signal: ctx.signal });
    for await (const batch of it) {
      for (const entry of batch) {
        ctx.stats.linesProcessed++;
        ctx.stats.bytesProcessed += entry.line.length;
        if (fastPath && !entry.metadata) {
          const r = pipeline.process(entry);
          if (!r) continue;
          const g = groupOf(r.labels, r.key);
          push(g.labels, g.key, toUs(entry.ts), byBytes ? Buffer.byteLength(r.line) : 1);
          continue;
        }
        const s = pipeline.processState(entry);
        if (!s) continue;
        let v = 1;
        if (byBytes) v = Buffer.byteLength(s.line);
        if (unwrapName !== undefined) {
          if (!s.labels.has(ERROR_LABEL)) {
            const raw = s.labels.get(unwrapName) ?? '';
            const parsed = convertUnwrap(raw, conv);
            if (parsed === undefined) {
              s.labels.set(ERROR_LABEL, SAMPLE_ERR);
              s.labels.set(ERROR_DETAILS_LABEL, `${conv === '' ? 'strconv.ParseFloat' : conv}: parsing ${JSON.stringify(raw)}: invalid syntax`);
            } else v = parsed;
          }
          if (!postFilters.every((f) => f(s))) continue;
        }
        const err = s.labels.get(ERROR_LABEL);
        if (err !== undefined && err !== '') throw pipelineError(err, s);
        s.labels.delete(ERROR_LABEL);
        s.labels.delete(ERROR_DETAILS_LABEL);
        if (byNames) {
          // Only the grouping labels matter: no full label set per line.
          const ls: Label[] = [];
          for (const name of byNames) {
            const val = s.labels.get(name);
            if (val) ls.push({ name, value: val });
          }
          push(ls, labelsKey(ls), toUs(entry.ts), v);
          continue;
        }
        let labels = toLabels(s.labels);
        if (grouping) {
          const drop = new Set(grouping.labels);
          labels = labels.filter((l) => !drop.has(l.name));
        }
        push(labels, labelsKey(labels), toUs(entry.ts), v);
      }
      if (ctx.signal?.aborted) throw new LogQLExecError('query canceled');
    }

    if (e.op === 'absent_over_time') return absentOverTime(e, series, ctx);

    const out: StepSeries[] = [];
    const rangeS = e.rangeMs / 1000;
    for (const [key, a] of series) {
      const values = new Float64Array(ctx.steps);
      const present = new Uint8Array(ctx.steps);
      let lo = 0;
      let hi = 0;
      // Prefix sums make count/sum windows O(1) per step.
      const prefix = new Float64Array(a.n + 1);
      for (let i = 0; i < a.n; i++) prefix[i + 1] = prefix[i] + a.vals[i];
      let any = false;
      for (let i = 0; i < ctx.steps; i++) {
        const tUs = (ctx.startMs + i * ctx.stepMs) * 1000 - offsetUs;
        while (hi < a.n && a.ts[hi] <= tUs) hi++;
        while (lo < hi && a.ts[lo] <= tUs - rangeUs) lo++;
        if (hi <= lo) continue;
        const v = windowValue(e, a.ts, a.vals, prefix, lo, hi, rangeS);
        if (v === undefined) continue;
        values[i] = v;
        present[i] = 1;
        any = true;
      }
      if (any) out.push({ labels: a.labels, key, values, present });
    }
    return out;
  }
}

/** Range aggregations whose sum over series equals the aggregation over the merged series. */
const SUMMABLE = new Set(['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'sum_over_time']);

function convertUnwrap(raw: string, conv: string): number | undefined {
  const t = raw.trim();
  if (conv === 'duration' || conv === 'duration_seconds') {
    const ns = parseGoDuration(t);
    return ns === undefined ? undefined : ns / 1e9;
  }
  if (conv === 'bytes') return parseBytes(t);
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isNaN(n) && t.toLowerCase() !== 'nan' ? undefined : n;
}

function pipelineError(err: string, s: LineState): LogQLExecError {
  const labels = [...s.labels].filter(([k]) => k !== ERROR_LABEL && k !== ERROR_DETAILS_LABEL).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const series = `{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
  return new LogQLExecError(
    `pipeline error: '${err}' for series: '${series}'.\nUse a label filter to intentionally skip this error. (e.g | __error__!="${err}").\nTo skip all potential errors you can match empty errors.(e.g __error__="")\nThe label filter can also be specified after unwrap. (e.g | unwrap latency | __error__="" )\n`,
  );
}

function windowValue(e: RangeAggregationExpr, ts: Float64Array, vals: Float64Array, prefix: Float64Array, lo: number, hi: number, rangeS: number): number | undefined {
  const n = hi - lo;
  switch (e.op) {
    case 'count_over_time':
      return n;
    case 'rate':
      return e.unwrap ? (prefix[hi] - prefix[lo]) / rangeS : n / rangeS;
    case 'bytes_over_time':
    case 'sum_over_time':
      return prefix[hi] - prefix[lo];
    case 'bytes_rate':
      return (prefix[hi] - prefix[lo]) / rangeS;
    case 'avg_over_time': {
      // Running mean as Loki does, so huge values do not overflow.
      let mean = 0;
      for (let i = lo; i < hi; i++) mean += (vals[i] - mean) / (i - lo + 1);
      return mean;
    }
    case 'min_over_time': {
      let m = vals[lo];
      for (let i = lo + 1; i < hi; i++) if (vals[i] < m || Number.isNaN(m)) m = vals[i];
      return m;
    }
    case 'max_over_time': {
      let m = vals[lo];
      for (let i = lo + 1; i < hi; i++) if (vals[i] > m || Number.isNaN(m)) m = vals[i];
      return m;
    }
    case 'stddev_over_time':
    case 'stdvar_over_time': {
      let count = 0;
      let mean = 0;
      let m2 = 0;
      for (let i = lo; i < hi; i++) {
        count++;
        const d = vals[i] - mean;
        mean += d / count;
        m2 += d * (vals[i] - mean);
      }
      const variance = m2 / count;
      return e.op === 'stdvar_over_time' ? variance : Math.sqrt(variance);
    }
    case 'quantile_over_time':
      return quantile(e.param ?? 0, Array.from(vals.subarray(lo, hi)));
    case 'first_over_time':
      return vals[lo];
    case 'last_over_time':
      return vals[hi - 1];
    case 'rate_counter':
      return extrapolatedCounterRate(ts, vals, lo, hi, e.rangeMs * 1000);
    case 'absent_over_time':
      return undefined;
  }
}

/** Prometheus's extrapolatedRate(isCounter, isRate) over the window's samples, as Loki's rate_counter. */
function extrapolatedCounterRate(ts: Float64Array, vals: Float64Array, lo: number, hi: number, rangeUs: number): number | undefined {
  if (hi - lo < 2) return undefined;
  let result = vals[hi - 1] - vals[lo];
  let prev = vals[lo];
  for (let i = lo + 1; i < hi; i++) {
    if (vals[i] < prev) result += prev;
    prev = vals[i];
  }
  const windowEnd = ts[hi - 1];
  const windowStart = windowEnd - rangeUs;
  const sampledInterval = (ts[hi - 1] - ts[lo]) / 1e6;
  const avgBetween = sampledInterval / (hi - lo - 1);
  let durationToStart = (ts[lo] - windowStart) / 1e6;
  const durationToEnd = 0;
  if (result > 0 && vals[lo] >= 0) {
    const durationToZero = sampledInterval * (vals[lo] / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = avgBetween * 1.1;
  let extrapolate = sampledInterval;
  extrapolate += durationToStart < threshold ? durationToStart : avgBetween / 2;
  extrapolate += durationToEnd < threshold ? durationToEnd : avgBetween / 2;
  return (result * (extrapolate / sampledInterval)) / (rangeUs / 1e6);
}

function absentOverTime(e: RangeAggregationExpr, series: Map<string, { ts: Float64Array; n: number }>, ctx: EvalCtx): StepSeries[] {
  const labels: Label[] = [];
  const seen = new Set<string>();
  for (const m of e.log.matchers) {
    if (m.type === '=' && !seen.has(m.name)) {
      seen.add(m.name);
      labels.push({ name: m.name, value: m.value });
    }
  }
  labels.sort((a, b) => (a.name < b.name ? -1 : 1));
  const values = new Float64Array(ctx.steps);
  const present = new Uint8Array(ctx.steps);
  const rangeUs = e.rangeMs * 1000;
  const offsetUs = e.offsetMs * 1000;
  const all = [...series.values()];
  for (let i = 0; i < ctx.steps; i++) {
    const tUs = (ctx.startMs + i * ctx.stepMs) * 1000 - offsetUs;
    const hit = all.some((a) => {
      for (let j = 0; j < a.n; j++) if (a.ts[j] > tUs - rangeUs && a.ts[j] <= tUs) return true;
      return false;
    });
    if (!hit) {
      values[i] = 1;
      present[i] = 1;
    }
  }
  return present.some((x) => x) ? [{ labels, key: labelsKey(labels), values, present }] : [];
}

function isSorted(e: Expr): boolean {
  return e.kind === 'vector_agg' && (e.op === 'sort' || e.op === 'sort_desc');
}

function toMatrix(v: Value, ctx: EvalCtx): LogQLResult {
  const t = (i: number): number => ctx.startMs + i * ctx.stepMs;
  if (v.kind === 'scalar') {
    return { type: 'matrix', series: [{ labels: [], points: Array.from(v.values, (x, i) => [t(i), x] as [number, number]) }] };
  }
  const series: MatrixSeries[] = [];
  for (const s of v.series) {
    const points: [number, number][] = [];
    for (let i = 0; i < ctx.steps; i++) if (s.present[i]) points.push([t(i), s.values[i]]);
    if (points.length) series.push({ labels: s.labels, points });
  }
  series.sort((a, b) => compareLabels(a.labels, b.labels));
  return { type: 'matrix', series };
}

// ---- vector aggregation ----

function groupLabels(labels: Labels, g: Grouping | undefined): Labels {
  if (!g) return [];
  const names = new Set(g.labels);
  return labels.filter((l) => (g.without ? !names.has(l.name) : names.has(l.name)));
}

function aggregate(e: VectorAggregationExpr, input: StepSeries[], ctx: EvalCtx): StepSeries[] {
  if (e.op === 'sort' || e.op === 'sort_desc') {
    if (ctx.steps !== 1) return input;
    const dir = e.op === 'sort' ? 1 : -1;
    return [...input].sort((a, b) => dir * (a.values[0] - b.values[0]));
  }
  // Groups by the grouping labels.
  const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
  for (const s of input) {
    const gl = groupLabels(s.labels, e.grouping);
    const k = labelsKey(gl);
    let g = groups.get(k);
    if (!g) {
      g = { labels: gl, members: [] };
      groups.set(k, g);
    }
    g.members.push(s);
  }
  if (e.op === 'topk' || e.op === 'bottomk') {
    const k = e.param ?? 1;
    const keep = new Map<StepSeries, Uint8Array>();
    for (const g of groups.values()) {
      for (let i = 0; i < ctx.steps; i++) {
        const cands = g.members.filter((s) => s.present[i]);
        cands.sort((a, b) => {
          const av = a.values[i];
          const bv = b.values[i];
          if (Number.isNaN(av)) return 1;
          if (Number.isNaN(bv)) return -1;
          return e.op === 'topk' ? bv - av : av - bv;
        });
        for (const s of cands.slice(0, k)) {
          let p = keep.get(s);
          if (!p) {
            p = new Uint8Array(ctx.steps);
            keep.set(s, p);
          }
          p[i] = 1;
        }
      }
    }
    const out: StepSeries[] = [];
    for (const [s, p] of keep) out.push({ labels: s.labels, key: s.key, values: s.values, present: p });
    if (ctx.steps === 1) {
      out.sort((a, b) => (e.op === 'topk' ? b.values[0] - a.values[0] : a.values[0] - b.values[0]));
    }
    return out;
  }
  const out: StepSeries[] = [];
  for (const g of groups.values()) {
    const values = new Float64Array(ctx.steps);
    const present = new Uint8Array(ctx.steps);
    for (let i = 0; i < ctx.steps; i++) {
      let n = 0;
      let acc = 0;
      let mean = 0;
      let m2 = 0;
      for (const s of g.members) {
        if (!s.present[i]) continue;
        const v = s.values[i];
        n++;
        switch (e.op) {
          case 'sum':
            acc += v;
            break;
          case 'min':
            acc = n === 1 || v < acc || Number.isNaN(acc) ? v : acc;
            break;
          case 'max':
            acc = n === 1 || v > acc || Number.isNaN(acc) ? v : acc;
            break;
          case 'count':
            acc = n;
            break;
          case 'avg':
          case 'stddev':
          case 'stdvar': {
            const d = v - mean;
            mean += d / n;
            m2 += d * (v - mean);
            break;
          }
        }
      }
      if (n === 0) continue;
      present[i] = 1;
      values[i] = e.op === 'avg' ? mean : e.op === 'stdvar' ? m2 / n : e.op === 'stddev' ? Math.sqrt(m2 / n) : acc;
    }
    if (present.some((x) => x)) out.push({ labels: g.labels, key: labelsKey(g.labels), values, present });
  }
  return out;
}

// ---- binary operations ----

function arith(op: BinaryExpr['op'], a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    default:
      return NaN;
  }
}

const COMPARISON = new Set(['==', '!=', '>', '>=', '<', '<=']);

function binary(e: BinaryExpr, l: Value, r: Value, ctx: EvalCtx): Value {
  const isCmp = COMPARISON.has(e.op);
  if (l.kind === 'scalar' && r.kind === 'scalar') {
    if (isCmp && !e.returnBool) throw new LogQLExecError('comparisons between scalars must use BOOL modifier');
    return { kind: 'scalar', values: l.values.map((a, i) => arith(e.op, a, r.values[i])) };
  }
  if (l.kind === 'scalar' || r.kind === 'scalar') {
    const vec = (l.kind === 'vector' ? l : r) as { kind: 'vector'; series: StepSeries[] };
    const sc = (l.kind === 'scalar' ? l : r) as { kind: 'scalar'; values: Float64Array };
    const scalarLeft = l.kind === 'scalar';
    const out: StepSeries[] = [];
    for (const s of vec.series) {
      const values = new Float64Array(ctx.steps);
      const present = new Uint8Array(ctx.steps);
      for (let i = 0; i < ctx.steps; i++) {
        if (!s.present[i]) continue;
        const a = scalarLeft ? sc.values[i] : s.values[i];
        const b = scalarLeft ? s.values[i] : sc.values[i];
        const v = arith(e.op, a, b);
        if (isCmp && !e.returnBool) {
          if (v === 1) {
            values[i] = s.values[i];
            present[i] = 1;
          }
        } else {
          values[i] = v;
          present[i] = 1;
        }
      }
      if (present.some((x) => x)) out.push({ labels: s.labels, key: s.key, values, present });
    }
    return { kind: 'vector', series: out };
  }
  return { kind: 'vector', series: vectorBinary(e, l.series, r.series, ctx) };
}

function signature(labels: Labels, e: BinaryExpr): string {
  const m = e.matching;
  if (!m) return labelsKey(labels);
  const names = new Set(m.labels);
  return labelsKey(labels.filter((x) => (m.on ? names.has(x.name) : !names.has(x.name))));
}

function vectorBinary(e: BinaryExpr, lhs: StepSeries[], rhs: StepSeries[], ctx: EvalCtx): StepSeries[] {
  const card = e.matching?.card ?? 'one-to-one';
  if (e.op === 'and' || e.op === 'or' || e.op === 'unless') {
    const out: StepSeries[] = [];
    const rightBySig = new Map<string, StepSeries[]>();
    for (const s of rhs) {
      const k = signature(s.labels, e);
      const a = rightBySig.get(k) ?? [];
      a.push(s);
      rightBySig.set(k, a);
    }
    const leftSigsPresent = new Map<string, Uint8Array>();
    for (const s of lhs) {
      const k = signature(s.labels, e);
      const rs = rightBySig.get(k) ?? [];
      const present = new Uint8Array(ctx.steps);
      for (let i = 0; i < ctx.steps; i++) {
        if (!s.present[i]) continue;
        const rightHas = rs.some((r) => r.present[i]);
        if (e.op === 'and' ? rightHas : e.op === 'unless' ? !rightHas : true) present[i] = 1;
      }
      if (e.op === 'or') {
        const p = leftSigsPresent.get(k) ?? new Uint8Array(ctx.steps);
        for (let i = 0; i < ctx.steps; i++) if (s.present[i]) p[i] = 1;
        leftSigsPresent.set(k, p);
      }
      if (present.some((x) => x)) out.push({ ...s, present });
    }
    if (e.op === 'or') {
      for (const s of rhs) {
        const lp = leftSigsPresent.get(signature(s.labels, e));
        const present = new Uint8Array(ctx.steps);
        for (let i = 0; i < ctx.steps; i++) if (s.present[i] && !(lp && lp[i])) present[i] = 1;
        if (present.some((x) => x)) out.push({ ...s, present });
      }
    }
    return out;
  }
  const [oneSide, manySide] = card === 'one-to-many' ? [lhs, rhs] : [rhs, lhs];
  const ones = new Map<string, StepSeries[]>();
  for (const s of oneSide) {
    const k = signature(s.labels, e);
    const a = ones.get(k) ?? [];
    a.push(s);
    ones.set(k, a);
  }
  const isCmp = COMPARISON.has(e.op);
  const results = new Map<string, StepSeries>();
  const include = new Set(e.matching?.include ?? []);
  const matchNames = new Set(e.matching?.labels ?? []);
  if (card === 'one-to-one') {
    const seen = new Map<string, number>();
    for (const s of manySide) {
      const k = signature(s.labels, e);
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }
  for (const m of manySide) {
    const k = signature(m.labels, e);
    const cands = ones.get(k);
    if (!cands) continue;
    for (let i = 0; i < ctx.steps; i++) {
      if (!m.present[i]) continue;
      const present = cands.filter((c) => c.present[i]);
      if (present.length === 0) continue;
      if (present.length > 1) throw new LogQLExecError('found duplicate series for the match group; many-to-many matching not allowed: matching labels must be unique on one side');
      const o = present[0];
      const [ls, rs] = card === 'one-to-many' ? [o, m] : [m, o];
      const v = arith(e.op, ls.values[i], rs.values[i]);
      let outLabels: Labels;
      if (card === 'one-to-one') {
        outLabels = e.matching?.on ? ls.labels.filter((x) => matchNames.has(x.name)) : e.matching ? ls.labels.filter((x) => !matchNames.has(x.name)) : ls.labels;
        if (isCmp && !e.returnBool) outLabels = ls.labels;
      } else {
        const rec = new Map(m.labels.map((x) => [x.name, x.value]));
        for (const name of include) {
          const val = o.labels.find((x) => x.name === name)?.value;
          if (val) rec.set(name, val);
          else rec.delete(name);
        }
        outLabels = toLabels(rec);
      }
      if (isCmp && !e.returnBool && v !== 1) continue;
      const value = isCmp && !e.returnBool ? ls.values[i] : v;
      const key = labelsKey(outLabels);
      let r = results.get(key);
      if (!r) {
        r = { labels: outLabels, key, values: new Float64Array(ctx.steps), present: new Uint8Array(ctx.steps) };
        results.set(key, r);
      } else if (r.present[i] && card === 'one-to-one') {
        throw new LogQLExecError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
      }
      r.values[i] = value;
      r.present[i] = 1;
    }
  }
  return [...results.values()];
}

export { parseLogQL };
