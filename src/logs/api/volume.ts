/**
 * Loki's log volume (`/loki/api/v1/index/volume`, `/index/volume_range`): bytes of log lines per series, for
 * Grafana's logs-volume histogram and Logs Drilldown's service list.
 *
 * Aggregation follows Loki's index: by default each stream counts towards the series made of its labels that
 * the selector names (`{job="a", env=~".+"}` → `{job, env}`); `{}` keeps all labels; `targetLabels` replaces
 * the selector's names (and adds `name=~".+"` for each target the selector does not name);
 * `aggregateBy=labels` gives one series per label name (`{name=""}`) summing every stream that has it.
 * Ranges are cut into step buckets aligned to multiples of the step (the first starts at `start`), each
 * reported at its last millisecond, the last at `end`; each bucket keeps its `limit` largest series.
 *
 * The instant volume comes from the store's index statistics (computeVolumeFromIndex: no line is read, whole
 * files overlapping the range count, as Loki's chunks do). volume_range needs bytes per step, which the store
 * interface cannot give per stream and window, so it reads the lines (bytes = UTF-8 length) in one pass.
 */
import type { Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import type { LogStore } from '../store/interface.js';
import { parseLogQL } from '../logql/parse.js';
import { BadRequest } from './params.js';

export interface VolumeRequest {
  /** `{}` or a stream selector. */
  query: string;
  start: bigint;
  end: bigint;
  /** Bucket width in ms; 0 = one bucket (the instant endpoint). */
  stepMs: number;
  limit: number;
  targetLabels: string[];
  aggregateBy: 'series' | 'labels';
  signal?: AbortSignal;
}

export interface VolumeSeries {
  metric: Record<string, string>;
  /** [seconds, "bytes"] in time order. */
  values: [number, string][];
}

const MS = 1_000_000n;

export function parseAggregateBy(v: string | undefined): 'series' | 'labels' {
  if (v === undefined || v === '' || v === 'series') return 'series';
  if (v === 'labels') return 'labels';
  throw new BadRequest(`invalid aggregateBy: ${v}, must be one of [series, labels]`);
}

export function parseTargetLabels(v: string | undefined): string[] {
  if (!v) return [];
  return v.split(',').filter((s) => s !== '');
}

/** The selector's matchers, plus whether it was `{}` (match all). */
function volumeSelector(query: string): { matchers: Matcher[]; matchAll: boolean } {
  if (/^\s*\{\s*\}\s*$/.test(query)) return { matchers: [], matchAll: true };
  const e = parseLogQL(query);
  if (e.kind !== 'log' || e.pipeline.length > 0) throw new BadRequest('only stream selectors are accepted here');
  return { matchers: [...e.matchers], matchAll: false };
}

interface Bucket {
  /** Inclusive start, exclusive end (the last bucket includes `end`), ns. */
  from: bigint;
  to: bigint;
  /** Reported time, ms. */
  atMs: number;
}

function buckets(start: bigint, end: bigint, stepMs: number): Bucket[] {
  if (stepMs <= 0) return [{ from: start, to: end, atMs: Number(end / MS) }];
  const step = BigInt(stepMs) * MS;
  const out: Bucket[] = [];
  let first = true;
  for (let s = start - (((start % step) + step) % step); s < end; s += step) {
    const next = s + step;
    const last = next >= end;
    out.push({ from: first ? start : s, to: last ? end : next, atMs: last ? Number(end / MS) : Number(next / MS) - 1 });
    first = false;
  }
  return out.length > 0 ? out : [{ from: start, to: end, atMs: Number(end / MS) }];
}

function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** The series (or label) names a stream's volume counts towards, and the matchers that select exactly their streams. */
interface Grouping {
  matchers: Matcher[];
  by: Set<string>;
  includeAll: boolean;
  targets: string[];
}

function grouping(r: VolumeRequest): Grouping {
  const { matchers, matchAll } = volumeSelector(r.query);
  const targets = r.targetLabels;
  const by = new Set<string>();
  let includeAll = false;
  if (targets.length > 0) {
    for (const t of targets) {
      by.add(t);
      if (!matchers.some((m) => m.name === t)) matchers.push({ type: '=~', name: t, value: '.+' });
    }
  } else {
    for (const m of matchers) by.add(m.name);
    includeAll = matchAll;
  }
  return { matchers, by, includeAll, targets };
}

function topSeries(volumes: Map<string, number>, metrics: Map<string, Record<string, string>>, limit: number, atMs: number): VolumeSeries[] {
  return [...volumes.entries()]
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, limit)
    .map(([k, v]) => ({ metric: metrics.get(k)!, values: [[atMs / 1000, String(v)]] }));
}

/**
 * The instant volume from the store's index statistics, without reading lines: like Loki's index, whole files
 * (and the in-memory head) that overlap the range count, so edges of the range can over-count.
 */
