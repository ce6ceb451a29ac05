/**
 * One immutable block of the trace store: a directory `blocks/<seq>/` holding
 *
 *   data.bin   every trace's spans as one record (JSON bytes, span-codec), records sorted by trace id.
 *              Format 2 (meta.format = 2): consecutive records are packed into groups of about GROUP_RAW_BYTES (16 KiB)
 *              and each group is deflate-compressed on its own, so a trace-by-id lookup inflates one small
 *              group (~14x smaller than format 1). Format 1 (no meta.format): records stored uncompressed.
 *   ids.bin    the sorted 16-byte trace ids                      -> binary search for trace-by-id
 *   idx.bin    per trace (same order as ids.bin)
 *                format 1: f64 offset, u32 length, u32 span count
 *                format 2: f64 group offset, u32 group compressed length, u32 span count,
 *                          u32 record offset inside the inflated group, u32 record length
 *   cols.bin   per span, rows sorted by (service, start): u32 trace index | u32 name id | u8 status+kind |
 *              i64 start ns | f64 duration ns — each column contiguous, so a search reads only the row range
 *              of the service it asks for, and inside it only the rows of its time range (binary search).
 *   attrs.bin  (format 2, when meta.attrIndex is present) per compressed group: a Bloom filter of the
 *              (scope, key, value) attribute entries and numeric min/max per key (group-index.ts), so searches
 *              with attribute conditions skip groups that cannot match. Blocks without it are read whole.
 *   meta.json  time range, per-service row ranges, operations and max duration, name dictionary, tag values
 *
 * The directory is written as `<seq>.tmp`, every file fsync'ed, then renamed: a block is there whole or not.
 */
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { syncDir } from '../../lib/wal/segment-log.js';
import type { Span, SpanKind, StatusCode } from '../model.js';
import { encodeSpans, decodeSpans } from './span-codec.js';
import { GroupIndex, GroupIndexBuilder, type GroupIndexVersion } from './group-index.js';

export const KINDS: readonly SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
export const STATUSES: readonly StatusCode[] = ['unset', 'ok', 'error'];

export interface BlockService {
  readonly name: string;
  readonly rowStart: number;
  readonly rowEnd: number;
  readonly maxDurationNs: number;
  /** [span name, kind] pairs. */
  readonly ops: readonly [string, string][];
}

/** Block formats this code reads; writeBlock writes CURRENT_BLOCK_FORMAT unless told otherwise. */
export type BlockFormat = 1 | 2;
export const CURRENT_BLOCK_FORMAT: BlockFormat = 2;
/** Raw bytes of trace records packed into one compressed group (format 2); a larger trace is its own group. */
export const GROUP_RAW_BYTES = 16 * 1024;
const DEFLATE_LEVEL = 6;

export interface BlockMeta {
  /** Absent in format-1 blocks (written before compression existed). */
  readonly format?: BlockFormat;
  /** How format-2 groups are compressed. */
  readonly codec?: 'deflate-raw';
  readonly seq: number;
  readonly minStartNs: string;
  readonly maxEndNs: string;
  readonly spans: number;
  readonly traces: number;
  readonly bytes: number;
  /** WAL segments before this one are covered by blocks up to and including this one. */
  readonly walCut: number;
  readonly services: readonly BlockService[];
  readonly names: readonly string[];
  /** Blocks this one was merged from (compaction); removed on open if a crash left them behind. */
  readonly replaces?: readonly number[];
  /** Attribute key -> a capped list of distinct values, per scope. */
  readonly tags: { readonly resource: Record<string, string[]>; readonly span: Record<string, string[]> };
  /** Present when attrs.bin (the per-group attribute index) was written; its numeric keys in file order. */
  readonly attrIndex?: {
    readonly version: GroupIndexVersion;
    readonly numericKeys: readonly string[];
    /** Version 2: keys with values the index does not hold (too long, not scalar); absent in version 1. */
    readonly unindexedKeys?: readonly string[];
  };
}

