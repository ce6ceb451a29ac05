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
import type { RemoteFetch } from './write-http.js';
import { queueDirName, WriteQueue, type RemoteMetadata } from './write-queue.js';
import { METRIC_TYPES, type MetricTypeName } from './codec.js';

/**
 * Metric metadata by family name, each with its distinct (type, help, unit) across targets: the shape of
 * ScrapeManager.metadata(), so `metadata: () => scrape.metadata()` wires it.
 */
export type MetadataSource = () => Readonly<Record<string, readonly { type: string; help: string; unit: string }[]>>;

export interface RemoteWriteManagerOptions {
  /** A directory owned by the manager; one subdirectory per queue. */
  dataDir: string;
  logger: Logger;
  /** Defaults; the config's global.external_labels win on conflicts. */
  externalLabels?: Record<string, string>;
  /** For tests: the HTTP client (replaces tls_config/proxy_url handling) and clock. */
  fetch?: RemoteFetch;
  now?: () => number;
  /** Where metadata_config sending reads the targets' metric metadata; without it no metadata is sent. */
  metadata?: MetadataSource;
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

  private metadataSource: MetadataSource | undefined;

  constructor(private readonly opts: RemoteWriteManagerOptions) {
    this.metadataSource = opts.metadata;
  }

  /** Sets (or replaces) the metadata source after construction; running queues use it from their next round. */
  setMetadataSource(source: MetadataSource | undefined): void {
    this.metadataSource = source;
  }

  /** The source's entries as remote_write sends them, one per distinct (family, type, help, unit). */
  private collectMetadata(): RemoteMetadata[] {
    const src = this.metadataSource;
    if (!src) return [];
    const out: RemoteMetadata[] = [];
    for (const [name, entries] of Object.entries(src())) {
      for (const e of entries) {
        const type: MetricTypeName = (METRIC_TYPES as readonly string[]).includes(e.type) ? (e.type as MetricTypeName) : 'unknown';
        out.push({ metricFamilyName: name, type, help: e.help, unit: e.unit });
      }
    }
    return out;
  }

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
        metadata: () => this.collectMetadata(),
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
