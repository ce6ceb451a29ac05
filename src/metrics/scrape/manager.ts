/**
 * All scraping: one pool per job, fed by static_configs and file_sd_configs, reconfigured in place on
 * reload, and the data behind /api/v1/targets, /api/v1/metadata and /api/v1/targets/metadata.
 */
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { formatDuration } from '../../config/duration.js';
import { unsupportedServiceDiscovery } from '../../config/unsupported.js';
import type { FileSDConfig, PrometheusConfig, ScrapeConfig } from '../../config/types.js';
import { compareLabels, labelsToRecord, type Labels } from '../../model/labels.js';
import type { MetricType } from '../../model/textparse/types.js';
import { FileDiscovery } from '../discovery/file.js';
import { staticTargetGroups } from '../discovery/static.js';
import type { Storage } from '../storage/interface.js';
import { systemClock, type ScrapeClock } from './clock.js';
import { EndOfRunStaleness } from './end-of-run.js';
import type { ScrapeLoop } from './loop.js';
import { ScrapePool, scrapeBehaviourKey } from './pool.js';
import type { DiscoveredGroup } from './target.js';

/** A running file_sd discovery; reports its complete current group set through the callback. */
export interface DiscoveryHandle {
  stop(): void | Promise<void>;
}

export type FileDiscoveryFactory = (
  configs: readonly FileSDConfig[],
  baseDir: string,
  onUpdate: (groups: DiscoveredGroup[]) => void,
) => DiscoveryHandle | Promise<DiscoveryHandle>;

export interface ScrapeManagerOptions {
  storage: Storage;
  logger: Logger;
  /** Clock for sample timestamps (ms). Default: clock.now. */
  now?: () => number;
  /** Timers for scrape pacing and end-of-run staleness, and the time they are measured in. Default: the system clock. */
  clock?: ScrapeClock;
  /**
   * When true, loops never scrape on their own timers; only scrapeAllNow() scrapes. For tests that
   * drive time themselves.
   */
  manualScrapes?: boolean;
  /** How file_sd_configs are watched. Default: the discovery package's FileDiscovery. */
  fileDiscovery?: FileDiscoveryFactory;
}

/** One element of /api/v1/targets `activeTargets`, exactly as Prometheus 2.42 renders it. */
export interface ActiveTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}

export interface DroppedTarget {
  discoveredLabels: Record<string, string>;
}

export interface TargetsResult {
  activeTargets: ActiveTarget[];
  droppedTargets: DroppedTarget[];
}

export interface MetadataEntry {
  type: MetricType;
  help: string;
  unit: string;
}

/** One element of /api/v1/targets/metadata. `metric` is omitted when the request named a metric. */
export interface TargetMetadataEntry {
  target: Record<string, string>;
  metric?: string;
  type: MetricType;
  help: string;
  unit: string;
}

/** Go's zero time, which Prometheus reports as lastScrape before the first scrape. */
const NEVER = '0001-01-01T00:00:00Z';
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

interface PoolEntry {
  pool: ScrapePool;
  behaviourKey: string;
  fileKey: string;
  file?: DiscoveryHandle;
}