export interface Block {
  readonly dir: string;
  readonly meta: BlockMeta;
  readonly minStart: bigint;
  readonly maxEnd: bigint;
  readonly ids: Buffer;
  readonly idx: Buffer;
  /** Bytes per trace in idx (16 in format 1, 24 in format 2). */
  readonly idxStride: number;
  readonly nameIds: ReadonlyMap<string, number>;
  deleted: boolean;
  /** attrs.bin once loaded (null: the block has none or it is unreadable). */
  groupIndex?: GroupIndex | null;
  /** Group number of each trace (format 2), computed on first use from idx.bin. */
  traceGroups?: Uint32Array;
}

export const MAX_TAG_VALUES = 1000;
const MAX_TAG_VALUE_LEN = 256;

export function tagText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length <= MAX_TAG_VALUE_LEN ? v : undefined;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

/** Adds the attribute values of a span to capped per-key value sets. */
export function collectTags(
  s: Span,
  into: { resource: Map<string, Set<string>>; span: Map<string, Set<string>> },
): void {
  add(into.resource, s.resource);
  add(into.span, s.attributes);
  function add(m: Map<string, Set<string>>, attrs: Record<string, unknown>): void {
    for (const k in attrs) {
      let set = m.get(k);
      if (!set) m.set(k, (set = new Set()));
      if (set.size >= MAX_TAG_VALUES) continue;
      const t = tagText(attrs[k]);
      if (t !== undefined) set.add(t);
    }
  }
}

export function flagsOf(s: Span): number {
  return STATUSES.indexOf(s.status.code) | (KINDS.indexOf(s.kind) << 2);
}

function cols(n: number): { trace: number; name: number; flags: number; start: number; dur: number; total: number } {
  const flagsLen = Math.ceil(n / 8) * 8;
  return { trace: 0, name: 4 * n, flags: 8 * n, start: 8 * n + flagsLen, dur: 16 * n + flagsLen, total: 24 * n + flagsLen };
}

async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  await writeFile(path, data);
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface WriteBlockOptions {
  /** Format 1 (uncompressed records) is written only by tests and benchmarks that compare against it. */
  readonly format?: BlockFormat;
}

function idxStrideOf(format: BlockFormat): number {
  return format === 1 ? 16 : 24;
}

