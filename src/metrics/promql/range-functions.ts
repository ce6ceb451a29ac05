/**
 * Functions over range vectors (rate, *_over_time, deriv, ...). Each one looks at the samples [lo, hi) of one
 * series that fall inside one step's window and returns the output value, or undefined for "no output".
 * Semantics follow Prometheus 2.42 promql/functions.go.
 */
import { PromQLError } from './errors.js';
import { quantile } from './quantile.js';
import { kahanInc } from './value.js';

export interface Window {
  /** Window bounds in ms (inclusive), already shifted by offset/@. */
  rangeStart: number;
  rangeEnd: number;
  rangeMs: number;
  /** The evaluation time of this step, ms (not shifted). */
  evalTime: number;
  /** Values of the scalar arguments at this step, by argument index. */
  scalars: number[];
}

export type RangeFn = (ts: Float64Array, vs: Float64Array, lo: number, hi: number, w: Window) => number | undefined;

const acc = new Float64Array(2);
const acc2 = new Float64Array(2);
const acc3 = new Float64Array(2);
const acc4 = new Float64Array(2);

function extrapolatedRate(isCounter: boolean, isRate: boolean): RangeFn {
  return (ts, vs, lo, hi, w) => {
    const n = hi - lo;
    if (n < 2) return undefined;
    const first = vs[lo];
    const last = vs[hi - 1];
    let result = last - first;
    if (isCounter) {
      let prev = 0;
      for (let i = lo; i < hi; i++) {
        const v = vs[i];
        if (v < prev) result += prev;
        prev = v;
      }
    }
    let durationToStart = (ts[lo] - w.rangeStart) / 1000;
    const durationToEnd = (w.rangeEnd - ts[hi - 1]) / 1000;
    const sampledInterval = (ts[hi - 1] - ts[lo]) / 1000;
    const averageDurationBetweenSamples = sampledInterval / (n - 1);
    if (isCounter && result > 0 && first >= 0) {
      const durationToZero = sampledInterval * (first / result);
      if (durationToZero < durationToStart) durationToStart = durationToZero;
    }
    const threshold = averageDurationBetweenSamples * 1.1;
    let extrapolateTo = sampledInterval;
    extrapolateTo += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
    extrapolateTo += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
    // Same operation order as Prometheus (the factor first), so results agree to the last bit.
    let factor = extrapolateTo / sampledInterval;
    if (isRate) factor /= w.rangeMs / 1000;
    return result * factor;
  };
}

function instantValue(isRate: boolean): RangeFn {
  return (ts, vs, lo, hi) => {
    if (hi - lo < 2) return undefined;
    const last = vs[hi - 1];
    const prev = vs[hi - 2];
    let result = isRate && last < prev ? last : last - prev;
    const interval = ts[hi - 1] - ts[hi - 2];
    if (interval === 0) return undefined;
    if (isRate) result /= interval / 1000;
    return result;
  };
}

/** Least squares fit as Prometheus's linearRegression (x in seconds relative to interceptTime). */
export function linearRegression(ts: Float64Array, vs: Float64Array, lo: number, hi: number, interceptTime: number): [number, number] {
  let n = 0;
  const initY = vs[lo];
  let constY = true;
  acc.fill(0);
  acc2.fill(0);
  acc3.fill(0);
  acc4.fill(0);
  for (let i = lo; i < hi; i++) {
    const y = vs[i];
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (ts[i] - interceptTime) / 1000;
    kahanInc(x, acc);
    kahanInc(y, acc2);
    kahanInc(x * y, acc3);
    kahanInc(x * x, acc4);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [NaN, NaN];
    return [0, initY];
  }
  const sumX = acc[0] + acc[1];
  const sumY = acc2[0] + acc2[1];
  const sumXY = acc3[0] + acc3[1];
  const sumX2 = acc4[0] + acc4[1];
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

function goF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v.toFixed(6);
}

function calcTrendValue(i: number, tf: number, s0: number, s1: number, b: number): number {
  if (i === 0) return b;
  return tf * (s1 - s0) + (1 - tf) * b;
}