export class ScrapeManager {
  private readonly pools = new Map<string, PoolEntry>();
  private readonly now: () => number;
  private readonly clock: ScrapeClock;
  private readonly endOfRun: EndOfRunStaleness;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: ScrapeManagerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.now = opts.now ?? (() => this.clock.now());
    this.endOfRun = new EndOfRunStaleness(this.clock, opts.logger);
  }

  /**
   * Starts, updates and stops pools to match the config. Jobs and targets whose config did not change
   * keep their running loops (nothing is lost by a reload); removed jobs and targets get stale markers.
   */
  applyConfig(cfg: PrometheusConfig): Promise<void> {
    const run = this.chain.then(() => this.doApply(cfg));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doApply(cfg: PrometheusConfig): Promise<void> {
    if (this.stopped) return;
    for (const u of unsupportedServiceDiscovery(cfg)) {
      if (u.kind === 'scrape') this.opts.logger.warn({ job: u.owner, mechanism: u.mechanism }, u.message);
    }
    const baseDir = cfg.sourceFile ? dirname(cfg.sourceFile) : process.cwd();
    const wanted = new Map<string, ScrapeConfig>();
    for (const sc of cfg.scrapeConfigs) wanted.set(sc.jobName, sc);

    for (const [job, entry] of this.pools) {
      if (wanted.has(job)) continue;
      this.pools.delete(job);
      await entry.file?.stop();
      await entry.pool.stop(true);
    }

    const syncs: Promise<void>[] = [];
    for (const [job, sc] of wanted) {
      const behaviourKey = scrapeBehaviourKey(sc);
      const fileKey = JSON.stringify([sc.fileSdConfigs, baseDir]);
      let entry = this.pools.get(job);
      if (!entry) {
        entry = { pool: this.newPool(sc), behaviourKey, fileKey: '' };
        this.pools.set(job, entry);
      } else if (entry.behaviourKey !== behaviourKey) {
        entry.pool.updateConfig(sc);
        entry.behaviourKey = behaviourKey;
      }
      // Cheap to recompute; the sync below keeps loops of targets that did not change.
      entry.pool.setGroups('static', staticTargetGroups(sc.staticConfigs));
      if (entry.fileKey !== fileKey) {
        await entry.file?.stop();
        entry.file = undefined;
        entry.pool.removeProvider('file');
        entry.fileKey = fileKey;
        if (sc.fileSdConfigs.length > 0) entry.file = await this.startFileDiscovery(entry.pool, sc, baseDir);
      }
      syncs.push(entry.pool.sync());
    }
    await Promise.all(syncs);
  }

  private newPool(sc: ScrapeConfig): ScrapePool {
    return new ScrapePool(sc, {
      storage: this.opts.storage,
      logger: this.opts.logger,
      now: this.now,
      clock: this.clock,
      endOfRun: this.endOfRun,
      manual: this.opts.manualScrapes ?? false,
    });
  }

  private async startFileDiscovery(pool: ScrapePool, sc: ScrapeConfig, baseDir: string): Promise<DiscoveryHandle> {
    const factory = this.opts.fileDiscovery ?? defaultFileDiscovery(this.opts.logger);
    let ready = false;
    const handle = await factory(sc.fileSdConfigs, baseDir, (groups) => {
      pool.setGroups('file', groups);
      // The first report is synced by applyConfig itself; later ones (file changes) sync here.
      if (ready) pool.sync().catch(() => undefined); // the pool logs its own sync failures
    });
    ready = true;
    return handle;
  }

  /** The data of /api/v1/targets for `state` (default any). */
  targets(state: 'active' | 'dropped' | 'any' = 'any'): TargetsResult {
    const activeTargets: ActiveTarget[] = [];
    const droppedTargets: DroppedTarget[] = [];
    const jobs = [...this.pools.keys()].sort();
    for (const job of jobs) {
      const pool = this.pools.get(job)!.pool;
      if (state !== 'dropped') {
        const loops = pool.activeLoops().sort((a, b) => compareLabels(a.spec.labels, b.spec.labels));
        for (const loop of loops) activeTargets.push(renderActive(job, loop));
      }
      if (state !== 'active') {
        for (const d of pool.droppedTargets()) droppedTargets.push({ discoveredLabels: labelsToRecord(d) });
      }
    }
    return { activeTargets, droppedTargets };
  }

  /**
   * The data of /api/v1/metadata: per metric family, the distinct metadata seen across targets.
   * `limit` caps the number of metrics (<= 0 or undefined: no cap).
   */
  metadata(metric?: string, limit?: number): Record<string, MetadataEntry[]> {
    const out: Record<string, MetadataEntry[]> = {};
    const seen = new Map<string, Set<string>>();
    let count = 0;
    for (const loop of this.allLoops()) {
      for (const m of loop.metadata.values()) {
        if (metric !== undefined && metric !== '' && m.name !== metric) continue;
        let s = seen.get(m.name);
        if (!s) {
          if (limit !== undefined && limit > 0 && count >= limit) continue;
          s = new Set();
          seen.set(m.name, s);
          out[m.name] = [];
          count++;
        }
        const k = `${m.type}\xff${m.help}\xff${m.unit}`;
        if (s.has(k)) continue;
        s.add(k);
        out[m.name].push({ type: m.type, help: m.help, unit: m.unit });
      }
    }
    return out;
  }

  /**
   * The data of /api/v1/targets/metadata: metadata per target, for targets accepted by `matchTarget`
   * (the API's match_target selector), optionally one metric, at most `limit` entries.
   */
  targetMetadata(matchTarget?: (labels: Labels) => boolean, metric?: string, limit?: number): TargetMetadataEntry[] {
    const out: TargetMetadataEntry[] = [];
    for (const loop of this.allLoops()) {
      if (matchTarget && !matchTarget(loop.spec.labels)) continue;
      const target = labelsToRecord(loop.spec.labels);
      for (const m of loop.metadata.values()) {
        if (limit !== undefined && limit > 0 && out.length >= limit) return out;
        if (metric !== undefined && metric !== '') {
          if (m.name !== metric) continue;
          out.push({ target, type: m.type, help: m.help, unit: m.unit });
        } else {
          out.push({ target, metric: m.name, type: m.type, help: m.help, unit: m.unit });
        }
      }
    }
    return out;
  }

  private allLoops(): ScrapeLoop[] {
    const jobs = [...this.pools.keys()].sort();
    return jobs.flatMap((j) => this.pools.get(j)!.pool.activeLoops());
  }

  /** Test hook: scrapes every active target once, now, and resolves when all of it is committed. */
  async scrapeAllNow(): Promise<void> {
    await this.chain;
    await Promise.all([...this.pools.values()].map((e) => e.pool.scrapeAllNow()));
  }

  /**
   * Test hook: resolves when the end-of-run stale markers that fell due so far are committed.
   * (They are written by timers of the clock, a little over one scrape interval after a target went away.)
   */
  async staleMarkersSettled(): Promise<void> {
    await this.chain;
    await this.endOfRun.settled();
  }

  /** Stale times (ms) of targets that went away and whose markers are not written yet, by target labels. */
  pendingStaleness(): Map<string, number> {
    return this.endOfRun.pendingStaleTimes();
  }

  /**
   * Stops all scraping. Like Prometheus on shutdown, no stale markers are written (a restart continues
   * the series) and pending end-of-run markers are dropped, unless `staleMarkers` is set: then every
   * target's series are marked stale now, each at the time its next scrape would have happened.
   */
  async stop(opts: { staleMarkers?: boolean } = {}): Promise<void> {
    await this.chain;
    this.stopped = true;
    for (const entry of this.pools.values()) await entry.file?.stop();
    await Promise.all([...this.pools.values()].map((e) => e.pool.stop(opts.staleMarkers ?? false)));
    this.pools.clear();
    if (opts.staleMarkers) await this.endOfRun.flushAll();
    else await this.endOfRun.cancelAll();
  }
}

