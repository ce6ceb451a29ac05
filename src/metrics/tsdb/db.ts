/**
 * The embedded TSDB: a head (in memory, WAL-backed) plus immutable on-disk blocks, behind the Storage
 * interface. Layout under `dir`: `wal/` (segments + `checkpoint.N/`), one directory per block.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { HeadStats, Querier, Storage } from '../storage/interface.js';
import { SegmentLog } from '../../lib/wal/segment-log.js';
import { Head, type HeadAppender } from './head.js';
import { HeadSource, MergeQuerier, type QuerySource } from './querier.js';
import { computeHeadStats } from './stats.js';
import { loadCheckpointAndReplay } from './wal-replay.js';

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

export class TSDB implements Storage {
  protected constructor(
    readonly opts: Required<Omit<TSDBOptions, 'logger'>> & { logger: Logger | undefined },
    readonly head: Head,
    readonly wal: SegmentLog,
  ) {}

  static async open(opts: TSDBOptions): Promise<TSDB> {
    const full = {
      dir: opts.dir,
      retentionTimeMs: opts.retentionTimeMs ?? 15 * DAY,
      retentionSizeBytes: opts.retentionSizeBytes ?? 0,
      outOfOrderWindowMs: opts.outOfOrderWindowMs ?? 0,
      blockRangeMs: opts.blockRangeMs ?? 2 * 3600 * 1000,
      logger: opts.logger,
      now: opts.now ?? Date.now,
    };
    await mkdir(full.dir, { recursive: true });
    const head = new Head({ blockRangeMs: full.blockRangeMs, outOfOrderWindowMs: full.outOfOrderWindowMs });
    const walDir = join(full.dir, 'wal');
    const wal = await SegmentLog.open(walDir, { logger: full.logger });
    await loadCheckpointAndReplay(head, wal, walDir, full.logger);
    head.wal = wal;
    return new TSDB(full, head, wal);
  }

  appender(): HeadAppender {
    return this.head.appender();
  }

  querier(): Querier {
    return new MergeQuerier(this.sources());
  }

  protected sources(): QuerySource[] {
    return [new HeadSource(this.head)];
  }

  headStats(limit = 10): HeadStats {
    return computeHeadStats(this.head, limit);
  }

  async compactNow(): Promise<void> {
    // Block persistence arrives with the block writer.
  }

  diskUsage(): { walBytes: number; blockBytes: number; blocks: number } {
    return { walBytes: this.wal.sizeBytes(), blockBytes: 0, blocks: 0 };
  }

  async close(): Promise<void> {
    await this.wal.close();
  }
}
