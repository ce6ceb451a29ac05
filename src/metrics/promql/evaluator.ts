/**
 * Evaluates a preprocessed AST over a step grid [start, end] / interval. Every instant-vector node is computed
 * for all steps in one pass per series (an instant query is a grid of one step), mirroring the results of
 * Prometheus 2.42's rangeEval without evaluating the tree once per step.
 */
import { labelsKey, METRIC_NAME, type Labels } from '../../model/labels.js';
import { anchoredRegExp, type Matcher } from '../../model/matcher.js';
import { isStaleNaN } from '../../model/value.js';
import type { Querier } from '../storage/interface.js';
import {
  isComparisonOp, isSetOp, unwrapParens,
  type AggregateExpr, type BinaryExpr, type BinaryOp, type Call, type Expr, type MatrixSelector, type SubqueryExpr, type VectorSelector,
} from './parser/ast.js';
import { PromQLError } from './errors.js';
import { DATE_FUNCTIONS, expandTemplate, MATH_FUNCTIONS, PARAM_FUNCTIONS } from './instant-functions.js';
import { dropMetricName, labelsString, matchingSignature, matchLabels, setLabel } from './labels-util.js';
import { bucketQuantile, type Bucket } from './quantile.js';
import { RANGE_FUNCTIONS, type Window } from './range-functions.js';
import { aggregate } from './aggregate.js';
import { parseGoFloat } from './parser/literals.js';
import { goPow, SeriesBuilder, type EvalValue, type RangeSeries, type StepSeries } from './value.js';

export interface EvalContext {
  querier: Querier;
  lookbackMs: number;
  noStepSubqueryIntervalMs: number;
  deadline: number;
  signal?: AbortSignal;
  maxSamples: number;
  /** Samples read from storage (Prometheus's totalQueryableSamples). */
  totalSamples: number;
  peakSamples: number;
  /** Per-step counts for stats=all; only filled for the top-level grid. */
  samplesPerStep?: Float64Array;
}

type VectorValue = Extract<EvalValue, { type: 'vector' }>;
type ScalarValue = Extract<EvalValue, { type: 'scalar' }>;

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function checkAbort(ctx: EvalContext): void {
  if (ctx.signal?.aborted) throw new PromQLError('canceled', 'query was canceled in expression evaluation');
  if (Date.now() > ctx.deadline) throw new PromQLError('timeout', 'query timed out in expression evaluation');
}

export class Evaluator {
  readonly n: number;
  readonly times: Float64Array;

