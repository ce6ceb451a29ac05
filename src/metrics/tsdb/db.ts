/**
 * The embedded TSDB: a head (in memory, WAL-backed) plus immutable on-disk blocks, behind the Storage
 * interface. Layout under `dir`: `wal/` (segments + `checkpoint.N/`), one directory per block (ULID).
 *
 * Background work (cutting head blocks, merging blocks, retention) runs one pass at a time, on a timer and
 * when a commit makes the head span more than 1.5 block ranges; it yields to the event loop between batches.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { HeadStats, Querier, Storage } from '../storage/interface.js';
import { SegmentLog, syncDir } from '../../lib/wal/segment-log.js';
import { ByteWriter } from '../../lib/encoding/bytes.js';
import { Head, hashLabels, type HeadAppender } from './head.js';
import { HeadSource, MergeQuerier, type QuerySource } from './querier.js';
import { computeHeadStats } from './stats.js';
import { checkpointDir, listCheckpoints, loadCheckpointAndReplay } from './wal-replay.js';
import { BlockReader, CorruptBlockError, writeBlock, type BlockMeta } from './block.js';
import { compactionRanges, mergeSeriesStreams, planCompaction, snapshotHead } from './compact.js';
import { ULID_RE } from './ulid.js';
import { encodeChunksRecord, encodeSamples, encodeSeries, type ChunkRecordEntry } from './wal-records.js';
import type { Labels } from '../../model/labels.js';

export interface TSDBOptions {
  dir: string;
  /** Default 15 days. */
  retentionTimeMs?: number;
  /** 0 = off. */
  retentionSizeBytes?: number;
  /** Default 0 = off. */
  outOfOrderWindowMs?: number;
  /** Default 2 hours. */
  blockRangeMs?: number;
  logger?: Logger;
  now?: () => number;
}

export type { HeadAppender };

const DAY = 24 * 3600 * 1000;
const COMPACTION_INTERVAL_MS = 60_000;

type ResolvedOptions = Required<Omit<TSDBOptions, 'logger'>> & { logger: Logger | undefined };

export class TSDB implements Storage {
  private blocks: BlockReader[] = [];
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private checkpointBytes = 0;
  private readonly ranges: number[];

  private constructor(
    readonly opts: ResolvedOptions,
    readonly head: Head,
    readonly wal: SegmentLog,
  ) {
    const maxRange = Math.max(opts.blockRangeMs, Math.min(31 * DAY, opts.retentionTimeMs / 10));
    this.ranges = compactionRanges(opts.blockRangeMs, maxRange);
  }

  static async open(opts: TSDBOptions): Promise<TSDB> {
    const full: ResolvedOptions = {
      dir: opts.dir,
      retentionTimeMs: opts.retentionTimeMs ?? 15 * DAY,
      retentionSizeBytes: opts.retentionSizeBytes ?? 0,
      outOfOrderWindowMs: opts.outOfOrderWindowMs ?? 0,
      blockRangeMs: opts.blockRangeMs ?? 2 * 3600 * 1000,
      logger: opts.logger,
      now: opts.now ?? Date.now,
    };
    await mkdir(full.dir, { recursive: true });
    const blocks = await openBlocks(full.dir, full.logger);
    const head = new Head({ blockRangeMs: full.blockRangeMs, outOfOrderWindowMs: full.outOfOrderWindowMs });
    for (const b of blocks) if (b.meta.maxTime > head.minValidTime) head.minValidTime = b.meta.maxTime;
    const walDir = join(full.dir, 'wal');
    const wal = await SegmentLog.open(walDir, { logger: full.logger });
    await loadCheckpointAndReplay(head, wal, walDir, full.logger);
    head.wal = wal;
    const db = new TSDB(full, head, wal);
    db.blocks = blocks;
    db.checkpointBytes = await dirSize(walDir, true);
    head.onCommitted = () => {
      if (!db.running && db.headCompactable()) db.kick();
    };
    db.timer = setInterval(() => db.kick(), COMPACTION_INTERVAL_MS);
    db.timer.unref();
    return db;
  }