export async function computeVolumeFromIndex(store: LogStore, r: VolumeRequest): Promise<VolumeSeries[]> {
  const g = grouping(r);
  const series = await store.series(g.matchers, r.start, r.end);
  const metrics = new Map<string, Record<string, string>>();
  const volumes = new Map<string, number>();
  const stats = async (extra: Matcher[]): Promise<number> => (await store.stats([...g.matchers, ...extra], r.start, r.end)).bytes;
  if (r.aggregateBy === 'labels') {
    const names = new Set<string>();
    for (const ls of series) for (const l of ls) if (g.targets.length === 0 || g.by.has(l.name)) names.add(l.name);
    for (const n of names) {
      const k = seriesKey({ [n]: '' });
      metrics.set(k, { [n]: '' });
      volumes.set(k, await stats([{ type: '=~', name: n, value: '.+' }]));
    }
  } else {
    // Streams group by their projection on the aggregation labels; pinning every such label (absent ones to
    // "") selects exactly one group's streams.
    const names = new Set<string>(g.by);
    if (g.includeAll) for (const ls of series) for (const l of ls) names.add(l.name);
    for (const ls of series) {
      const metric: Record<string, string> = {};
      for (const l of ls) if (names.has(l.name)) metric[l.name] = l.value;
      const k = seriesKey(metric);
      if (metrics.has(k)) continue;
      metrics.set(k, metric);
      volumes.set(k, await stats([...names].map((n) => ({ type: '=' as const, name: n, value: metric[n] ?? '' }))));
    }
  }
  return topSeries(volumes, metrics, r.limit, Number(r.end / MS));
}

export async function computeVolume(store: LogStore, r: VolumeRequest): Promise<{ resultType: 'vector' | 'matrix'; series: VolumeSeries[] }> {
  const { matchers, by, includeAll, targets } = grouping(r);
  const bs = buckets(r.start, r.end, r.stepMs);
  // Per bucket: series key → bytes; the key's labels are kept aside.
  const perBucket = bs.map(() => new Map<string, number>());
  const metrics = new Map<string, Record<string, string>>();
  const streamKeys = new Map<Labels, string[]>();
  const keysOf = (stream: Labels): string[] => {
    let keys = streamKeys.get(stream);
    if (keys) return keys;
    if (r.aggregateBy === 'labels') {
      keys = [];
      for (const l of stream) {
        if (targets.length > 0 && !by.has(l.name)) continue;
        const k = seriesKey({ [l.name]: '' });
        if (!metrics.has(k)) metrics.set(k, { [l.name]: '' });
        keys.push(k);
      }
    } else {
      const metric: Record<string, string> = {};
      for (const l of stream) if (includeAll || by.has(l.name)) metric[l.name] = l.value;
      const k = seriesKey(metric);
      if (!metrics.has(k)) metrics.set(k, metric);
      keys = [k];
    }
    if (streamKeys.size > 100_000) streamKeys.clear();
    streamKeys.set(stream, keys);
    return keys;
  };
  const bucketOf = (ts: bigint): number => {
    if (bs.length === 1) return 0;
    // Buckets after the first start at multiples of the step.
    const step = BigInt(r.stepMs) * MS;
    const i = Number((ts - bs[1].from) / step) + 1;
    return ts < bs[1].from ? 0 : Math.min(i, bs.length - 1);
  };
  for await (const batch of store.select({ matchers, start: r.start, end: r.end + 1n, direction: 'forward', limit: 0, signal: r.signal })) {
    for (const e of batch) {
      const b = bucketOf(e.ts);
      const bytes = Buffer.byteLength(e.line);
      const m = perBucket[b];
      for (const k of keysOf(e.stream)) m.set(k, (m.get(k) ?? 0) + bytes);
    }
    if (r.signal?.aborted) throw Object.assign(new Error('query canceled'), { name: 'AbortError' });
  }
  // Each bucket keeps its `limit` largest series (ties by name), as Loki's accumulator.
  const samples = new Map<string, [number, string][]>();
  perBucket.forEach((m, i) => {
    const top = [...m.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, r.limit);
    for (const [k, v] of top) {
      let s = samples.get(k);
      if (!s) samples.set(k, (s = []));
      s.push([bs[i].atMs / 1000, String(v)]);
    }
  });
  const series = [...samples.entries()].map(([k, values]) => ({ key: k, metric: metrics.get(k)!, values }));
  // Largest first by the first sample (Loki's order), ties by name.
  series.sort((x, y) => Number(y.values[0][1]) - Number(x.values[0][1]) || (x.key < y.key ? -1 : 1));
  const resultType = series.some((s) => s.values.length > 1) ? 'matrix' : 'vector';
  return { resultType, series: series.map(({ metric, values }) => ({ metric, values })) };
}
