/**
 * One columnar file of the store: `<seq>.parquet` (ZSTD, sorted by stream then time), a `<seq>.json` sidecar
 * with its time range and per-stream extents, so planning never opens the Parquet file, and `<seq>.idx`, its
 * 3-gram skip index (skip-index.ts).
 *
 * Timestamps: files written since the timestamp encoding (sidecar `tsBase`, `tsUnit`) store column `tq` =
 * (ts - tsBase) / tsUnit, where tsUnit is the greatest common divisor of the file's timestamp differences, so
 * the exact nanosecond ts is tsBase + tq × tsUnit. Sources that stamp in ms or µs, or at a fixed tick, then
 * cost a few bits per line instead of ~30; with arbitrary nanoseconds tsUnit is 1 and nothing is lost.
 * Older files store `ts` itself and have neither field.
 *
 * Crash safety: the index and the sidecar are written and fsync'ed first, then the Parquet file is renamed into
 * place; a sidecar without its Parquet file is an interrupted flush and is removed on open. `walCut` says
 * which WAL segments the file covers (replay starts there); `replaces` lists files a compaction merged,
 * removed on open if a crash left them behind.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StreamExtent } from './head.js';
import { decodeBloomIndex } from './bloom-index.js';
import { decodeGramIndex, type SkipIndex } from './skip-index.js';

export interface ChunkFile {
  readonly seq: number;
  readonly path: string;
  readonly minTs: bigint;
  readonly maxTs: bigint;
  readonly rows: number;
  readonly rawBytes: number;
  /** Size on disk of the Parquet file. */
  readonly fileBytes: number;
  readonly walCut: number;
  readonly replaces: readonly number[];
  readonly streams: ReadonlyMap<number, StreamExtent>;
  /** Timestamp encoding: column `tq` holds (ts - tsBase) / tsUnit. Absent: column `ts` holds ts. */
  readonly tsBase?: bigint;
  readonly tsUnit?: bigint;
  /** Per-row-group 3-gram index; absent in files written before the index existed (read fully). */
  readonly skip?: SkipIndex;
  /** Size of the `<seq>.idx` file (0 when there is none). */
  readonly indexBytes?: number;
  refs: number;
  deleted: boolean;
}

interface Sidecar {
  seq: number;
  minTs: string;
  maxTs: string;
  rows: number;
  rawBytes: number;
  fileBytes: number;
  walCut: number;
  replaces: number[];
  /** [sid, min, max, count, bytes] */
  streams: [number, string, string, number, number][];
  tsBase?: string;
  tsUnit?: string;
  /** `<seq>.idx` holds a gram index (skip-index.ts) of this many bytes. */
  index?: number;
  /** The first index format: Bloom filters per row group, base64 (bloom-index.ts). */
  skip?: { start: number; rows: number; bits: string }[];
}

export function seqName(seq: number): string {
  return String(seq).padStart(8, '0');
}

export function indexPath(dir: string, seq: number): string {
  return join(dir, `${seqName(seq)}.idx`);
}

export function sidecarJson(f: Omit<ChunkFile, 'refs' | 'deleted' | 'path' | 'skip'>): string {
  const s: Sidecar = {
    seq: f.seq,
    minTs: String(f.minTs),
    maxTs: String(f.maxTs),
    rows: f.rows,
    rawBytes: f.rawBytes,
    fileBytes: f.fileBytes,
    walCut: f.walCut,
    replaces: [...f.replaces],
    streams: [...f.streams].map(([sid, e]) => [sid, String(e.min), String(e.max), e.count, e.bytes]),
  };
  if (f.tsUnit !== undefined && f.tsBase !== undefined) {
    s.tsBase = String(f.tsBase);
    s.tsUnit = String(f.tsUnit);
  }
  if (f.indexBytes) s.index = f.indexBytes;
  return JSON.stringify(s);
}

/**
 * Reads a sidecar and the file's skip index. An index that cannot be read is reported through `onIndexError`
 * and left out: the file is then read whole, never wrongly skipped.
 */
export async function readSidecar(dir: string, seq: number, onIndexError?: (err: unknown) => void): Promise<ChunkFile> {
  const s = JSON.parse(await readFile(join(dir, `${seqName(seq)}.json`), 'utf8')) as Sidecar;
  const streams = new Map<number, StreamExtent>();
  for (const [sid, min, max, count, bytes] of s.streams) streams.set(sid, { min: BigInt(min), max: BigInt(max), count, bytes });
  let skip: SkipIndex | undefined;
  try {
    if (s.index) skip = decodeGramIndex(await readFile(indexPath(dir, seq)));
    else if (s.skip) skip = decodeBloomIndex(s.skip);
    if (skip && skip.rowGroups.reduce((a, g) => a + g.rows, 0) !== s.rows) throw new Error('skip index rows differ from the file');
  } catch (e) {
    skip = undefined;
    onIndexError?.(e);
  }
  return {
    seq: s.seq,
    path: join(dir, `${seqName(seq)}.parquet`),
    minTs: BigInt(s.minTs),
    maxTs: BigInt(s.maxTs),
    rows: s.rows,
    rawBytes: s.rawBytes,
    fileBytes: s.fileBytes,
    walCut: s.walCut,
    replaces: s.replaces,
    streams,
    tsBase: s.tsBase !== undefined && s.tsUnit !== undefined ? BigInt(s.tsBase) : undefined,
    tsUnit: s.tsBase !== undefined && s.tsUnit !== undefined ? BigInt(s.tsUnit) : undefined,
    skip,
    indexBytes: s.index ?? 0,
    refs: 0,
    deleted: false,
  };
}

export async function removeChunkFiles(dir: string, seq: number): Promise<void> {
  await rm(join(dir, `${seqName(seq)}.parquet`), { force: true });
  await rm(indexPath(dir, seq), { force: true });
  await rm(join(dir, `${seqName(seq)}.json`), { force: true });
}

/** Greatest common divisor of non-negative bigints (0 with 0 is 0). */
export function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