  appender(): HeadAppender {
    return this.head.appender();
  }

  querier(): Querier {
    return new MergeQuerier(() => this.sources());
  }

  /**
   * The head's own label array for this label set, if the head holds the series: callers that keep label
   * sets around (the remote_write receiver's cache) can reference it instead of holding a copy.
   */
  canonicalLabels(labels: Labels): Labels | undefined {
    const s = this.head.lookup(labels, hashLabels(labels));
    return s === undefined || s.deleted ? undefined : s.labels;
  }

  private sources(): QuerySource[] {
    const blocks = [...this.blocks].sort((a, b) => b.meta.maxTime - a.meta.maxTime);
    return [new HeadSource(this.head), ...blocks];
  }

  headStats(limit = 10): HeadStats {
    return computeHeadStats(this.head, limit);
  }

  /** Metadata of the persisted blocks, oldest first. */
  blockMetas(): BlockMeta[] {
    return this.blocks.map((b) => b.meta).sort((a, b) => a.minTime - b.minTime);
  }

  diskUsage(): { walBytes: number; blockBytes: number; blocks: number } {
    let blockBytes = 0;
    for (const b of this.blocks) blockBytes += b.sizeBytes;
    return { walBytes: this.wal.sizeBytes() + this.checkpointBytes, blockBytes, blocks: this.blocks.length };
  }

  /** Runs one full background pass now (cut head blocks, compact, apply retention) and waits for it. */
  async compactNow(): Promise<void> {
    while (this.running) await this.running;
    await this.runExclusive();
  }

  private kick(): void {
    if (this.running || this.closed) return;
    void this.runExclusive().catch((e: unknown) => this.opts.logger?.error({ err: e }, 'TSDB: compaction failed'));
  }

  private runExclusive(): Promise<void> {
    const p = (async () => {
      try {
        await this.cutHeadBlocks();
        await this.compactBlocks();
        await this.applyRetention();
      } finally {
        this.running = undefined;
      }
    })();
    this.running = p;
    return p;
  }

  private headCompactable(): boolean {
    const h = this.head;
    return h.minT !== Infinity && h.maxT - h.minT > (this.opts.blockRangeMs * 3) / 2;
  }

  private async cutHeadBlocks(): Promise<void> {
    const R = this.opts.blockRangeMs;
    let cut = false;
    while (!this.closed && this.headCompactable()) {
      const mint = Math.floor(this.head.minT / R) * R;
      const maxt = mint + R;
      if (maxt > this.head.minValidTime) this.head.minValidTime = maxt;
      await this.head.waitInflight();
      const snap = await snapshotHead(this.head, mint, maxt);
      const meta = await writeBlock(this.opts.dir, snap.series, {
        minTime: snap.minT,
        maxTime: maxt,
        level: 1,
        sources: [],
        now: this.opts.now(),
      });
      if (meta) this.blocks.push(await BlockReader.open(join(this.opts.dir, meta.ulid), this.opts.logger));
      this.head.truncate(maxt);
      cut = true;
      await new Promise((r) => setImmediate(r));
    }
    if (cut) await this.checkpointWal();
  }

