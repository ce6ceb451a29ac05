/** Aggregation operators (sum, avg, topk, quantile, count_values, ...) per step, as Prometheus 2.42's aggregation(). */
import { labelsKey, METRIC_NAME, type Labels } from '../../model/labels.js';
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

/** Go's strconv.FormatFloat(v, 'f', -1, 64). */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!s.includes('e')) return s;
  // Expand the shortest round-trip digits without an exponent.
  const neg = v < 0;
  const [mant, expStr] = (neg ? s.slice(1) : s).split('e');
  const exp = Number(expStr);
  const [ip, fp = ''] = mant.split('.');
  const digits = ip + fp;
  const point = ip.length + exp;
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + out;
}

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

  const slots = groups.map((g) => b.slot(g.labels));
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi];
      let count = 0;
      let value = 0;
      let mean = 0;
      vals.length = 0;
      for (const m of g.members) {
        const s = input[m];
        if (!s.present[i]) continue;
        const v = s.values[i];
        count++;
        switch (op) {
          case 'sum':
            value = count === 1 ? v : value + v;
            break;
          case 'avg':
            if (count === 1) {
              mean = v;
              break;
            }
            if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
              if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) break;
              if (Number.isFinite(v)) break;
            }
            mean += v / count - mean / count;
            break;
          case 'max':
            if (count === 1 || value < v || Number.isNaN(value)) value = v;
            break;
          case 'min':
            if (count === 1 || value > v || Number.isNaN(value)) value = v;
            break;
          case 'stddev':
          case 'stdvar': {
            if (count === 1) {
              mean = v;
              value = 0;
              break;
            }
            const delta = v - mean;
            mean += delta / count;
            value += delta * (v - mean);
            break;
          }
          case 'quantile':
            vals.push(v);
            break;
          default:
            break;
        }
      }
      if (count === 0) continue;
      let out: number;
      switch (op) {
        case 'avg':
          out = mean;
          break;
        case 'count':
          out = count;
          break;
        case 'group':
          out = 1;
          break;
        case 'stdvar':
          out = value / count;
          break;
        case 'stddev':
          out = Math.sqrt(value / count);
          break;
        case 'quantile':
          out = quantile(params![i], vals);
          break;
        default:
          out = value;
      }
      b.set(slots[gi], i, out);
    }
  }
  return { type: 'vector', series: b.result() };
}

export { byValueNaNFirst };

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
