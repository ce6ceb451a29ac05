/** Compares two Prometheus HTTP API query responses the way the differential suite defines equality. */

export interface ApiResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

type Pair = [number, string];
interface VecItem { metric: Record<string, string>; value: Pair }
interface MatItem { metric: Record<string, string>; values: Pair[] }

export function floatsEqual(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a === '+Inf' ? 'Infinity' : a === '-Inf' ? '-Infinity' : a);
  const y = Number(b === '+Inf' ? 'Infinity' : b === '-Inf' ? '-Infinity' : b);
  if (Number.isNaN(x) && Number.isNaN(y)) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

function key(m: Record<string, string>): string {
  return JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function pairEq(a: Pair, b: Pair): boolean {
  return Math.abs(Number(a[0]) - Number(b[0])) < 1e-6 && floatsEqual(a[1], b[1]);
}

/**
 * topk/bottomk choose among equal values by storage iteration order (Prometheus: series creation order in its
 * head, or Go map order for computed inputs in range queries), which PromQL does not define. For those queries
 * a difference in labels is accepted when, at every timestamp, the selected values are the same multiset.
 */
function sameValuesPerTimestamp(w: (VecItem | MatItem)[], g: (VecItem | MatItem)[]): boolean {
  const collect = (items: (VecItem | MatItem)[]) => {
    const m = new Map<string, string[]>();
    for (const s of items) {
      for (const p of 'value' in s ? [s.value] : s.values) {
        const k = String(p[0]);
        if (!m.has(k)) m.set(k, []);
        m.get(k)!.push(p[1]);
      }
    }
    for (const v of m.values()) v.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
    return m;
  };
  const a = collect(w);
  const b = collect(g);
  if (a.size !== b.size) return false;
  for (const [k, va] of a) {
    const vb = b.get(k);
    if (!vb || vb.length !== va.length || va.some((x, i) => !floatsEqual(x, vb[i]))) return false;
  }
  return true;
}

/** Returns undefined when equal, else a short description of the first difference. */
export function compareResponses(want: ApiResponse, got: ApiResponse, ordered: boolean, tiesByStorageOrder = false): string | undefined {
  const diff = compareExact(want, got, ordered);
  if (diff && tiesByStorageOrder && want.status === 'success' && got.status === 'success' && want.data!.resultType === got.data!.resultType) {
    const wr = want.data!.result as (VecItem | MatItem)[];
    const gr = got.data!.result as (VecItem | MatItem)[];
    if (Array.isArray(wr) && sameValuesPerTimestamp(wr, gr)) return undefined;
  }
  return diff;
}

function compareExact(want: ApiResponse, got: ApiResponse, ordered: boolean): string | undefined {
  if (want.status !== got.status) {
    return `status: prometheus ${want.status} (${want.error ?? ''}) vs sextant ${got.status} (${got.error ?? ''})`;
  }
  if (want.status === 'error') {
    if (want.errorType !== got.errorType) return `errorType: ${want.errorType} vs ${got.errorType} (${want.error} | ${got.error})`;
    if (want.error !== got.error) return `error message: ${JSON.stringify(want.error)} vs ${JSON.stringify(got.error)}`;
    return undefined;
  }
  const w = want.data!;
  const g = got.data!;
  if (w.resultType !== g.resultType) return `resultType: ${w.resultType} vs ${g.resultType}`;
  if (w.resultType === 'scalar' || w.resultType === 'string') {
    const a = w.result as Pair;
    const b = g.result as Pair;
    const eq = w.resultType === 'string' ? a[1] === b[1] && a[0] === b[0] : pairEq(a, b);
    return eq ? undefined : `value: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  const wr = w.result as (VecItem | MatItem)[];
  const gr = g.result as (VecItem | MatItem)[];
  if (wr.length !== gr.length) {
    return `series count: ${wr.length} vs ${gr.length}; prometheus ${wr.slice(0, 3).map((s) => key(s.metric)).join(' ')} | sextant ${gr.slice(0, 3).map((s) => key(s.metric)).join(' ')}`;
  }
  const byKey = new Map(gr.map((s) => [key(s.metric), s]));
  for (const s of wr) {
    const o = byKey.get(key(s.metric));
    if (!o) return `missing series ${key(s.metric)} in sextant`;
    if ('value' in s) {
      const ov = (o as VecItem).value;
      if (!pairEq(s.value, ov)) return `${key(s.metric)}: ${JSON.stringify(s.value)} vs ${JSON.stringify(ov)}`;
    } else {
      const ov = (o as MatItem).values;
      if (s.values.length !== ov.length) {
        return `${key(s.metric)}: ${s.values.length} points vs ${ov.length}; first ${JSON.stringify(s.values[0])} vs ${JSON.stringify(ov[0])}`;
      }
      for (let i = 0; i < s.values.length; i++) {
        if (!pairEq(s.values[i], ov[i])) return `${key(s.metric)}[${i}]: ${JSON.stringify(s.values[i])} vs ${JSON.stringify(ov[i])}`;
      }
    }
  }
  if (ordered && w.resultType === 'vector') {
    // sort()/sort_desc(): the order of values must agree (ties may be ordered either way).
    for (let i = 0; i < wr.length; i++) {
      if (!floatsEqual((wr[i] as VecItem).value[1], (gr[i] as VecItem).value[1])) return `order differs at ${i}`;
    }
  }
  return undefined;
}