function renderActive(job: string, loop: ScrapeLoop): ActiveTarget {
  const spec = loop.spec;
  return {
    discoveredLabels: labelsToRecord(spec.discovered),
    labels: labelsToRecord(spec.labels),
    scrapePool: job,
    scrapeUrl: spec.url,
    globalUrl: globalUrl(spec.url),
    lastError: loop.lastError,
    lastScrape: loop.lastScrape === 0 ? NEVER : new Date(loop.lastScrape).toISOString(),
    lastScrapeDuration: loop.lastScrapeDurationSeconds,
    health: loop.health,
    scrapeInterval: formatDuration(spec.intervalMs),
    scrapeTimeout: formatDuration(spec.timeoutMs),
  };
}

/** The scrape URL as others can reach it: loopback hosts replaced by this machine's name, as Prometheus does. */
function globalUrl(url: string): string {
  try {
    const u = new URL(url);
    if (LOCAL_HOSTS.has(u.hostname)) {
      u.hostname = hostname();
      return u.toString();
    }
  } catch {
    /* keep as is */
  }
  return url;
}

/** The discovery package's file_sd: reads the files once before resolving, then watches them. */
function defaultFileDiscovery(logger: Logger): FileDiscoveryFactory {
  return async (configs, baseDir, onUpdate) => {
    const d = new FileDiscovery(configs, baseDir, onUpdate, { logger });
    await d.start();
    return d;
  };
}