  constructor(
    readonly ctx: EvalContext,
    readonly start: number,
    readonly end: number,
    readonly interval: number,
  ) {
    this.n = interval > 0 ? Math.floor((end - start) / interval) + 1 : 1;
    this.times = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) this.times[i] = start + i * interval;
  }

  private countSamples(n: number): void {
    if (n > this.ctx.peakSamples) this.ctx.peakSamples = n;
    if (n > this.ctx.maxSamples) {
      throw new PromQLError('execution', 'query processing would load too many samples into memory in query execution');
    }
  }

  private vectorPoints(v: VectorValue): number {
    let n = 0;
    for (const s of v.series) for (let i = 0; i < s.present.length; i++) n += s.present[i];
    return n;
  }

  async eval(e: Expr): Promise<EvalValue> {
    checkAbort(this.ctx);
    const v = await this.evalInner(e);
    if (v.type === 'vector') this.countSamples(this.vectorPoints(v));
    return v;
  }

  private async evalInner(e: Expr): Promise<EvalValue> {
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', values: new Float64Array(this.n).fill(e.value) };
      case 'string':
        return { type: 'string', value: e.value };
      case 'paren':
        return this.eval(e.expr);
      case 'stepInvariant':
        return this.evalStepInvariant(e.expr);
      case 'vectorSelector':
        return { type: 'vector', series: (await this.evalVectorSelector(e, false)).series };
      case 'matrixSelector':
      case 'subquery': {
        const src = await this.rangeSource(e);
        return { type: 'matrix', series: this.windowAt(src, 0) };
      }
      case 'call':
        return this.evalCall(e);
      case 'aggregate': {
        const param = e.param ? await this.eval(e.param) : undefined;
        const input = (await this.eval(e.expr)) as VectorValue;
        return aggregate(e, param, input.series, this.n);
      }
      case 'binary':
        return this.evalBinary(e);
      case 'unary': {
        const v = await this.eval(e.expr);
        if (e.op === '+') return v;
        if (v.type === 'scalar') return { type: 'scalar', values: v.values.map((x) => -x) };
        const vec = v as VectorValue;
        const b = new SeriesBuilder(this.n);
        for (const s of vec.series) {
          const slot = b.slot(dropMetricName(s.labels));
          for (let i = 0; i < this.n; i++) if (s.present[i]) b.set(slot, i, -s.values[i]);
        }
        return { type: 'vector', series: b.result() };
      }
    }
  }

  private async evalStepInvariant(inner: Expr): Promise<EvalValue> {
    const u = unwrapParens(inner);
    if (u.kind === 'number' || u.kind === 'string' || this.n === 1) return this.eval(inner);
    if (u.kind === 'matrixSelector' || u.kind === 'subquery') return this.eval(inner);
    const single = new Evaluator(this.ctx, this.start, this.start, this.interval);
    const v = await single.eval(inner);
    if (v.type === 'scalar') return { type: 'scalar', values: new Float64Array(this.n).fill(v.values[0]) };
    if (v.type !== 'vector') return v;
    return {
      type: 'vector',
      series: v.series.map((s) => ({
        labels: s.labels,
        values: new Float64Array(this.n).fill(s.values[0]),
        present: new Uint8Array(this.n).fill(1),
      })),
    };
  }

  /** Reference time of step i for a selector: its @ time or the step time, minus the offset. */
  private refTime(i: number, timestampMs: number | undefined, offsetMs: number): number {
    return (timestampMs ?? this.times[i]) - offsetMs;
  }

  private async select(matchers: Matcher[], mint: number, maxt: number, func?: string) {
    checkAbort(this.ctx);
    const data = await this.ctx.querier.select(matchers, mint, maxt, { step: this.interval, func });
    checkAbort(this.ctx);
    return data;
  }

  async evalVectorSelector(vs: VectorSelector, withTimestamps: boolean): Promise<{ series: StepSeries[]; stamps: Float64Array[] }> {
    const first = this.refTime(0, vs.timestampMs, vs.offsetMs);
    const last = this.refTime(this.n - 1, vs.timestampMs, vs.offsetMs);
    const data = await this.select(vs.matchers, first - this.ctx.lookbackMs, last);
    const lookback = this.ctx.lookbackMs;
    const series: StepSeries[] = [];
    const stamps: Float64Array[] = [];
    for (const d of data) {
      const ts = d.timestamps;
      const vals = d.values;
      const values = new Float64Array(this.n);
      const present = new Uint8Array(this.n);
      const st = withTimestamps ? new Float64Array(this.n) : undefined;
      let j = -1;
      let any = false;
      for (let i = 0; i < this.n; i++) {
        const ref = this.refTime(i, vs.timestampMs, vs.offsetMs);
        while (j + 1 < ts.length && ts[j + 1] <= ref) j++;
        if (j < 0 || ts[j] < ref - lookback) continue;
        const v = vals[j];
        if (v !== v && isStaleNaN(v)) continue;
        values[i] = v;
        present[i] = 1;
        if (st) st[i] = ts[j];
        any = true;
        if (this.ctx.samplesPerStep && this.ctx.samplesPerStep.length === this.n) this.ctx.samplesPerStep[i]++;
        this.ctx.totalSamples++;
      }
      if (!any) continue;
      series.push({ labels: d.labels, values, present });
      if (st) stamps.push(st);
    }
    return { series, stamps };
  }

  /** Raw samples for a range selector or subquery, with the window parameters. */
  async rangeSource(e: MatrixSelector | SubqueryExpr): Promise<{ series: RangeSeries[]; rangeMs: number; offsetMs: number; timestampMs?: number }> {
    if (e.kind === 'matrixSelector') {
      const vs = e.selector;
      const first = this.refTime(0, vs.timestampMs, vs.offsetMs);
      const last = this.refTime(this.n - 1, vs.timestampMs, vs.offsetMs);
      const data = await this.select(vs.matchers, first - e.rangeMs, last);
      const series: RangeSeries[] = [];
      for (const d of data) {
        // Typed arrays keep the window functions' element access monomorphic.
        const dts = d.timestamps instanceof Float64Array ? d.timestamps : Float64Array.from(d.timestamps);
        const dvs = d.values instanceof Float64Array ? d.values : Float64Array.from(d.values);
        let stale = 0;
        for (let i = 0; i < dvs.length; i++) if (dvs[i] !== dvs[i] && isStaleNaN(dvs[i])) stale++;
        if (stale === 0) {
          series.push({ labels: d.labels, timestamps: dts, values: dvs });
          continue;
        }
        const ts = new Float64Array(dvs.length - stale);
        const vals = new Float64Array(dvs.length - stale);
        let k = 0;
        for (let i = 0; i < dvs.length; i++) {
          const v = dvs[i];
          if (v !== v && isStaleNaN(v)) continue;
          ts[k] = dts[i];
          vals[k++] = v;
        }
        if (k > 0) series.push({ labels: d.labels, timestamps: ts, values: vals });
      }
      return { series, rangeMs: e.rangeMs, offsetMs: vs.offsetMs, timestampMs: vs.timestampMs };
    }
    const step = e.stepMs || this.ctx.noStepSubqueryIntervalMs;
    const outerStart = e.timestampMs ?? this.start;
    const outerEnd = e.timestampMs ?? this.end;
    const lowest = outerStart - e.offsetMs - e.rangeMs;
    // Go integer division truncates toward zero.
    let start = step * Math.trunc(lowest / step);
    if (start < lowest) start += step;
    const end = outerEnd - e.offsetMs;
    const sub = new Evaluator(this.ctx, start, end, step);
    const v = start > end ? ({ type: 'vector', series: [] } as VectorValue) : await sub.eval(e.expr);
    const series: RangeSeries[] = [];
    if (v.type === 'vector') {
      for (const s of v.series) {
        const ts: number[] = [];
        const vals: number[] = [];
        for (let i = 0; i < sub.n; i++) {
          if (!s.present[i]) continue;
          ts.push(sub.times[i]);
          vals.push(s.values[i]);
        }
        if (ts.length) series.push({ labels: s.labels, timestamps: Float64Array.from(ts), values: Float64Array.from(vals) });
      }
    }
    return { series, rangeMs: e.rangeMs, offsetMs: e.offsetMs, timestampMs: e.timestampMs };
  }

  /** The samples of each series inside the window of step i (used for range-vector results of instant queries). */
  private windowAt(src: Awaited<ReturnType<Evaluator['rangeSource']>>, i: number): RangeSeries[] {
    const ref = this.refTime(i, src.timestampMs, src.offsetMs);
    const out: RangeSeries[] = [];
    for (const s of src.series) {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let k = 0; k < s.timestamps.length; k++) {
        const t = s.timestamps[k];
        if (t >= ref - src.rangeMs && t <= ref) {
          ts.push(t);
          vs.push(s.values[k]);
        }
      }
      if (ts.length) out.push({ labels: s.labels, timestamps: Float64Array.from(ts), values: Float64Array.from(vs) });
    }
    this.countSamples(out.reduce((a, s) => a + s.timestamps.length, 0));
    return out;
  }

  // ---- functions ----

  private async evalCall(e: Call): Promise<EvalValue> {
    const name = e.func.name;
    const args = e.args.map(unwrapParens);
    if (name === 'timestamp') {
      let a = args[0];
      if (a.kind === 'stepInvariant') a = unwrapParens(a.expr);
      if (a.kind === 'vectorSelector') {
        const { series, stamps } = await this.evalVectorSelector(a, true);
        const b = new SeriesBuilder(this.n);
        series.forEach((s, k) => {
          const slot = b.slot(dropMetricName(s.labels));
          for (let i = 0; i < this.n; i++) if (s.present[i]) b.set(slot, i, stamps[k][i] / 1000);
        });
        return { type: 'vector', series: b.result() };
      }
    }
    let matrixIdx = -1;
    for (let i = 0; i < args.length; i++) {
      let a = args[i];
      if (a.kind === 'stepInvariant') a = unwrapParens(a.expr);
      if (a.kind === 'matrixSelector' || a.kind === 'subquery') {
        matrixIdx = i;
        args[i] = a;
        break;
      }
    }
    if (matrixIdx >= 0) return this.evalRangeCall(e, args, matrixIdx);
    const vals: EvalValue[] = [];
    for (const a of args) vals.push(await this.eval(a));
    return this.evalInstantCall(e, args, vals);
  }

  private scalarArgs(vals: (EvalValue | undefined)[], i: number, out: number[]): void {
    for (let k = 0; k < vals.length; k++) {
      const v = vals[k];
      out[k] = v && v.type === 'scalar' ? v.values[i] : NaN;
    }
  }

  private async evalRangeCall(e: Call, args: Expr[], matrixIdx: number): Promise<EvalValue> {
    const name = e.func.name;
    const others: (EvalValue | undefined)[] = [];
    for (let k = 0; k < args.length; k++) others.push(k === matrixIdx ? undefined : await this.eval(args[k]));
    const src = await this.rangeSource(args[matrixIdx] as MatrixSelector | SubqueryExpr);
    const w: Window = { rangeStart: 0, rangeEnd: 0, rangeMs: src.rangeMs, evalTime: 0, scalars: [] };

    if (name === 'absent_over_time') {
      const counts = new Uint32Array(this.n);
      for (const s of src.series) this.forEachWindow(s, src, (i, lo, hi) => void (counts[i] += hi > lo ? 1 : 0));
      const m = args[matrixIdx];
      const labels = m.kind === 'matrixSelector' ? absentLabels(m.selector.matchers) : [];
      const out: StepSeries = { labels, values: new Float64Array(this.n), present: new Uint8Array(this.n) };
      for (let i = 0; i < this.n; i++) {
        if (counts[i] === 0) {
          out.present[i] = 1;
          out.values[i] = 1;
        }
      }
      return { type: 'vector', series: out.present.some((p) => p) ? [out] : [] };
    }

    const fn = RANGE_FUNCTIONS.get(name);
    if (!fn) return { type: 'vector', series: [] };
    let win: { rangeMs: number; offsetMs: number; timestampMs?: number } = src;
    if (name === 'predict_linear' && src.timestampMs !== undefined && this.n > 1) {
      // Prometheus rewrites "@ T" into an offset relative to the evaluation start; predict_linear is not step
      // invariant, so in a range query its window slides from T on (over data fetched around T only).
      win = { rangeMs: src.rangeMs, offsetMs: src.offsetMs + this.start - src.timestampMs };
    }
    const keepName = name === 'last_over_time';
    const hasScalars = others.some((o) => o !== undefined);
    const perStep = this.ctx.samplesPerStep && this.ctx.samplesPerStep.length === this.n ? this.ctx.samplesPerStep : undefined;
    const outSeries: StepSeries[] = [];
    let windowSamples = 0;
    for (const s of src.series) {
      checkAbort(this.ctx);
      const values = new Float64Array(this.n);
      const present = new Uint8Array(this.n);
      let any = false;
      // The window loop is inlined (no per-step closure): this is the innermost loop of most range queries.
      const ts = s.timestamps;
      const vals = s.values;
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < this.n; i++) {
        const ref = (win.timestampMs ?? this.times[i]) - win.offsetMs;
        const mint = ref - win.rangeMs;
        while (lo < ts.length && ts[lo] < mint) lo++;
        if (hi < lo) hi = lo;
        while (hi < ts.length && ts[hi] <= ref) hi++;
        if (hi <= lo) continue;
        windowSamples += hi - lo;
        if (perStep) perStep[i] += hi - lo;
        w.rangeEnd = ref;
        w.rangeStart = mint;
        w.evalTime = this.times[i];
        if (hasScalars) this.scalarArgs(others, i, w.scalars);
        const r = fn(ts, vals, lo, hi, w);
        if (r === undefined) continue;
        values[i] = r;
        present[i] = 1;
        any = true;
      }
      if (any) outSeries.push({ labels: keepName ? s.labels : dropMetricName(s.labels), values, present });
    }
    this.ctx.totalSamples += windowSamples;
    // A range function's outputs must have distinct label sets over the whole range (Prometheus checks the matrix).
    const seen = new Set<string>();
    for (const s of outSeries) {
      const k = labelsKey(s.labels);
      if (seen.has(k)) throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
      seen.add(k);
    }
    return { type: 'vector', series: outSeries };
  }

  /** Calls fn(step, lo, hi, ref) with the index range of the samples in each step's window [ref-range, ref]. */
  private forEachWindow(
    s: RangeSeries,
    src: { rangeMs: number; offsetMs: number; timestampMs?: number },
    fn: (i: number, lo: number, hi: number, ref: number) => void,
  ): void {
    const ts = s.timestamps;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < this.n; i++) {
      const ref = this.refTime(i, src.timestampMs, src.offsetMs);
      const mint = ref - src.rangeMs;
      while (lo < ts.length && ts[lo] < mint) lo++;
      if (hi < lo) hi = lo;
      while (hi < ts.length && ts[hi] <= ref) hi++;
      fn(i, lo, hi, ref);
    }
  }

  private evalInstantCall(e: Call, args: Expr[], vals: EvalValue[]): EvalValue {
    const name = e.func.name;
    const n = this.n;
    const scalarOut = (f: (i: number) => number): ScalarValue => {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = f(i);
      return { type: 'scalar', values };
    };
    switch (name) {
      case 'time':
        return scalarOut((i) => this.times[i] / 1000);
      case 'pi':
        return scalarOut(() => Math.PI);
      case 'vector': {
        const s = vals[0] as ScalarValue;
        return { type: 'vector', series: [{ labels: [], values: Float64Array.from(s.values), present: new Uint8Array(n).fill(1) }] };
      }
      case 'scalar': {
        const vec = vals[0] as VectorValue;
        return scalarOut((i) => {
          let found = NaN;
          let count = 0;
          for (const s of vec.series) {
            if (s.present[i]) {
              count++;
              found = s.values[i];
            }
          }
          return count === 1 ? found : NaN;
        });
      }
      case 'absent': {
        const vec = vals[0] as VectorValue;
        const a = args[0];
        const sel = a.kind === 'vectorSelector' ? a : undefined;
        const out: StepSeries = { labels: sel ? absentLabels(sel.matchers) : [], values: new Float64Array(n), present: new Uint8Array(n) };
        for (let i = 0; i < n; i++) {
          if (!vec.series.some((s) => s.present[i])) {
            out.present[i] = 1;
            out.values[i] = 1;
          }
        }
        return { type: 'vector', series: out.present.some((p) => p) ? [out] : [] };
      }
      case 'sort':
      case 'sort_desc':
        return vals[0];
      case 'histogram_count':
      case 'histogram_sum':
      case 'histogram_fraction':
        // Only native histograms have these; float series give no output.
        return { type: 'vector', series: [] };
      case 'histogram_quantile':
        return this.histogramQuantile(vals[0] as ScalarValue, vals[1] as VectorValue);
      case 'label_replace':
        return this.labelReplace(vals);
      case 'label_join':
        return this.labelJoin(vals);
      case 'timestamp':
        return this.mapVector(vals[0] as VectorValue, (_v, i) => this.times[i] / 1000, true);
    }
    const math = MATH_FUNCTIONS.get(name);
    if (math) return this.mapVector(vals[0] as VectorValue, (v) => math(v), true);
    const date = DATE_FUNCTIONS.get(name);
    if (date) {
      if (vals.length === 0) {
        return { type: 'vector', series: [{ labels: [], values: this.times.map((t) => date(t / 1000)), present: new Uint8Array(n).fill(1) }] };
      }
      return this.mapVector(vals[0] as VectorValue, (v) => date(v), true);
    }
    const param = PARAM_FUNCTIONS.get(name);
    if (param) {
      const scalars: number[] = [];
      if (name === 'clamp') {
        // clamp with max < min returns an empty vector at that step.
        const vec = vals[0] as VectorValue;
        const mins = (vals[1] as ScalarValue).values;
        const maxs = (vals[2] as ScalarValue).values;
        return this.mapVector(vec, (v, i) => (maxs[i] < mins[i] ? undefined : param(v, [0, mins[i], maxs[i]], 0)), true);
      }
      return this.mapVector(
        vals[0] as VectorValue,
        (v, i) => {
          this.scalarArgs(vals, i, scalars);
          return param(v, scalars, this.times[i]);
        },
        true,
      );
    }
    // Unreachable: the parser only accepts functions from FUNCTIONS, and each has a branch above.
    throw new PromQLError('internal', `no evaluator for function ${name}`);
  }

  private mapVector(vec: VectorValue, f: (v: number, i: number) => number | undefined, dropName: boolean): VectorValue {
    const b = new SeriesBuilder(this.n);
    for (const s of vec.series) {
      const slot = b.slot(dropName ? dropMetricName(s.labels) : s.labels);
      for (let i = 0; i < this.n; i++) {
        if (!s.present[i]) continue;
        const r = f(s.values[i], i);
        if (r !== undefined) b.set(slot, i, r);
      }
    }
    return { type: 'vector', series: b.result() };
  }

  private histogramQuantile(q: ScalarValue, vec: VectorValue): VectorValue {
    const groups = new Map<string, { labels: Labels; members: { ub: number; s: StepSeries }[] }>();
    for (const s of vec.series) {
      let le: string | undefined;
      for (const l of s.labels) if (l.name === 'le') le = l.value;
      const ub = le === undefined ? undefined : parseGoFloat(le);
      if (ub === undefined) continue;
      const rest = s.labels.filter((l) => l.name !== 'le');
      const key = labelsKey(rest);
      let g = groups.get(key);
      if (!g) {
        g = { labels: rest.filter((l) => l.name !== METRIC_NAME), members: [] };
        groups.set(key, g);
      }
      g.members.push({ ub, s });
    }
    const b = new SeriesBuilder(this.n);
    for (const g of groups.values()) {
      const slot = b.slot(g.labels);
      for (let i = 0; i < this.n; i++) {
        const buckets: Bucket[] = [];
        for (const m of g.members) if (m.s.present[i]) buckets.push({ upperBound: m.ub, count: m.s.values[i] });
        if (buckets.length > 0) b.set(slot, i, bucketQuantile(q.values[i], buckets));
      }
    }
    return { type: 'vector', series: b.result() };
  }

  private labelReplace(vals: EvalValue[]): VectorValue {
    const vec = vals[0] as VectorValue;
    const [dst, repl, src, regexStr] = vals.slice(1).map((v) => (v as { value: string }).value);
    let re: RegExp;
    try {
      re = anchoredRegExp(regexStr);
    } catch (err) {
      throw new PromQLError('execution', `invalid regular expression in label_replace(): ${regexStr}`);
    }
    if (!LABEL_NAME_RE.test(dst)) throw new PromQLError('execution', `invalid destination label name in label_replace(): ${dst}`);
    return this.relabel(vec, (ls) => {
      const srcVal = ls.find((l) => l.name === src)?.value ?? '';
      const m = re.exec(srcVal);
      if (!m) return ls;
      return setLabel(ls, dst, expandTemplate(repl, m));
    });
  }

  private labelJoin(vals: EvalValue[]): VectorValue {
    const vec = vals[0] as VectorValue;
    const strs = vals.slice(1).map((v) => (v as { value: string }).value);
    const [dst, sep, ...srcs] = strs;
    for (const s of srcs) {
      if (!LABEL_NAME_RE.test(s)) throw new PromQLError('execution', `invalid source label name in label_join(): ${s}`);
    }
    if (!LABEL_NAME_RE.test(dst)) throw new PromQLError('execution', `invalid destination label name in label_join(): ${dst}`);
    return this.relabel(vec, (ls) => {
      const joined = srcs.map((s) => ls.find((l) => l.name === s)?.value ?? '').join(sep);
      return setLabel(ls, dst, joined);
    });
  }

  private relabel(vec: VectorValue, f: (ls: Labels) => Labels): VectorValue {
    const b = new SeriesBuilder(this.n);
    for (const s of vec.series) {
      const slot = b.slot(f(s.labels));
      for (let i = 0; i < this.n; i++) if (s.present[i]) b.set(slot, i, s.values[i]);
    }
    return { type: 'vector', series: b.result() };
  }

  // ---- binary operators ----

  private async evalBinary(e: BinaryExpr): Promise<EvalValue> {
    const lhs = await this.eval(e.lhs);
    const rhs = await this.eval(e.rhs);
    const n = this.n;
    if (lhs.type === 'scalar' && rhs.type === 'scalar') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const [v, keep] = binop(e.op, lhs.values[i], rhs.values[i]);
        values[i] = e.returnBool ? (keep ? 1 : 0) : v;
      }
      return { type: 'scalar', values };
    }
    if (lhs.type === 'vector' && rhs.type === 'vector') {
      if (isSetOp(e.op)) return this.setOp(e, lhs, rhs);
      return this.vectorBinop(e, lhs, rhs);
    }
    const swap = lhs.type === 'scalar';
    const vec = (swap ? rhs : lhs) as VectorValue;
    const sc = (swap ? lhs : rhs) as ScalarValue;
    const cmp = isComparisonOp(e.op);
    const dropName = dropsMetricName(e.op) || e.returnBool;
    const b = new SeriesBuilder(n);
    for (const s of vec.series) {
      const slot = b.slot(dropName ? dropMetricName(s.labels) : s.labels);
      for (let i = 0; i < n; i++) {
        if (!s.present[i]) continue;
        const lv = swap ? sc.values[i] : s.values[i];
        const rv = swap ? s.values[i] : sc.values[i];
        let [v, keep] = binop(e.op, lv, rv);
        if (cmp && swap) v = rv;
        if (e.returnBool) {
          v = keep ? 1 : 0;
          keep = true;
        }
        if (keep) b.set(slot, i, v);
      }
    }
    return { type: 'vector', series: b.result() };
  }

  private signatures(series: StepSeries[], on: boolean, names: ReadonlySet<string>, ids: Map<string, number>): Int32Array {
    const out = new Int32Array(series.length);
    series.forEach((s, k) => {
      const sig = matchingSignature(s.labels, on, names);
      let id = ids.get(sig);
      if (id === undefined) {
        id = ids.size;
        ids.set(sig, id);
      }
      out[k] = id;
    });
    return out;
  }

  private setOp(e: BinaryExpr, lhs: VectorValue, rhs: VectorValue): VectorValue {
    const m = e.matching!;
    const names = new Set(m.matchingLabels);
    const ids = new Map<string, number>();
    const ls = this.signatures(lhs.series, m.on, names, ids);
    const rs = this.signatures(rhs.series, m.on, names, ids);
    const stamp = new Int32Array(ids.size).fill(-1);
    const b = new SeriesBuilder(this.n);
    const lslots = lhs.series.map((s) => b.slot(s.labels));
    const rslots = e.op === 'or' ? rhs.series.map((s) => b.slot(s.labels)) : [];
    for (let i = 0; i < this.n; i++) {
      if (e.op === 'or') {
        lhs.series.forEach((s, k) => {
          if (!s.present[i]) return;
          stamp[ls[k]] = i;
          b.set(lslots[k], i, s.values[i]);
        });
        rhs.series.forEach((s, k) => {
          if (s.present[i] && stamp[rs[k]] !== i) b.set(rslots[k], i, s.values[i]);
        });
        continue;
      }
      rhs.series.forEach((s, k) => {
        if (s.present[i]) stamp[rs[k]] = i;
      });
      lhs.series.forEach((s, k) => {
        if (!s.present[i]) return;
        const matched = stamp[ls[k]] === i;
        if (matched === (e.op === 'and')) b.set(lslots[k], i, s.values[i]);
      });
    }
    return { type: 'vector', series: b.result() };
  }

  private vectorBinop(e: BinaryExpr, lhsIn: VectorValue, rhsIn: VectorValue): VectorValue {
    const m = e.matching!;
    const oneToMany = m.card === 'one-to-many';
    const lhs = oneToMany ? rhsIn : lhsIn;
    const rhs = oneToMany ? lhsIn : rhsIn;
    const names = new Set(m.matchingLabels);
    const ids = new Map<string, number>();
    const ls = this.signatures(lhs.series, m.on, names, ids);
    const rs = this.signatures(rhs.series, m.on, names, ids);
    const rightAt = new Int32Array(ids.size).fill(-1);
    const rightIdx = new Int32Array(ids.size);
    const leftAt = new Int32Array(ids.size).fill(-1);
    const b = new SeriesBuilder(this.n);
    const pairSlots = new Map<number, number>();
    let slotStamp = new Int32Array(0);
    let slotSig = new Int32Array(0);
    const nR = rhs.series.length;
    const dropName = dropsMetricName(e.op) || e.returnBool;
    const include = m.include;
    for (let i = 0; i < this.n; i++) {
      for (let k = 0; k < nR; k++) {
        const s = rhs.series[k];
        if (!s.present[i]) continue;
        const sig = rs[k];
        if (rightAt[sig] === i) {
          const dup = rhs.series[rightIdx[sig]];
          const side = oneToMany ? 'left' : 'right';
          throw new PromQLError(
            'execution',
            `found duplicate series for the match group ${labelsString(matchLabels(s.labels, m.on, names))} on the ${side} hand-side of the operation: [${labelsString(s.labels)}, ${labelsString(dup.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
          );
        }
        rightAt[sig] = i;
        rightIdx[sig] = k;
      }
      for (let k = 0; k < lhs.series.length; k++) {
        const s = lhs.series[k];
        if (!s.present[i]) continue;
        const sig = ls[k];
        if (rightAt[sig] !== i) continue;
        const r = rightIdx[sig];
        const rsr = rhs.series[r];
        let vl = s.values[i];
        let vr = rsr.values[i];
        if (oneToMany) [vl, vr] = [vr, vl];
        let [v, keep] = binop(e.op, vl, vr);
        if (e.returnBool) v = keep ? 1 : 0;
        else if (!keep) continue;
        const pairKey = k * nR + r;
        let slot = pairSlots.get(pairKey);
        if (slot === undefined) {
          slot = b.slot(resultMetric(s.labels, rsr.labels, dropName, m.card === 'one-to-one', m.on, names, include));
          pairSlots.set(pairKey, slot);
          if (slot >= slotStamp.length) {
            const grow = new Int32Array(Math.max(16, slot * 2 + 1)).fill(-1);
            grow.set(slotStamp);
            slotStamp = grow;
            const g2 = new Int32Array(grow.length);
            g2.set(slotSig);
            slotSig = g2;
          }
        }
        if (m.card === 'one-to-one') {
          if (leftAt[sig] === i) {
            throw new PromQLError('execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
          }
          leftAt[sig] = i;
        } else if (slotStamp[slot] === i && slotSig[slot] === sig) {
          throw new PromQLError('execution', 'multiple matches for labels: grouping labels must ensure unique matches');
        }
        slotStamp[slot] = i;
        slotSig[slot] = sig;
        b.set(slot, i, v);
      }
    }
    return { type: 'vector', series: b.result() };
  }
}

function resultMetric(
  lhs: Labels,
  rhs: Labels,
  dropName: boolean,
  oneToOne: boolean,
  on: boolean,
  names: ReadonlySet<string>,
  include: string[],
): Labels {
  let out: Labels = lhs.filter((l) => {
    if (dropName && l.name === METRIC_NAME) return false;
    if (oneToOne) return on ? names.has(l.name) : !names.has(l.name);
    return true;
  });
  for (const name of include) {
    const v = rhs.find((l) => l.name === name)?.value ?? '';
    out = setLabel(out, name, v);
  }
  return out;
}

/** Arithmetic drops the metric name; comparisons and atan2 keep it (Prometheus's shouldDropMetricName). */
function dropsMetricName(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^';
}

/** Prometheus's vectorElemBinop: the value and, for comparisons, whether the element is kept. */
export function binop(op: BinaryOp, l: number, r: number): [number, boolean] {
  switch (op) {
    case '+': return [l + r, true];
    case '-': return [l - r, true];
    case '*': return [l * r, true];
    case '/': return [l / r, true];
    case '%': return [l % r, true];
    case '^': return [goPow(l, r), true];
    case 'atan2': return [Math.atan2(l, r), true];
    case '==': return [l, l === r];
    case '!=': return [l, l !== r];
    case '>': return [l, l > r];
    case '<': return [l, l < r];
    case '>=': return [l, l >= r];
    case '<=': return [l, l <= r];
  }
  throw new PromQLError('internal', `operator ${op} not allowed for scalar operations`);
}

/** Labels of absent()/absent_over_time(): the equality matchers, minus names matched more than once or otherwise. */
function absentLabels(matchers: Matcher[]): Labels {
  let out: Labels = [];
  const has = new Set<string>();
  const empty: string[] = [];
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !has.has(m.name)) {
      out = setLabel(out, m.name, m.value);
      if (m.value !== '') has.add(m.name);
    } else empty.push(m.name);
  }
  for (const name of empty) out = setLabel(out, name, '');
  return out;
}