  /**
   * Replaces the WAL before the current segment with a checkpoint written from head memory: series records
   * for live series, their chunks, and pending out-of-order samples.
   */
  private async checkpointWal(): Promise<void> {
    const n = await this.wal.cut();
    // Commits written to older segments must be in the head before the head is captured.
    await this.head.waitInflight();
    const walDir = join(this.opts.dir, 'wal');
    const finalDir = checkpointDir(walDir, n);
    const tmp = finalDir + '.tmp';
    await rm(tmp, { recursive: true, force: true });
    const cp = await SegmentLog.open(tmp, { logger: this.opts.logger, segmentSize: 256 * 1024 * 1024 });
    const recs: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (recs.length === 0) return;
      await cp.append(recs.splice(0));
      pendingBytes = 0;
      await new Promise((r) => setImmediate(r));
    };
    const head = this.head;
    const w = new ByteWriter(1 << 16);
    let refs: number[] = [];
    let labels: Labels[] = [];
    let chunks: ChunkRecordEntry[] = [];
    let chunkBytes = 0;
    const oRefs: number[] = [];
    const oTs: number[] = [];
    const oBits: number[] = [];
    const emitSeries = (): void => {
      if (refs.length === 0) return;
      w.reset();
      encodeSeries(w, refs, labels);
      recs.push(w.toBytes());
      pendingBytes += w.pos;
      refs = [];
      labels = [];
    };
    const emitChunks = (): void => {
      if (chunks.length === 0) return;
      w.reset();
      encodeChunksRecord(w, chunks);
      recs.push(w.toBytes());
      pendingBytes += w.pos;
      chunks = [];
      chunkBytes = 0;
    };
    // Series first (all of them) so chunk records always refer to known refs.
    const live: number[] = [];
    for (let ref = 1; ref < head.byRef.length; ref++) {
      const s = head.byRef[ref];
      if (s === undefined || s.ref !== ref || !s.walLogged) continue;
      live.push(ref);
      refs.push(ref);
      labels.push(s.labels);
      if (refs.length >= 10_000) {
        emitSeries();
        await new Promise((r) => setImmediate(r));
      }
      if (pendingBytes > 8 << 20) await flush();
    }
    emitSeries();
    for (let k = 0; k < live.length; k++) {
      const ref = live[k];
      if (k % 10_000 === 9_999) await new Promise((r) => setImmediate(r));
      const s = head.byRef[ref];
      if (s === undefined || s.ref !== ref) continue;
      if (s.chunks) {
        for (const c of s.chunks) {
          chunks.push({ ref, minT: c.minT, maxT: c.maxT, bytes: c.bytes });
          chunkBytes += c.bytes.length;
        }
      }
      if (s.count > 0) {
        const bytes = s.copyBytes();
        chunks.push({ ref, minT: s.minT, maxT: s.lastT, bytes });
        chunkBytes += bytes.length;
      }
      if (s.ooo) {
        for (let i = 0; i < s.ooo.n; i++) {
          oRefs.push(ref);
          oTs.push(s.ooo.ts[i]);
          oBits.push(s.ooo.bits[2 * i], s.ooo.bits[2 * i + 1]);
        }
      }
      if (chunkBytes > 1 << 20) emitChunks();
      if (pendingBytes > 8 << 20) await flush();
    }
    emitChunks();
    if (oRefs.length > 0) {
      w.reset();
      encodeSamples(w, oRefs.length, oRefs, oTs, oBits);
      recs.push(w.toBytes());
    }
    await flush();
    await cp.close();
    await rename(tmp, finalDir);
    await syncDir(walDir);
    for (const old of await listCheckpoints(walDir)) {
      if (old < n) await rm(checkpointDir(walDir, old), { recursive: true, force: true });
    }
    await this.wal.truncateBefore(n);
    this.checkpointBytes = await dirSize(finalDir, false);
  }

  private async compactBlocks(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const plan = planCompaction(
        this.blocks.map((b) => b.meta),
        this.ranges,
      );
      if (!plan) return;
      const ids = new Set(plan.map((m) => m.ulid));
      const parents = this.blocks.filter((b) => ids.has(b.meta.ulid));
      // Newest first so that on overlap the newer block's sample wins.
      parents.sort((a, b) => b.meta.maxTime - a.meta.maxTime);
      const meta = await writeBlock(
        this.opts.dir,
        mergeSeriesStreams(parents.map((p) => p.allSeriesChunks())),
        {
          minTime: Math.min(...plan.map((m) => m.minTime)),
          maxTime: Math.max(...plan.map((m) => m.maxTime)),
          level: Math.max(...plan.map((m) => m.compaction.level)) + 1,
          sources: [...new Set(plan.flatMap((m) => m.compaction.sources))],
          now: this.opts.now(),
        },
      );
      const next = this.blocks.filter((b) => !ids.has(b.meta.ulid));
      if (meta) next.push(await BlockReader.open(join(this.opts.dir, meta.ulid), this.opts.logger));
      this.blocks = next;
      for (const p of parents) await this.deleteBlock(p);
    }
  }

  private async deleteBlock(b: BlockReader): Promise<void> {
    this.blocks = this.blocks.filter((x) => x !== b);
    await b.close(this.closed ? 0 : 30_000);
    await rm(b.dir, { recursive: true, force: true });
  }

  private async applyRetention(): Promise<void> {
    if (this.blocks.length === 0) return;
    // Like Prometheus, retention is measured from the newest persisted data, so loading historical data does
    // not delete it at once; the clock caps that reference, so blocks stamped in the future cannot push it on.
    const newest = Math.max(...this.blocks.map((b) => b.meta.maxTime));
    const cutoff = Math.min(this.opts.now(), newest) - this.opts.retentionTimeMs;
    for (const b of [...this.blocks]) {
      if (b.meta.maxTime <= cutoff) {
        this.opts.logger?.info({ block: b.meta.ulid, maxTime: b.meta.maxTime }, 'TSDB: deleting block past retention time');
        await this.deleteBlock(b);
      }
    }
    const limit = this.opts.retentionSizeBytes;
    if (limit > 0) {
      const oldestFirst = [...this.blocks].sort((a, b) => a.meta.minTime - b.meta.minTime);
      let { walBytes, blockBytes } = this.diskUsage();
      for (const b of oldestFirst) {
        if (walBytes + blockBytes <= limit) break;
        this.opts.logger?.info({ block: b.meta.ulid, sizeBytes: b.sizeBytes }, 'TSDB: deleting block over retention size');
        blockBytes -= b.sizeBytes;
        await this.deleteBlock(b);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running.catch(() => undefined);
    await this.wal.close();
    for (const b of this.blocks) await b.close();
  }
}

/** Opens every block directory; skips (and logs) unreadable ones, removes leftovers of interrupted writes. */
async function openBlocks(dir: string, logger: Logger | undefined): Promise<BlockReader[]> {
  const out: BlockReader[] = [];
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    if (name.endsWith('.tmp')) {
      await rm(p, { recursive: true, force: true });
      continue;
    }
    if (!ULID_RE.test(name)) continue;
    try {
      out.push(await BlockReader.open(p, logger));
    } catch (e) {
      if (e instanceof CorruptBlockError) logger?.warn({ file: e.message.split(': ')[0], err: e.message }, 'TSDB: skipping corrupt block');
      else logger?.warn({ file: p, err: String(e) }, 'TSDB: skipping unreadable block');
    }
  }
  // A crash between writing a compacted block and deleting its parents leaves both; drop the parents.
  const keep: BlockReader[] = [];
  for (const b of out) {
    const src = new Set(b.meta.compaction.sources);
    const superseded = out.some(
      (o) =>
        o !== b &&
        o.meta.compaction.level > b.meta.compaction.level &&
        [...src].every((s) => o.meta.compaction.sources.includes(s)),
    );
    if (superseded) {
      await b.close();
      await rm(b.dir, { recursive: true, force: true });
    } else keep.push(b);
  }
  return keep;
}

async function dirSize(dir: string, checkpointsOnly: boolean): Promise<number> {
  let total = 0;
  try {
    for (const name of await readdir(dir)) {
      if (checkpointsOnly && !/^checkpoint\.\d{8}$/.test(name)) continue;
      const p = join(dir, name);
      const st = await stat(p);
      total += st.isDirectory() ? await dirSize(p, false) : st.size;
    }
  } catch {
    // Missing directory: size 0.
  }
  return total;
}
