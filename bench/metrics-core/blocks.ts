/**
 * Persisted blocks on disk, for both systems: any directory below the data directory (outside WALs) that
 * holds a meta.json with Prometheus-style stats. Size counts what a block is made of: chunks/, index and
 * meta.json (not the WAL, not the head's memory-mapped chunks).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface BlockOnDisk {
  dir: string;
  minTime: number;
  maxTime: number;
  numSamples: number;
  numSeries: number;
  numChunks: number;
  chunkBytes: number;
  indexBytes: number;
  metaBytes: number;
  /** chunks + index + meta. */
  bytes: number;
}

const SKIP = new Set(['wal', 'chunks_head', 'wbl', 'remote-write', 'node_modules']);

function sizeOf(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of readdirSync(path)) n += sizeOf(join(path, e));
  return n;
}

interface MetaJson {
  minTime?: number;
  maxTime?: number;
  stats?: { numSamples?: number; numSeries?: number; numChunks?: number };
}

export function findBlocks(root: string, depth = 3): BlockOnDisk[] {
  const out: BlockOnDisk[] = [];
  if (!existsSync(root) || depth < 0) return out;
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory() || SKIP.has(e.name) || e.name.endsWith('.tmp') || e.name.endsWith('.tmp-for-creation')) continue;
    const dir = join(root, e.name);
    const metaPath = join(dir, 'meta.json');
    if (existsSync(metaPath) && existsSync(join(dir, 'index'))) {
      let meta: MetaJson;
      try {
        meta = JSON.parse(readFileSync(metaPath, 'utf8')) as MetaJson;
      } catch {
        continue; // being written
      }
      const chunkBytes = sizeOf(join(dir, 'chunks'));
      const indexBytes = sizeOf(join(dir, 'index'));
      const metaBytes = sizeOf(metaPath);
      out.push({
        dir,
        minTime: meta.minTime ?? 0,
        maxTime: meta.maxTime ?? 0,
        numSamples: meta.stats?.numSamples ?? 0,
        numSeries: meta.stats?.numSeries ?? 0,
        numChunks: meta.stats?.numChunks ?? 0,
        chunkBytes,
        indexBytes,
        metaBytes,
        bytes: chunkBytes + indexBytes + metaBytes,
      });
    } else {
      out.push(...findBlocks(dir, depth - 1));
    }
  }
  return out.sort((a, b) => a.minTime - b.minTime);
}

/** Total size of WAL directories below root (for the record: the restart test replays them). */
export function walBytes(root: string): number {
  let n = 0;
  if (!existsSync(root)) return 0;
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = join(root, e.name);
    n += e.name === 'wal' ? sizeOf(p) : walBytes(p);
  }
  return n;
}
