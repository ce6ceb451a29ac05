/**
 * Turning head data into blocks and merging blocks: head snapshots for a time range, k-way merges of block
 * series, chunk-list merging (vertical merge when chunks overlap), and the compaction planner.
 */
import { compareLabels } from '../../model/labels.js';
import { MAX_SAMPLES_PER_CHUNK, XorChunkBuilder, encodeChunks } from './chunk.js';
import { countSamples, decodeAnyChunk, firstPerTimestamp } from './block-chunk.js';
import type { BlockMeta, BlockSeriesInput, ChunkData } from './block.js';
import type { Head, MemSeries } from './head.js';

/**
 * Sorts and merges chunks of one series. Non-overlapping chunks are reused as they are; overlapping ones are
 * decoded (either encoding), merged (the earlier list wins on equal timestamps) and re-encoded as head (XOR)
 * chunks, which writeBlock turns into block chunks.
 */
export function mergeChunkLists(lists: ChunkData[][]): ChunkData[] {
  const tagged: { c: ChunkData; src: number }[] = [];
  lists.forEach((l, src) => l.forEach((c) => tagged.push({ c, src })));
  if (tagged.length <= 1) return tagged.map((x) => x.c);
  tagged.sort((a, b) => a.c.minT - b.c.minT || a.src - b.src);
  let overlap = false;
  for (let i = 1; i < tagged.length; i++) {
    if (tagged[i].c.minT <= tagged[i - 1].c.maxT) {
      overlap = true;
      break;
    }
  }
  if (!overlap) return tagged.map((x) => x.c);
  // Decode everything, stable-sort by (t, src), keep the first of each timestamp.
  let total = 0;
  for (const x of tagged) total += countSamples(x.c.bytes, x.c.enc);
  const ts = new Float64Array(total);
  const vs = new Float64Array(total);
  const bits = new Uint32Array(vs.buffer);
  const src = new Int32Array(total);
  let n = 0;
  for (const x of tagged) {
    const k = decodeAnyChunk(x.c.bytes, x.c.enc, x.c.minT, ts, vs, n);
    src.fill(x.src, n, n + k);
    n += k;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => ts[a] - ts[b] || src[a] - src[b] || a - b);
  const kept = firstPerTimestamp(order, ts, bits);
  return encodeChunks(kept.ts, new Uint32Array(kept.vs.buffer), 0, kept.n);
}

/** Splits a sorted sample run into chunks that never cross a multiple of `range`. */
function encodeAligned(ts: Float64Array, bits: Uint32Array, n: number, range: number): ChunkData[] {
  const out: ChunkData[] = [];
  let b: XorChunkBuilder | undefined;
  let end = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (!b || b.count >= MAX_SAMPLES_PER_CHUNK || t >= end) {
      if (b) out.push({ bytes: b.copyBytes(), minT: b.minT, maxT: b.lastT });
      b = new XorChunkBuilder(256);
      end = (Math.floor(t / range) + 1) * range;
    }
    b.appendBits(t, bits[2 * i + 1], bits[2 * i]);
  }
  if (b && b.count > 0) out.push({ bytes: b.copyBytes(), minT: b.minT, maxT: b.lastT });
  return out;
}

/**
 * Captures the head's data in [mint, maxt) as block input, sorted by labels. In-order chunks are shared
 * (the open chunk is copied); out-of-order samples before maxt are taken out of the head and merged in.
 * Returns the input and the smallest timestamp included.
 */
export async function snapshotHead(
  head: Head,
  mint: number,
  maxt: number,
): Promise<{ series: BlockSeriesInput[]; minT: number }> {
  const out: { s: MemSeries; chunks: ChunkData[] }[] = [];
  let minT = mint;
  const end = head.byRef.length;
  for (let ref = 1; ref < end; ref++) {
    if (ref % 20_000 === 0) await yieldToLoop();
    const s = head.byRef[ref];
    if (s === undefined || s.ref !== ref) continue;
    const chunks: ChunkData[] = [];
    if (s.chunks) for (const c of s.chunks) if (c.maxT < maxt) chunks.push(c);
    if (s.count > 0 && s.minT < maxt) chunks.push({ bytes: s.copyBytes(), minT: s.minT, maxT: s.lastT });
    const o = s.ooo;
    let k = 0;
    if (o) while (k < o.n && o.ts[k] < maxt) k++;
    if (k > 0 && o) {
      const oooChunks = encodeAligned(o.ts, o.bits, k, maxt - mint);
      o.dropBefore(maxt);
      if (o.n === 0) s.ooo = null;
      if (oooChunks[0].minT < minT) minT = oooChunks[0].minT;
      const merged = mergeChunkLists([chunks, oooChunks]);
      if (merged.length > 0) out.push({ s, chunks: merged });
    } else if (chunks.length > 0) {
      out.push({ s, chunks });
    }
  }
  await sortAsync(out, (a, b) => compareLabels(a.s.labels, b.s.labels));
  return { series: out.map((x) => ({ labels: x.s.labels, chunks: x.chunks })), minT };
}

function yieldToLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Sorts in place without holding the event loop for long: runs of 8k elements are sorted one per tick,
 * then merged pairwise, yielding every ~64k moved elements.
 */
export async function sortAsync<T>(arr: T[], cmp: (a: T, b: T) => number): Promise<void> {
  const RUN = 8192;
  if (arr.length <= RUN) {
    arr.sort(cmp);
    return;
  }
  for (let i = 0; i < arr.length; i += RUN) {
    const part = arr.slice(i, i + RUN).sort(cmp);
    for (let k = 0; k < part.length; k++) arr[i + k] = part[k];
    await yieldToLoop();
  }
  let src = arr;
  let dst = new Array<T>(arr.length);
  let moved = 0;
  for (let width = RUN; width < arr.length; width *= 2) {
    for (let lo = 0; lo < arr.length; lo += 2 * width) {
      const mid = Math.min(lo + width, arr.length);
      const hi = Math.min(lo + 2 * width, arr.length);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) dst[k++] = cmp(src[j], src[i]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
      moved += hi - lo;
      if (moved >= 65_536) {
        moved = 0;
        await yieldToLoop();
      }
    }
    [src, dst] = [dst, src];
  }
  if (src !== arr) for (let k = 0; k < arr.length; k++) arr[k] = src[k];
}

/** K-way merge of label-sorted series streams; equal label sets have their chunks merged. */
export async function* mergeSeriesStreams(
  streams: AsyncGenerator<BlockSeriesInput>[],
): AsyncGenerator<BlockSeriesInput> {
  const heads: (BlockSeriesInput | undefined)[] = [];
  for (const s of streams) heads.push((await s.next()).value ?? undefined);
  for (;;) {
    let min: BlockSeriesInput | undefined;
    for (const h of heads) if (h && (!min || compareLabels(h.labels, min.labels) < 0)) min = h;
    if (!min) return;
    const lists: ChunkData[][] = [];
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && compareLabels(h.labels, min.labels) === 0) {
        lists.push(h.chunks);
        const nx = await streams[i].next();
        heads[i] = nx.done ? undefined : nx.value;
      }
    }
    yield { labels: min.labels, chunks: mergeChunkLists(lists) };
  }
}

/** Block ranges for levels: blockRange × 3^i, capped at maxRange. */
export function compactionRanges(blockRange: number, maxRange: number): number[] {
  const out = [blockRange];
  while (out[out.length - 1] * 3 <= maxRange) out.push(out[out.length - 1] * 3);
  return out;
}

/**
 * Picks the next set of blocks to merge: overlapping blocks first (vertical compaction), then the smallest
 * range level with ≥2 blocks inside one aligned window that lies entirely before the newest block's end.
 */
export function planCompaction(metas: readonly BlockMeta[], ranges: readonly number[]): BlockMeta[] | undefined {
  if (metas.length < 2) return undefined;
  const sorted = [...metas].sort((a, b) => a.minTime - b.minTime);
  let group: BlockMeta[] = [sorted[0]];
  let groupMax = sorted[0].maxTime;
  for (let i = 1; i < sorted.length; i++) {
    const b = sorted[i];
    if (b.minTime < groupMax) {
      group.push(b);
      groupMax = Math.max(groupMax, b.maxTime);
    } else {
      if (group.length > 1) return group;
      group = [b];
      groupMax = b.maxTime;
    }
  }
  if (group.length > 1) return group;
  const newest = Math.max(...metas.map((m) => m.maxTime));
  for (const r of ranges.slice(1)) {
    const windows = new Map<number, BlockMeta[]>();
    for (const m of sorted) {
      const w = Math.floor(m.minTime / r) * r;
      if (m.maxTime > w + r) continue;
      if (m.maxTime - m.minTime >= r) continue;
      let l = windows.get(w);
      if (!l) windows.set(w, (l = []));
      l.push(m);
    }
    for (const [w, l] of [...windows.entries()].sort((a, b) => a[0] - b[0])) {
      if (l.length >= 2 && w + r <= newest) return l;
    }
  }
  return undefined;
}