/** Writes spans (any order, may hold duplicates) as block `seq` under `root`; returns it opened. */
export async function writeBlock(
  root: string,
  seq: number,
  spans: readonly Span[],
  walCut: number,
  replaces: readonly number[] = [],
  options: WriteBlockOptions = {},
): Promise<Block> {
  const format = options.format ?? CURRENT_BLOCK_FORMAT;
  const stride = idxStrideOf(format);
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) {
    const l = byTrace.get(s.traceId);
    if (l) l.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  const traceIds = [...byTrace.keys()].sort();
  const ids = Buffer.alloc(traceIds.length * 16);
  const idx = Buffer.alloc(traceIds.length * stride);
  const traceIndex = new Map<string, number>();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  // Format 2: records of the open group (trace indexes and bytes) until it reaches GROUP_RAW_BYTES.
  let group: Uint8Array[] = [];
  let groupFirst = 0;
  let groupRaw = 0;
  const attrIndex = format === 1 ? undefined : new GroupIndexBuilder();
  const closeGroup = (): void => {
    if (group.length === 0) return;
    attrIndex?.closeGroup();
    const packed = deflateRawSync(Buffer.concat(group), { level: DEFLATE_LEVEL });
    for (let t = groupFirst; t < groupFirst + group.length; t++) {
      idx.writeDoubleLE(offset, t * stride);
      idx.writeUInt32LE(packed.length, t * stride + 8);
    }
    chunks.push(packed);
    offset += packed.length;
    group = [];
    groupRaw = 0;
  };
  for (let i = 0; i < traceIds.length; i++) {
    const id = traceIds[i];
    traceIndex.set(id, i);
    ids.write(id, i * 16, 16, 'hex');
    const list = byTrace.get(id)!;
    const rec = encodeSpans(list);
    idx.writeUInt32LE(list.length, i * stride + 12);
    if (format === 1) {
      chunks.push(rec);
      idx.writeDoubleLE(offset, i * stride);
      idx.writeUInt32LE(rec.length, i * stride + 8);
      offset += rec.length;
    } else {
      if (group.length === 0) groupFirst = i;
      idx.writeUInt32LE(groupRaw, i * stride + 16);
      idx.writeUInt32LE(rec.length, i * stride + 20);
      group.push(rec);
      groupRaw += rec.length;
      for (const s of list) attrIndex!.addSpan(s);
      if (groupRaw >= GROUP_RAW_BYTES) closeGroup();
    }
    // Encoding is synchronous work; let requests through now and then.
    if (i % 2000 === 1999) await yieldNow();
  }
  closeGroup();

  // Rows sorted by (service, start) so one service is one contiguous, time-ordered row range.
  const order = spans.map((_, i) => i);
  order.sort((a, b) => {
    const sa = spans[a];
    const sb = spans[b];
    if (sa.serviceName !== sb.serviceName) return sa.serviceName < sb.serviceName ? -1 : 1;
    return sa.startTimeUnixNano < sb.startTimeUnixNano ? -1 : sa.startTimeUnixNano > sb.startTimeUnixNano ? 1 : 0;
  });
  const n = spans.length;
  const layout = cols(n);
  const colBuf = Buffer.alloc(layout.total);
  const names = new Map<string, number>();
  const services: BlockService[] = [];
  const tagSets = { resource: new Map<string, Set<string>>(), span: new Map<string, Set<string>>() };
  let cur: { name: string; rowStart: number; maxDur: number; ops: Map<string, string> } | undefined;
  let minStart = n > 0 ? spans[0].startTimeUnixNano : 0n;
  let maxEnd = n > 0 ? spans[0].endTimeUnixNano : 0n;
  for (let r = 0; r < n; r++) {
    const s = spans[order[r]];
    if (!cur || cur.name !== s.serviceName) {
      if (cur) services.push({ name: cur.name, rowStart: cur.rowStart, rowEnd: r, maxDurationNs: cur.maxDur, ops: [...cur.ops] });
      cur = { name: s.serviceName, rowStart: r, maxDur: 0, ops: new Map() };
    }
    let nameId = names.get(s.name);
    if (nameId === undefined) names.set(s.name, (nameId = names.size));
    if (!cur.ops.has(s.name)) cur.ops.set(s.name, s.kind);
    const dur = Number(s.endTimeUnixNano - s.startTimeUnixNano);
    if (dur > cur.maxDur) cur.maxDur = dur;
    if (s.startTimeUnixNano < minStart) minStart = s.startTimeUnixNano;
    if (s.endTimeUnixNano > maxEnd) maxEnd = s.endTimeUnixNano;
    colBuf.writeUInt32LE(traceIndex.get(s.traceId)!, layout.trace + 4 * r);
    colBuf.writeUInt32LE(nameId, layout.name + 4 * r);
    colBuf[layout.flags + r] = flagsOf(s);
    colBuf.writeBigInt64LE(s.startTimeUnixNano, layout.start + 8 * r);
    colBuf.writeDoubleLE(dur, layout.dur + 8 * r);
    collectTags(s, tagSets);
    if (r % 20000 === 19999) await yieldNow();
  }
  if (cur) services.push({ name: cur.name, rowStart: cur.rowStart, rowEnd: n, maxDurationNs: cur.maxDur, ops: [...cur.ops] });

  const attrs = attrIndex?.finish();
  const toRecord = (m: Map<string, Set<string>>): Record<string, string[]> => {
    const o: Record<string, string[]> = {};
    for (const [k, v] of m) o[k] = [...v];
    return o;
  };
  const meta: BlockMeta = {
    ...(format === 1 ? {} : { format, codec: 'deflate-raw' as const }),
    seq,
    minStartNs: minStart.toString(),
    maxEndNs: maxEnd.toString(),
    spans: n,
    traces: traceIds.length,
    bytes: offset + ids.length + idx.length + colBuf.length + (attrs?.bytes.length ?? 0),
    walCut,
    ...(replaces.length > 0 ? { replaces } : {}),
    services,
    names: [...names.keys()],
    tags: { resource: toRecord(tagSets.resource), span: toRecord(tagSets.span) },
    ...(attrs && attrIndex
      ? { attrIndex: { version: attrIndex.version, numericKeys: attrs.numericKeys, unindexedKeys: attrs.unindexedKeys } }
      : {}),
  };

  const final = join(root, blockName(seq));
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const dataFh = await open(join(tmp, 'data.bin'), 'w');
  try {
    // Write in slices so one huge Buffer.concat is never needed.
    for (let i = 0; i < chunks.length; i += 1024) await dataFh.writev(chunks.slice(i, i + 1024));
    await dataFh.sync();
  } finally {
    await dataFh.close();
  }
  await writeSynced(join(tmp, 'ids.bin'), ids);
  await writeSynced(join(tmp, 'idx.bin'), idx);
  await writeSynced(join(tmp, 'cols.bin'), colBuf);
  if (attrs) await writeSynced(join(tmp, 'attrs.bin'), attrs.bytes);
  await writeSynced(join(tmp, 'meta.json'), JSON.stringify(meta));
  await syncDir(tmp);
  await rename(tmp, final);
  await syncDir(root);
  return makeBlock(final, meta, ids, idx);
}

