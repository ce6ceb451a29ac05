/**
 * One columnar file of the store: `<seq>.parquet` (ZSTD, sorted by stream then time) plus a `<seq>.json`
 * sidecar with its time range and per-stream extents, so planning never opens the Parquet file.
 *
 * Crash safety: the sidecar is written and fsync'ed first, then the Parquet file is renamed into place; a
 * sidecar without its Parquet file is an interrupted flush and is removed on open. `walCut` says which WAL
 * segments the file covers (replay starts there); `replaces` lists files a compaction merged, removed on open
 * if a crash left them behind.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StreamExtent } from './head.js';
import { decodeSkipIndex, encodeSkipIndex, type SkipIndex } from './skip-index.js';

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
  /** Per-row-group 3-gram filters; absent in files written before the index existed (read fully). */
  readonly skip?: SkipIndex;
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
  skip?: { start: number; rows: number; bits: string }[];
}

export function seqName(seq: number): string {
  return String(seq).padStart(8, '0');
}

export function sidecarJson(f: Omit<ChunkFile, 'refs' | 'deleted' | 'path'>): string {
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
  if (f.skip) s.skip = encodeSkipIndex(f.skip);
  return JSON.stringify(s);
}

export async function readSidecar(dir: string, seq: number): Promise<ChunkFile> {
  const s = JSON.parse(await readFile(join(dir, `${seqName(seq)}.json`), 'utf8')) as Sidecar;
  const streams = new Map<number, StreamExtent>();
  for (const [sid, min, max, count, bytes] of s.streams) streams.set(sid, { min: BigInt(min), max: BigInt(max), count, bytes });
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
    skip: s.skip ? decodeSkipIndex(s.skip) : undefined,
    refs: 0,
    deleted: false,
  };
}

export async function removeChunkFiles(dir: string, seq: number): Promise<void> {
  await rm(join(dir, `${seqName(seq)}.parquet`), { force: true });
  await rm(join(dir, `${seqName(seq)}.json`), { force: true });
}
