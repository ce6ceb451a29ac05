/**
 * The real TSDB in a temporary directory, with the small read helpers the protocol tests use
 * (same shape as MemoryStorage's, but async because they go through the Querier).
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import type { Appender, HeadStats, Querier, Storage } from '../../src/metrics/storage/interface.js';
import type { Matcher } from '../../src/model/matcher.js';
import type { Labels } from '../../src/model/labels.js';
import { tempDir } from '../peers/process.js';

export interface FoundSeries {
  labels: Labels;
  t: number[];
  v: number[];
}

const MIN = Number.MIN_SAFE_INTEGER;
const MAX = Number.MAX_SAFE_INTEGER;

export class TsdbTestStorage implements Storage {
  commits = 0;
  private constructor(
    readonly db: TSDB,
    readonly dir: string,
  ) {}

  static async open(): Promise<TsdbTestStorage> {
    const dir = tempDir('tsdb');
    const db = await TSDB.open({ dir, logger: pino({ level: 'silent' }) });
    return new TsdbTestStorage(db, dir);
  }

  appender(): Appender {
    const a = this.db.appender();
    return {
      append: (l, t, v) => a.append(l, t, v),
      commit: async () => {
        await a.commit();
        this.commits++;
      },
      rollback: () => a.rollback(),
    };
  }

  querier(): Querier {
    return this.db.querier();
  }

  headStats(limit?: number): HeadStats {
    return this.db.headStats(limit);
  }

  async find(name: string, labels: Record<string, string> = {}): Promise<FoundSeries[]> {
    const matchers: Matcher[] = [{ type: '=', name: '__name__', value: name }];
    for (const [k, v] of Object.entries(labels)) matchers.push({ type: '=', name: k, value: v });
    const res = await this.db.querier().select(matchers, MIN, MAX);
    return res.map((s) => ({ labels: s.labels, t: Array.from(s.timestamps), v: Array.from(s.values) }));
  }

  async seriesCount(): Promise<number> {
    return (await this.db.querier().series([{ type: '=~', name: '__name__', value: '.+' }], MIN, MAX)).length;
  }

  async sampleCount(): Promise<number> {
    const res = await this.db.querier().select([{ type: '=~', name: '__name__', value: '.+' }], MIN, MAX);
    return res.reduce((n, s) => n + s.timestamps.length, 0);
  }

  async close(): Promise<void> {
    await this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