export function blockName(seq: number): string {
  return String(seq).padStart(8, '0');
}

function makeBlock(dir: string, meta: BlockMeta, ids: Buffer, idx: Buffer): Block {
  return {
    dir,
    meta,
    minStart: BigInt(meta.minStartNs),
    maxEnd: BigInt(meta.maxEndNs),
    ids,
    idx,
    idxStride: idxStrideOf(meta.format ?? 1),
    nameIds: new Map(meta.names.map((n, i) => [n, i])),
    deleted: false,
  };
}

export async function openBlock(dir: string): Promise<Block> {
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as BlockMeta;
  const format = meta.format ?? 1;
  if (format !== 1 && format !== 2) throw new Error(`block ${dir}: unknown format ${String(format)}`);
  if (format === 2 && meta.codec !== 'deflate-raw') throw new Error(`block ${dir}: unknown codec ${String(meta.codec)}`);
  const ids = await readFile(join(dir, 'ids.bin'));
  const idx = await readFile(join(dir, 'idx.bin'));
  if (ids.length !== meta.traces * 16 || idx.length !== meta.traces * idxStrideOf(format))
    throw new Error(`block ${dir}: index size mismatch`);
  return makeBlock(dir, meta, ids, idx);
}

/** Index of the trace in the block, or -1. */
export function findTrace(b: Block, id: Buffer): number {
  let lo = 0;
  let hi = b.meta.traces - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = b.ids.compare(id, 0, 16, mid * 16, mid * 16 + 16);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export function traceIdAt(b: Block, i: number): string {
  return b.ids.toString('hex', i * 16, i * 16 + 16);
}

/** Reads the spans of trace number `i` of the block. */
export async function readTrace(b: Block, i: number): Promise<Span[]> {
  const off = b.idx.readDoubleLE(i * b.idxStride);
  const len = b.idx.readUInt32LE(i * b.idxStride + 8);
  const fh = await open(join(b.dir, 'data.bin'), 'r');
  let bytes: Buffer;
  try {
    bytes = await readAt(fh, off, len);
  } finally {
    await fh.close();
  }
  return decodeSpans(recordOf(b, i, bytes));
}

/** The record of trace `i` out of the bytes at its idx offset (the record itself, or its compressed group). */
function recordOf(b: Block, i: number, stored: Buffer): Buffer {
  if (b.idxStride === 16) return stored;
  const raw = inflateRawSync(stored);
  const at = b.idx.readUInt32LE(i * b.idxStride + 16);
  const len = b.idx.readUInt32LE(i * b.idxStride + 20);
  if (at + len > raw.length) throw new Error(`block ${b.dir}: trace record outside its group`);
  return raw.subarray(at, at + len);
}

export interface ColumnFilter {
  readonly start: bigint;
  readonly end: bigint;
  readonly serviceName?: string;
  readonly spanName?: string;
  readonly status?: StatusCode;
  readonly minDurationNs?: number;
  readonly maxDurationNs?: number;
}

/**
 * The trace indexes (with the latest matching span start) of spans that pass the column filter. Reads only
 * the row ranges of the asked service, narrowed to the time range by binary search on the start column.
 */
export async function scanBlock(b: Block, f: ColumnFilter, out: Map<string, bigint>): Promise<void> {
  const found = await scanBlockTraces(b, f);
  for (const [i, st] of found) {
    const id = traceIdAt(b, i);
    const prev = out.get(id);
    if (prev === undefined || st > prev) out.set(id, st);
  }
}

/** scanBlock by trace index: trace number in the block -> latest start of its spans that pass the filter. */
export async function scanBlockTraces(b: Block, f: ColumnFilter): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  if (b.maxEnd < f.start || b.minStart > f.end) return out;
  let nameId = -1;
  if (f.spanName !== undefined) {
    const id = b.nameIds.get(f.spanName);
    if (id === undefined) return out;
    nameId = id;
  }
  const services = b.meta.services.filter(
    (s) =>
      (f.serviceName === undefined || s.name === f.serviceName) &&
      (f.minDurationNs === undefined || s.maxDurationNs >= f.minDurationNs),
  );
  if (services.length === 0) return out;
  const status = f.status === undefined ? -1 : STATUSES.indexOf(f.status);
  const layout = cols(b.meta.spans);
  const fh = await open(join(b.dir, 'cols.bin'), 'r');
  try {
    for (const svc of services) {
      const n = svc.rowEnd - svc.rowStart;
      const starts = n > 0 ? await readAt(fh, layout.start + 8 * svc.rowStart, n * 8) : Buffer.alloc(0);
      const lo = lowerBound(starts, n, f.start);
      const hi = lowerBound(starts, n, f.end + 1n);
      if (hi <= lo) continue;
      const m = hi - lo;
      const r0 = svc.rowStart + lo;
      const [trace, names, flags, durs] = await Promise.all([
        readAt(fh, layout.trace + 4 * r0, 4 * m),
        nameId >= 0 ? readAt(fh, layout.name + 4 * r0, 4 * m) : Promise.resolve(undefined),
        status >= 0 ? readAt(fh, layout.flags + r0, m) : Promise.resolve(undefined),
        f.minDurationNs !== undefined || f.maxDurationNs !== undefined
          ? readAt(fh, layout.dur + 8 * r0, 8 * m)
          : Promise.resolve(undefined),
      ]);
      for (let j = 0; j < m; j++) {
        if (names && names.readUInt32LE(4 * j) !== nameId) continue;
        if (flags && (flags[j] & 3) !== status) continue;
        if (durs) {
          const d = durs.readDoubleLE(8 * j);
          if (f.minDurationNs !== undefined && d < f.minDurationNs) continue;
          if (f.maxDurationNs !== undefined && d > f.maxDurationNs) continue;
        }
        const t = trace.readUInt32LE(4 * j);
        const st = starts.readBigInt64LE(8 * (lo + j));
        const prev = out.get(t);
        if (prev === undefined || st > prev) out.set(t, st);
      }
    }
  } finally {
    await fh.close();
  }
  return out;
}

