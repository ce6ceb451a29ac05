/** Aggregation operators (sum, avg, topk, quantile, count_values, ...) per step, as Prometheus 2.42's aggregation(). */
import { labelsKey, METRIC_NAME, type Labels } from '../../model/labels.js';
import type { AggregateExpr } from './parser/ast.js';
import { PromQLError } from './errors.js';
import { setLabel } from './labels-util.js';
import { byValueNaNFirst, quantile } from './quantile.js';
import { SeriesBuilder, type EvalValue, type StepSeries } from './value.js';

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

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
    const top = op === 'topk';
    // "a is worse than b": the element a heap of the best k would evict first.
    const worse = (a: number, c: number): boolean =>
      top ? a < c || (Number.isNaN(a) && !Number.isNaN(c)) : a > c || (Number.isNaN(a) && !Number.isNaN(c));
    for (let i = 0; i < n; i++) {
      let k = Math.trunc(params![i]);
      if (!(k >= 1)) continue;
      for (const g of groups) {
        const chosen: number[] = [];
        for (const m of g.members) {
          const s = input[m];
          if (!s.present[i]) continue;
          const v = s.values[i];
          if (chosen.length < k) {
            chosen.push(m);
            continue;
          }
          let wi = 0;
          for (let c = 1; c < chosen.length; c++) if (worse(input[chosen[c]].values[i], input[chosen[wi]].values[i])) wi = c;
          const wv = input[chosen[wi]].values[i];
          if (worse(wv, v)) chosen[wi] = m;
        }
        for (const m of chosen) b.set(slots[m], i, input[m].values[i]);
      }
      k = 0;
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
