/** Aggregation operators (sum, avg, topk, quantile, count_values, ...) per step, as Prometheus 2.42's aggregation(). */
import { labelsKey, METRIC_NAME, type Labels } from '../../model/labels.js';
import { formatFloatF } from '../../model/float-text.js';
import type { AggregateExpr } from './parser/ast.js';
import { PromQLError } from './errors.js';
import { setLabel } from './labels-util.js';
import { byValueNaNFirst, quantile } from './quantile.js';
import { SeriesBuilder, type EvalValue, type StepSeries } from './value.js';

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * How Prometheus writes sample values in API JSON: shortest round-trip digits, exponent form below 1e-6 and
 * from 1e21 on (as JavaScript does), with Go's at-least-two-digit exponent.
 */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const sign = s[e + 1];
  const digits = s.slice(e + 2);
  return `${s.slice(0, e)}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64); count_values writes values with it. */
export { formatFloatF };

function groupLabels(ls: Labels, grouping: ReadonlySet<string>, without: boolean): Labels {
  return without
    ? ls.filter((l) => l.name !== METRIC_NAME && !grouping.has(l.name))
    : ls.filter((l) => grouping.has(l.name));
}

export function aggregate(e: AggregateExpr, param: EvalValue | undefined, input: StepSeries[], n: number): EvalValue {
  const grouping = new Set(e.grouping);
  const op = e.op;
  const b = new SeriesBuilder(n);

  if (op === 'count_values') {
    const valueLabel = (param as { value: string }).value;
    if (!LABEL_NAME_RE.test(valueLabel)) throw new PromQLError('execution', `invalid label name ${JSON.stringify(valueLabel)}`);
    if (!e.without) grouping.add(valueLabel);
    const counts = new Map<string, { labels: Labels; count: number }>();
    const base = input.map((s) => groupLabels(s.labels, grouping, e.without));
    for (let i = 0; i < n; i++) {
      counts.clear();
      input.forEach((s, k) => {
        if (!s.present[i]) return;
        const ls = e.without ? setLabel(base[k], valueLabel, formatFloatF(s.values[i])) : groupLabels(setLabel(s.labels, valueLabel, formatFloatF(s.values[i])), grouping, false);
        const key = labelsKey(ls);
        const c = counts.get(key);
        if (c) c.count++;
        else counts.set(key, { labels: ls, count: 1 });
      });
      for (const [key, c] of counts) b.set(b.slot(c.labels, key), i, c.count);
    }
    return { type: 'vector', series: b.result() };
  }

  // Group membership is fixed per series, so it is computed once.
  const groupOf = new Int32Array(input.length);
  const groups: { labels: Labels; members: number[] }[] = [];
  const byKey = new Map<string, number>();
  input.forEach((s, k) => {
    const ls = groupLabels(s.labels, grouping, e.without);
    const key = labelsKey(ls);
    let g = byKey.get(key);
    if (g === undefined) {
      g = groups.length;
      byKey.set(key, g);
      groups.push({ labels: ls, members: [] });
    }
    groupOf[k] = g;
    groups[g].members.push(k);
  });
  const params = param && param.type === 'scalar' ? param.values : undefined;

  if (op === 'topk' || op === 'bottomk') {
    const slots = input.map((s) => b.slot(s.labels));
    const heapLess = op === 'topk' ? lessByValue : lessByReverseValue;
    const heaps: number[][] = groups.map(() => []);
    for (let i = 0; i < n; i++) {
      const param = params![i];
      if (!convertibleToInt64(param)) throw new PromQLError('execution', `Scalar value ${goFloatV(param)} overflows int64`);
      const k = Math.trunc(param);
      if (k < 1) continue;
      const vals = new Float64Array(input.length);
      for (const h of heaps) h.length = 0;
      // Series in input order, each group keeps a heap of its best k (Go container/heap semantics, so ties
      // resolve as in Prometheus).
      for (let m = 0; m < input.length; m++) {
        const s = input[m];
        if (!s.present[i]) continue;
        const v = s.values[i];
        vals[m] = v;
        const h = heaps[groupOf[m]];
        const less = (x: number, y: number) => heapLess(vals[h[x]], vals[h[y]]);
        if (h.length < k) {
          h.push(m);
          heapUp(h, h.length - 1, less);
        } else if (op === 'topk' ? vals[h[0]] < v || (Number.isNaN(vals[h[0]]) && !Number.isNaN(v)) : vals[h[0]] > v || (Number.isNaN(vals[h[0]]) && !Number.isNaN(v))) {
          h[0] = m;
          if (k > 1) heapFix(h, 0, less);
        }
      }
      for (const h of heaps) for (const m of h) b.set(slots[m], i, vals[m]);
    }
    return { type: 'vector', series: b.result() };
  }

  if (op !== 'quantile') return simpleAggregate(op, input, groups, groupOf, n);

  // quantile: all values of a group at a step are needed at once.
  const slots = groups.map((g) => b.slot(g.labels));
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let gi = 0; gi < groups.length; gi++) {
      vals.length = 0;
      for (const m of groups[gi].members) if (input[m].present[i]) vals.push(input[m].values[i]);
      if (vals.length > 0) b.set(slots[gi], i, quantile(params![i], vals));
    }
  }
  return { type: 'vector', series: b.result() };
}

export { byValueNaNFirst };

/**
 * sum/avg/min/max/count/group/stddev/stdvar, computed series by series over all steps (cache-friendly typed
 * arrays indexed group*steps+step). Each (group, step) still sees its samples in input order, so the floating
 * point results are those of Prometheus's per-step loop.
 */
function simpleAggregate(
  op: AggregateExpr['op'],
  input: StepSeries[],
  groups: { labels: Labels; members: number[] }[],
  groupOf: Int32Array,
  n: number,
): EvalValue {
  const size = groups.length * n;
  const count = new Float64Array(size);
  const value = new Float64Array(size);
  const mean = op === 'avg' || op === 'stddev' || op === 'stdvar' ? new Float64Array(size) : value;
  for (let k = 0; k < input.length; k++) {
    const s = input[k];
    const base = groupOf[k] * n;
    const present = s.present;
    const vs = s.values;
    for (let i = 0; i < n; i++) {
      if (!present[i]) continue;
      const v = vs[i];
      const j = base + i;
      const c = ++count[j];
      switch (op) {
        case 'sum':
          value[j] = c === 1 ? v : value[j] + v;
          break;
        case 'max':
          if (c === 1 || value[j] < v || Number.isNaN(value[j])) value[j] = v;
          break;
        case 'min':
          if (c === 1 || value[j] > v || Number.isNaN(value[j])) value[j] = v;
          break;
        case 'avg': {
          if (c === 1) {
            mean[j] = v;
            break;
          }
          const m = mean[j];
          if (!Number.isFinite(m) && !Number.isNaN(m)) {
            if (!Number.isFinite(v) && !Number.isNaN(v) && m > 0 === v > 0) break;
            if (Number.isFinite(v)) break;
          }
          mean[j] = m + (v / c - m / c);
          break;
        }
        case 'stddev':
        case 'stdvar': {
          if (c === 1) {
            mean[j] = v;
            value[j] = 0;
            break;
          }
          const delta = v - mean[j];
          mean[j] += delta / c;
          value[j] += delta * (v - mean[j]);
          break;
        }
        default:
          break;
      }
    }
  }
  const out: StepSeries[] = [];
  for (let g = 0; g < groups.length; g++) {
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    let any = false;
    for (let i = 0; i < n; i++) {
      const j = g * n + i;
      const c = count[j];
      if (c === 0) continue;
      any = true;
      present[i] = 1;
      switch (op) {
        case 'avg':
          values[i] = mean[j];
          break;
        case 'count':
          values[i] = c;
          break;
        case 'group':
          values[i] = 1;
          break;
        case 'stdvar':
          values[i] = value[j] / c;
          break;
        case 'stddev':
          values[i] = Math.sqrt(value[j] / c);
          break;
        default:
          values[i] = value[j];
      }
    }
    if (any) out.push({ labels: groups[g].labels, values, present });
  }
  return { type: 'vector', series: out };
}

function lessByValue(a: number, b: number): boolean {
  if (Number.isNaN(a)) return true;
  return a < b;
}

function lessByReverseValue(a: number, b: number): boolean {
  if (Number.isNaN(a)) return true;
  return a > b;
}

function swap(h: number[], i: number, j: number): void {
  const t = h[i];
  h[i] = h[j];
  h[j] = t;
}

/** Go's container/heap up(). */
function heapUp(h: number[], j: number, less: (i: number, j: number) => boolean): void {
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(j, i)) break;
    swap(h, i, j);
    j = i;
  }
}

/** Go's container/heap down(); returns whether the element moved. */
function heapDown(h: number[], i0: number, less: (i: number, j: number) => boolean): boolean {
  let i = i0;
  const n = h.length;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(j2, j1)) j = j2;
    if (!less(j, i)) break;
    swap(h, i, j);
    i = j;
  }
  return i > i0;
}

function heapFix(h: number[], i: number, less: (i: number, j: number) => boolean): void {
  if (!heapDown(h, i, less)) heapUp(h, i, less);
}

function convertibleToInt64(v: number): boolean {
  return v <= 9223372036854775807 && v >= -9223372036854775808;
}

/** Go's %v for a float64. */
export function goFloatV(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) return formatSampleValue(v);
  return String(v);
}