/** The block's group attribute index, loaded on first use; null when the block has none (read it whole). */
export async function loadGroupIndex(b: Block): Promise<GroupIndex | null> {
  if (b.groupIndex !== undefined) return b.groupIndex;
  if (!b.meta.attrIndex || b.idxStride === 16) return (b.groupIndex = null);
  try {
    const ai = b.meta.attrIndex;
    const gi = new GroupIndex(await readFile(join(b.dir, 'attrs.bin')), ai.numericKeys, ai.version, ai.version >= 2 ? (ai.unindexedKeys ?? []) : undefined);
    b.groupIndex = gi.groupCount === traceGroupsOf(b).groups ? gi : null;
  } catch {
    // A damaged index must not lose data: the block is then searched without it.
    b.groupIndex = null;
  }
  return b.groupIndex;
}

/** Group number of every trace (format 2: consecutive traces sharing a group offset); format 1: one per trace. */
export function traceGroupsOf(b: Block): { of: Uint32Array; groups: number } {
  if (!b.traceGroups) {
    const of = new Uint32Array(b.meta.traces);
    let g = -1;
    let prev = -1;
    for (let i = 0; i < b.meta.traces; i++) {
      const off = b.idxStride === 16 ? i : b.idx.readDoubleLE(i * b.idxStride);
      if (off !== prev) {
        g++;
        prev = off;
      }
      of[i] = g;
    }
    b.traceGroups = of;
  }
  const of = b.traceGroups;
  return { of, groups: of.length === 0 ? 0 : of[of.length - 1] + 1 };
}

