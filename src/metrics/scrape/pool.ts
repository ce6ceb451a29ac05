/**
 * The scrape pool of one job: the targets its discovery produced, one loop per target, and the job's
 * HTTP client. Target-set changes keep the loops of unchanged targets running; a changed job config
 * replaces the loops, each new one inheriting its predecessor's staleness state. Loops of targets that
 * are gone are handed to EndOfRunStaleness, which marks their series stale a little over an interval later
 * unless the target comes back first.
 */
import type { Logger } from 'pino';
import type { ScrapeConfig } from '../../config/types.js';
import { labelsKey, type Labels } from '../../model/labels.js';
import { compileRelabelConfigs } from '../../model/relabel.js';
import type { Storage } from '../storage/interface.js';
import type { ScrapeClock } from './clock.js';
import type { EndOfRunStaleness } from './end-of-run.js';
import { ScrapeHttpClient } from './http-client.js';
import { ScrapeLoop } from './loop.js';
import { mergeGroupTarget, populateTarget, type DiscoveredGroup, type TargetSpec } from './target.js';

export interface PoolDeps {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly now: () => number;
  readonly clock: ScrapeClock;
  readonly endOfRun: EndOfRunStaleness;
  readonly manual: boolean;
}

/** Everything in a scrape config except its discovery sections: a change here means new loops. */
export function scrapeBehaviourKey(cfg: ScrapeConfig): string {
  const { staticConfigs: _s, fileSdConfigs: _f, ...rest } = cfg;
  return JSON.stringify(rest);
}

export class ScrapePool {
  private cfg: ScrapeConfig;
  private client: ScrapeHttpClient;
  private readonly loops = new Map<string, ScrapeLoop>();
  private dropped: Labels[] = [];
  /** Groups per discovery provider, then per group source. */
  private readonly groups = new Map<string, Map<string, DiscoveredGroup>>();
  private chain: Promise<void> = Promise.resolve();
  private recreate = false;
  private stopped = false;
  private readonly retired: ScrapeHttpClient[] = [];

  constructor(
    cfg: ScrapeConfig,
    private readonly deps: PoolDeps,
  ) {
    this.cfg = cfg;
    this.client = new ScrapeHttpClient(cfg);
  }

  get config(): ScrapeConfig {
    return this.cfg;
  }

  /** Replaces all groups of one provider (a provider always reports its complete current set). */
  setGroups(provider: string, groups: readonly DiscoveredGroup[]): void {
    const m = new Map<string, DiscoveredGroup>();
    for (const g of groups) m.set(g.source, g);
    this.groups.set(provider, m);
  }

  removeProvider(provider: string): void {
    this.groups.delete(provider);
  }

  /** Adopts a changed job config: from the next sync on, every target gets a fresh loop. */
  updateConfig(cfg: ScrapeConfig): void {
    this.cfg = cfg;
    const old = this.client;
    this.client = new ScrapeHttpClient(cfg);
    this.recreate = true;
    // In-flight scrapes of old loops still hold the old client; it is closed after the next sync stops them.
    this.retired.push(old);
  }

  /** Reconciles loops with the current groups. Calls are serialized; the promise resolves when done. */
  sync(): Promise<void> {
    const run = this.chain.then(() => this.doSync());
    this.chain = run.catch((e) => this.deps.logger.error({ err: e, job: this.cfg.jobName }, 'scrape pool sync failed'));
    return run;
  }

  private async doSync(): Promise<void> {
    if (this.stopped) return;
    const cfg = this.cfg;
    const specs = new Map<string, TargetSpec>();
    const dropped: Labels[] = [];
    for (const provider of this.groups.values()) {
      for (const group of provider.values()) {
        for (const t of group.targets) {
          const r = populateTarget(mergeGroupTarget(group, t), cfg);
          if (r.kind === 'active') {
            if (!specs.has(r.target.key)) specs.set(r.target.key, r.target);
          } else if (r.kind === 'dropped') {
            dropped.push(r.discovered);
          } else {
            // Like Prometheus: an invalid target is logged, and listed neither as active nor as dropped.
            this.deps.logger.error({ job: cfg.jobName, err: r.error }, 'Creating target failed');
          }
        }
      }
    }
    this.dropped = dropped;

    const recreate = this.recreate;
    this.recreate = false;
    const metricRelabel = compileRelabelConfigs(cfg.metricRelabelConfigs);
    const old = new Map(this.loops);
    const byLabels = new Map<string, ScrapeLoop>();
    for (const loop of old.values()) byLabels.set(labelsKey(loop.spec.labels), loop);
    const stops: Promise<void>[] = [];
    const fresh: ScrapeLoop[] = [];
    this.loops.clear();
    for (const [key, spec] of specs) {
      const existing = old.get(key);
      if (existing && !recreate) {
        this.loops.set(key, existing);
        old.delete(key);
        continue;
      }
      const loop = new ScrapeLoop(spec, {
        storage: this.deps.storage,
        logger: this.deps.logger,
        now: this.deps.now,
        clock: this.deps.clock,
        client: this.client,
        cfg,
        metricRelabel,
        manual: this.deps.manual,
      });
      const labelKey = labelsKey(spec.labels);
      const predecessor = byLabels.get(labelKey);
      if (predecessor && old.has(predecessor.spec.key)) {
        old.delete(predecessor.spec.key);
        await predecessor.stop();
        loop.inheritFrom(predecessor);
      } else {
        // The same target stopped recently (removed and re-added, or moved here from another job):
        // continue its series instead of letting its end-of-run stale markers cut them.
        const stopped = this.deps.endOfRun.claim(labelKey);
        if (stopped) loop.inheritFrom(stopped);
      }
      this.loops.set(key, loop);
      fresh.push(loop);
    }
    // Targets that are gone: their series end after the next scrape would have happened.
    for (const loop of old.values()) stops.push(this.retire(loop));
    await Promise.all(stops);
    for (const loop of fresh) loop.start();
    for (const c of this.retired.splice(0)) c.close();
  }

  private async retire(loop: ScrapeLoop): Promise<void> {
    await loop.stop();
    this.deps.endOfRun.schedule(loop);
  }

  activeLoops(): ScrapeLoop[] {
    return [...this.loops.values()];
  }

  droppedTargets(): Labels[] {
    return this.dropped;
  }

  /** Waits for pending syncs, then scrapes every target once. */
  async scrapeAllNow(): Promise<void> {
    await this.chain;
    await Promise.all([...this.loops.values()].map((l) => l.scrapeNow()));
  }

  /**
   * Stops every loop. With `staleMarkers` (the job itself is gone, not shutdown) their series get end-of-run
   * stale markers.
   */
  async stop(staleMarkers: boolean): Promise<void> {
    await this.chain;
    this.stopped = true;
    await Promise.all([...this.loops.values()].map((l) => (staleMarkers ? this.retire(l) : l.stop())));
    this.loops.clear();
    this.client.close();
    for (const c of this.retired.splice(0)) c.close();
  }
}
