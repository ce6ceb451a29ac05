/**
 * Runs one durable WriteQueue per `remote_write` entry of the config and feeds them every committed batch.
 * Wire it to a TappedStorage: `tapped.subscribe((b) => manager.onCommit(b))`; because onCommit resolves only
 * once every queue has the batch on disk, the writer's commit is acknowledged after remote-write queueing too.
 *
 * Queues live in <dataDir>/<name or url hash>/ (dataDir belongs to the manager alone, e.g. <data>/remote-write)
 * and survive restarts: a manager started on the same dataDir resumes sending where the previous one stopped.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PrometheusConfig, RemoteWriteConfig } from '../../config/types.js';
import type { CommittedSample } from '../storage/fanout.js';
import { queueDirName, WriteQueue } from './write-queue.js';

export interface RemoteWriteManagerOptions {
  /** A directory owned by the manager; one subdirectory per queue. */
  dataDir: string;
  logger: Logger;
  /** Defaults; the config's global.external_labels win on conflicts. */
  externalLabels?: Record<string, string>;
  /** For tests: the HTTP client and clock. */
  fetch?: typeof fetch;
  now?: () => number;
  /** Per-queue cap on samples held in memory; the rest waits on disk. Default 200k. */
  maxInMemorySamples?: number;
}

interface Running {
  queue: WriteQueue;
  fingerprint: string;
}

export class RemoteWriteManager {
  private queues = new Map<string, Running>();
  private reconfig: Promise<void> = Promise.resolve();
  private reconfiguring = 0;

  constructor(private readonly opts: RemoteWriteManagerOptions) {}

  /** Starts, restarts (changed config) or stops queues so they match cfg.remoteWrite. */
  applyConfig(cfg: PrometheusConfig): Promise<void> {
    this.reconfiguring++;
    this.reconfig = this.reconfig
      .catch(() => undefined)
      .then(() => this.apply(cfg))
      .finally(() => this.reconfiguring--);
    return this.reconfig;
  }

  private async apply(cfg: PrometheusConfig): Promise<void> {
    const externalLabels = { ...this.opts.externalLabels, ...cfg.global.externalLabels };
    const wanted = new Map<string, RemoteWriteConfig>();
    for (const rw of cfg.remoteWrite) {
      const name = queueDirName(rw);
      if (wanted.has(name)) throw new Error(`duplicate remote_write name or url: ${name}`);
      wanted.set(name, rw);
    }
    const next = new Map<string, Running>();
    for (const [name, running] of this.queues) {
      if (!wanted.has(name)) {
        await running.queue.stop();
        // A queue removed from the config is abandoned for good, as Prometheus does.
        await rm(this.queueDir(name), { recursive: true, force: true });
        this.opts.logger.info({ remote_name: name }, 'remote write: queue removed');
      }
    }
    for (const [name, rw] of wanted) {
      const fingerprint = JSON.stringify([rw, externalLabels]);
      const existing = this.queues.get(name);
      if (existing && existing.fingerprint === fingerprint) {
        next.set(name, existing);
        continue;
      }
      // Changed config: restart on the same directory, so queued data is kept and sent first.
      if (existing) await existing.queue.stop();
      const queue = await WriteQueue.start({
        dir: this.queueDir(name),
        name,
        config: rw,
        externalLabels,
        logger: this.opts.logger,
        fetch: this.opts.fetch,
        now: this.opts.now,
        maxInMemorySamples: this.opts.maxInMemorySamples,
      });
      next.set(name, { queue, fingerprint });
    }
    this.queues = next;
  }

  private queueDir(name: string): string {
    return join(this.opts.dataDir, name);
  }

  /**
   * Queues a committed batch on every destination; resolves when all have it on disk. (Typed as returning a
   * promise; callers that only need fire-and-forget may ignore it.)
   */
  async onCommit(batch: CommittedSample[]): Promise<void> {
    // While queues are being swapped, wait: a batch handed to a stopping queue would be lost for that remote.
    if (this.reconfiguring > 0) await this.reconfig.catch(() => undefined);
    if (this.queues.size === 0 || batch.length === 0) return;
    const results = await Promise.allSettled([...this.queues.values()].map((r) => r.queue.enqueue(batch)));
    for (const r of results) {
      if (r.status === 'rejected') this.opts.logger.error({ err: r.reason }, 'remote write: cannot queue samples');
    }
  }

  /** Names of the running queues (for status pages and tests). */
  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  queue(name: string): WriteQueue | undefined {
    return this.queues.get(name)?.queue;
  }

  async stop(): Promise<void> {
    await this.reconfig.catch(() => undefined);
    const all = [...this.queues.values()];
    this.queues = new Map();
    await Promise.all(all.map((r) => r.queue.stop()));
  }
}