export type BlockFile = Awaited<ReturnType<typeof open>>;

export function openBlockData(b: Block): Promise<BlockFile> {
  return open(join(b.dir, 'data.bin'), 'r');
}

/**
 * The spans of the given traces of the block, reading and inflating each group once however many of its
 * traces are asked for; also the bytes read from disk. A group that cannot be read or decoded (a damaged
 * file) leaves its traces out and is counted in `failed`, as trace-by-id skips such a record: one bad group
 * must not fail every search over the block.
 */
export async function readTraceRecords(
  b: Block,
  fh: BlockFile,
  traces: readonly number[],
): Promise<{ spans: Map<number, Span[]>; bytes: number; failed: number }> {
  const spans = new Map<number, Span[]>();
  let bytes = 0;
  let failed = 0;
  const byOffset = new Map<number, number[]>();
  for (const i of traces) {
    const off = b.idx.readDoubleLE(i * b.idxStride);
    const l = byOffset.get(off);
    if (l) l.push(i);
    else byOffset.set(off, [i]);
  }
  for (const [off, members] of byOffset) {
    const len = b.idx.readUInt32LE(members[0] * b.idxStride + 8);
    const stored = await readAt(fh, off, len);
    bytes += len;
    try {
      if (b.idxStride === 16) {
        spans.set(members[0], decodeSpans(stored));
        continue;
      }
      const raw = inflateRawSync(stored);
      for (const i of members) {
        const at = b.idx.readUInt32LE(i * b.idxStride + 16);
        const rl = b.idx.readUInt32LE(i * b.idxStride + 20);
        if (at + rl > raw.length) throw new Error(`block ${b.dir}: trace record outside its group`);
        spans.set(i, decodeSpans(raw.subarray(at, at + rl)));
      }
    } catch {
      failed++;
    }
  }
  return { spans, bytes, failed };
}

async function readAt(fh: Awaited<ReturnType<typeof open>>, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) throw new Error('short read in block column file');
    got += bytesRead;
  }
  return buf;
}

function lowerBound(starts: Buffer, n: number, t: bigint): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts.readBigInt64LE(mid * 8) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every span of the block (compaction). */
export async function readAllSpans(b: Block): Promise<Span[]> {
  const data = await readFile(join(b.dir, 'data.bin'));
  const out: Span[] = [];
  // Consecutive traces share a group: inflate each group once.
  let groupOff = -1;
  let raw = Buffer.alloc(0);
  for (let i = 0; i < b.meta.traces; i++) {
    const off = b.idx.readDoubleLE(i * b.idxStride);
    const len = b.idx.readUInt32LE(i * b.idxStride + 8);
    let rec: Buffer;
    if (b.idxStride === 16) rec = data.subarray(off, off + len);
    else {
      if (off !== groupOff) {
        raw = inflateRawSync(data.subarray(off, off + len));
        groupOff = off;
      }
      const at = b.idx.readUInt32LE(i * b.idxStride + 16);
      rec = raw.subarray(at, at + b.idx.readUInt32LE(i * b.idxStride + 20));
    }
    for (const s of decodeSpans(rec)) out.push(s);
    if (i % 2000 === 1999) await yieldNow();
  }
  return out;
}

export { decodeSpans };
