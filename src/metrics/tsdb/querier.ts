/**
 * Reads across the head and persisted blocks. Each source answers independently; series with the same
 * label set are merged by time, and overlapping samples (from overlapping blocks or a block and the head)
 * are deduplicated, the first source (newest) winning on equal timestamps.
 */
import type { Querier, SeriesData, SelectHints } from '../storage/interface.js';
import { compareLabels, labelsKey, type Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import type { Head, SeriesSamples } from './head.js';

export interface QuerySource {
  minTime(): number;
  maxTime(): number;
  select(matchers: readonly Matcher[], mint: number, maxt: number): Promise<SeriesSamples[]>;
  seriesLabels(matchers: readonly Matcher[], mint: number, maxt: number): Promise<Labels[]>;
  labelNames(matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]>;
  labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]>;
}

export class HeadSource implements QuerySource {
  constructor(private readonly head: Head) {}
  minTime(): number {
    // Out-of-order samples can sit below the in-order minimum.
    return Math.min(this.head.minT, this.head.oooMinT);
  }
  maxTime(): number {
    return this.head.maxT;
  }
  async select(matchers: readonly Matcher[], mint: number, maxt: number): Promise<SeriesSamples[]> {
    const out: SeriesSamples[] = [];
    for (const s of this.head.matchingSeries(matchers, mint, maxt)) {
      const { ts, vs } = this.head.samples(s, mint, maxt);
      if (ts.length > 0) out.push({ labels: s.labels, ts, vs });
    }
    return out;
  }
  async seriesLabels(matchers: readonly Matcher[], mint: number, maxt: number): Promise<Labels[]> {
    return this.head.matchingSeries(matchers, mint, maxt).map((s) => s.labels);
  }
  async labelNames(matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]> {
    if (matchers.length === 0) return this.head.labelNamesAll();
    const names = new Set<string>();
    for (const s of this.head.matchingSeries(matchers, mint, maxt)) for (const l of s.labels) names.add(l.name);
    return [...names];
  }
  async labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]> {
    if (matchers.length === 0) return [...this.head.valuesOf(name)];
    const vals = new Set<string>();
    for (const s of this.head.matchingSeries(matchers, mint, maxt)) {
      for (const l of s.labels) if (l.name === name) vals.add(l.value);
    }
    return [...vals];
  }
}

/** Merges two sorted sample runs; on equal timestamps `a` wins. Values are copied bit-exactly. */
export function mergeRuns(
  a: { ts: Float64Array; vs: Float64Array },
  b: { ts: Float64Array; vs: Float64Array },
): { ts: Float64Array; vs: Float64Array } {
  if (b.ts.length === 0) return a;
  if (a.ts.length === 0) return b;
  if (a.ts[a.ts.length - 1] < b.ts[0]) return concatRuns(a, b);
  if (b.ts[b.ts.length - 1] < a.ts[0]) return concatRuns(b, a);
  const ts = new Float64Array(a.ts.length + b.ts.length);
  const vs = new Float64Array(ts.length);
  const out = new Uint32Array(vs.buffer);
  const ab = new Uint32Array(a.vs.buffer, a.vs.byteOffset, a.vs.length * 2);
  const bb = new Uint32Array(b.vs.buffer, b.vs.byteOffset, b.vs.length * 2);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.ts.length || j < b.ts.length) {
    let src: Uint32Array;
    let k: number;
    if (j >= b.ts.length || (i < a.ts.length && a.ts[i] <= b.ts[j])) {
      if (j < b.ts.length && a.ts[i] === b.ts[j]) j++;
      ts[n] = a.ts[i];
      src = ab;
      k = i++;
    } else {
      ts[n] = b.ts[j];
      src = bb;
      k = j++;
    }
    out[2 * n] = src[2 * k];
    out[2 * n + 1] = src[2 * k + 1];
    n++;
  }
  return { ts: ts.subarray(0, n), vs: vs.subarray(0, n) };
}

function concatRuns(
  a: { ts: Float64Array; vs: Float64Array },
  b: { ts: Float64Array; vs: Float64Array },
): { ts: Float64Array; vs: Float64Array } {
  const ts = new Float64Array(a.ts.length + b.ts.length);
  ts.set(a.ts);
  ts.set(b.ts, a.ts.length);
  // Copy values through a byte view so NaN payloads are not touched.
  const vs = new Float64Array(ts.length);
  const vb = new Uint8Array(vs.buffer);
  vb.set(new Uint8Array(a.vs.buffer, a.vs.byteOffset, a.vs.byteLength));
  vb.set(new Uint8Array(b.vs.buffer, b.vs.byteOffset, b.vs.byteLength), a.vs.byteLength);
  return { ts, vs };
}

export class MergeQuerier implements Querier {
  /**
   * `sources` returns the current sources newest first (head, then blocks by descending time). It is called
   * per request so a querier kept across a block cut sees the new block rather than a truncated head.
   */
  constructor(private readonly sources: () => readonly QuerySource[]) {}

  private overlapping(mint: number, maxt: number): QuerySource[] {
    return this.sources().filter((s) => s.maxTime() >= mint && s.minTime() <= maxt);
  }

  async select(matchers: readonly Matcher[], mint: number, maxt: number, _hints?: SelectHints): Promise<SeriesData[]> {
    const srcs = this.overlapping(mint, maxt);
    if (srcs.length === 1) {
      const res = await srcs[0].select(matchers, mint, maxt);
      return res
        .map((r) => ({ labels: r.labels, timestamps: r.ts, values: r.vs }))
        .sort((a, b) => compareLabels(a.labels, b.labels));
    }
    const merged = new Map<string, SeriesSamples>();
    for (const src of srcs) {
      for (const r of await src.select(matchers, mint, maxt)) {
        const key = labelsKey(r.labels);
        const prev = merged.get(key);
        if (prev === undefined) merged.set(key, r);
        else {
          const m = mergeRuns(prev, r);
          merged.set(key, { labels: prev.labels, ts: m.ts, vs: m.vs });
        }
      }
    }
    return [...merged.values()]
      .map((r) => ({ labels: r.labels, timestamps: r.ts, values: r.vs }))
      .sort((a, b) => compareLabels(a.labels, b.labels));
  }

  async series(matchers: readonly Matcher[], mint: number, maxt: number): Promise<Labels[]> {
    const merged = new Map<string, Labels>();
    for (const src of this.overlapping(mint, maxt)) {
      for (const ls of await src.seriesLabels(matchers, mint, maxt)) merged.set(labelsKey(ls), ls);
    }
    return [...merged.values()].sort(compareLabels);
  }

  async labelNames(matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]> {
    const names = new Set<string>();
    for (const src of this.overlapping(mint, maxt)) for (const n of await src.labelNames(matchers, mint, maxt)) names.add(n);
    return [...names].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]> {
    const vals = new Set<string>();
    for (const src of this.overlapping(mint, maxt)) {
      for (const v of await src.labelValues(name, matchers, mint, maxt)) if (v !== '') vals.add(v);
    }
    return [...vals].sort();
  }
}