const holtWinters: RangeFn = (_ts, vs, lo, hi, w) => {
  const sf = w.scalars[1];
  const tf = w.scalars[2];
  if (sf <= 0 || sf >= 1) throw new PromQLError('execution', `invalid smoothing factor. Expected: 0 < sf < 1, got: ${goF(sf)}`);
  if (tf <= 0 || tf >= 1) throw new PromQLError('execution', `invalid trend factor. Expected: 0 < tf < 1, got: ${goF(tf)}`);
  const l = hi - lo;
  if (l < 2) return undefined;
  let s0 = 0;
  let s1 = vs[lo];
  let b = vs[lo + 1] - vs[lo];
  for (let i = 1; i < l; i++) {
    const x = sf * vs[lo + i];
    b = calcTrendValue(i - 1, tf, s0, s1, b);
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
};

const scratch: number[] = [];

export const RANGE_FUNCTIONS: ReadonlyMap<string, RangeFn> = new Map<string, RangeFn>([
  ['rate', extrapolatedRate(true, true)],
  ['increase', extrapolatedRate(true, false)],
  ['delta', extrapolatedRate(false, false)],
  ['irate', instantValue(true)],
  ['idelta', instantValue(false)],
  ['deriv', (ts, vs, lo, hi) => (hi - lo < 2 ? undefined : linearRegression(ts, vs, lo, hi, ts[lo])[0])],
  [
    'predict_linear',
    (ts, vs, lo, hi, w) => {
      if (hi - lo < 2) return undefined;
      const [slope, intercept] = linearRegression(ts, vs, lo, hi, w.evalTime);
      return slope * w.scalars[1] + intercept;
    },
  ],
  ['holt_winters', holtWinters],
  [
    'changes',
    (_ts, vs, lo, hi) => {
      let changes = 0;
      let prev = vs[lo];
      for (let i = lo + 1; i < hi; i++) {
        const cur = vs[i];
        if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
        prev = cur;
      }
      return changes;
    },
  ],
  [
    'resets',
    (_ts, vs, lo, hi) => {
      let resets = 0;
      let prev = vs[lo];
      for (let i = lo + 1; i < hi; i++) {
        const cur = vs[i];
        if (cur < prev) resets++;
        prev = cur;
      }
      return resets;
    },
  ],
  [
    'avg_over_time',
    (_ts, vs, lo, hi) => {
      let mean = 0;
      let count = 0;
      acc.fill(0);
      for (let i = lo; i < hi; i++) {
        const v = vs[i];
        count++;
        if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
          if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
          if (Number.isFinite(v)) continue;
        }
        acc[0] = mean;
        kahanInc(v / count - mean / count, acc);
        mean = acc[0];
      }
      if (!Number.isFinite(mean) && !Number.isNaN(mean)) return mean;
      return mean + acc[1];
    },
  ],
  [
    'sum_over_time',
    (_ts, vs, lo, hi) => {
      acc.fill(0);
      for (let i = lo; i < hi; i++) kahanInc(vs[i], acc);
      if (!Number.isFinite(acc[0]) && !Number.isNaN(acc[0])) return acc[0];
      return acc[0] + acc[1];
    },
  ],
  ['count_over_time', (_ts, _vs, lo, hi) => hi - lo],
  ['present_over_time', () => 1],
  ['last_over_time', (_ts, vs, _lo, hi) => vs[hi - 1]],
  [
    'max_over_time',
    (_ts, vs, lo, hi) => {
      let m = vs[lo];
      for (let i = lo + 1; i < hi; i++) if (vs[i] > m || Number.isNaN(m)) m = vs[i];
      return m;
    },
  ],
  [
    'min_over_time',
    (_ts, vs, lo, hi) => {
      let m = vs[lo];
      for (let i = lo + 1; i < hi; i++) if (vs[i] < m || Number.isNaN(m)) m = vs[i];
      return m;
    },
  ],
  ['stddev_over_time', (_ts, vs, lo, hi) => Math.sqrt(variance(vs, lo, hi))],
  ['stdvar_over_time', (_ts, vs, lo, hi) => variance(vs, lo, hi)],
  [
    'quantile_over_time',
    (_ts, vs, lo, hi, w) => {
      scratch.length = 0;
      for (let i = lo; i < hi; i++) scratch.push(vs[i]);
      return quantile(w.scalars[0], scratch);
    },
  ],
]);

function variance(vs: Float64Array, lo: number, hi: number): number {
  let count = 0;
  acc.fill(0);
  acc2.fill(0);
  for (let i = lo; i < hi; i++) {
    const v = vs[i];
    count++;
    const delta = v - (acc[0] + acc[1]);
    kahanInc(delta / count, acc);
    kahanInc(delta * (v - (acc[0] + acc[1])), acc2);
  }
  return (acc2[0] + acc2[1]) / count;
}
