/**
 * The scrape loop of one target: fetch, parse, relabel, append, mark what vanished as stale, and record
 * the report series, all through one Appender per scrape that is committed at the end.
 *
 * Staleness follows Prometheus 2.42: a series written (without an explicit timestamp) by the previous
 * successful scrape and missing from this one gets STALE_NAN at this scrape's time; a failed scrape
 * counts as an empty one, so everything from the previous scrape goes stale; a target that goes away
 * gets stale markers for all its series and its report series, timed by end-of-run.ts.
 */
import type { Logger } from 'pino';
import type { ScrapeConfig } from '../../config/types.js';
import { labelsKey, validateLabels, type Labels } from '../../model/labels.js';
import { relabel, type CompiledRelabelConfig } from '../../model/relabel.js';
import { formatFromContentType, parseSeriesLabels, scanExposition } from '../../model/textparse/parser.js';
import type { MetricMetadata } from '../../model/textparse/types.js';
import { STALE_NAN } from '../../model/value.js';
import { AppendError, type Appender, type Storage } from '../storage/interface.js';
import type { ScrapeClock } from './clock.js';
import type { ScrapeHttpClient } from './http-client.js';
import { mergeTargetLabels, reportLabels } from './labels.js';
import { scrapeOffsetMs, type TargetSpec } from './target.js';

export type TargetHealth = 'up' | 'down' | 'unknown';

export interface LoopDeps {
  readonly storage: Storage;
  readonly logger: Logger;
  /** Milliseconds since the epoch; stamps samples. */
  readonly now: () => number;
  /** Paces the scrapes (the phase within the interval comes from the clock's now()). */
  readonly clock: ScrapeClock;
  readonly client: ScrapeHttpClient;
  readonly cfg: ScrapeConfig;
  readonly metricRelabel: readonly CompiledRelabelConfig[];
  /** When true the loop never scrapes on its own timer (tests drive it with scrapeNow). */
  readonly manual: boolean;
}

const REPORT_NAMES = [
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
] as const;

/** Cache entries unseen for this many scrapes are forgotten, so churned series do not pile up. */
const CACHE_KEEP_ITERATIONS = 10;

interface CacheEntry {
  /** Final labels, or null when metric_relabel_configs dropped the series. */
  labels: Labels | null;
  key: string;
  lastIter: number;
}

interface ScrapeCounts {
  /** Samples read from the body (scrape_samples_scraped). */
  total: number;
  /** Samples left after metric_relabel_configs (scrape_samples_post_metric_relabeling). */
  added: number;
  /** Series this loop had not seen before (scrape_series_added). */
  seriesAdded: number;
}

class SampleLimitError extends Error {
  constructor() {
    super('sample limit exceeded');
  }
}

export class ScrapeLoop {
  health: TargetHealth = 'unknown';
  lastError = '';
  /** Epoch ms of the last scrape's start, 0 before the first. */
  lastScrape = 0;
  lastScrapeDurationSeconds = 0;
  /** The most recent scrape's TYPE/HELP/UNIT, by family name. */
  metadata = new Map<string, MetricMetadata>();

  /** Series (by labelsKey) the previous scrape wrote without explicit timestamps: candidates for stale markers. */
  private prev = new Map<string, Labels>();
  private readonly cache = new Map<string, CacheEntry>();
  private iter = 0;
  private reportWritten = false;
  private readonly reportSeries: Labels[];
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private stopped = false;
  private cancelTimer: (() => void) | undefined;
  /** Clock time of the next timer-driven scrape; 0 while none is scheduled. */
  private nextScrapeAt = 0;
  private abort = new AbortController();

  constructor(
    readonly spec: TargetSpec,
    private readonly deps: LoopDeps,
  ) {
    this.reportSeries = REPORT_NAMES.map((n) => reportLabels(n, spec.labels));
  }

  /**
   * Continues where a loop for the same target under an older config left off, so a reload neither
   * loses staleness tracking nor writes stale markers for series that are still there.
   */
  inheritFrom(old: ScrapeLoop): void {
    this.prev = new Map(old.prev);
    this.metadata = old.metadata;
    this.health = old.health;
    this.lastError = old.lastError;
    this.lastScrape = old.lastScrape;
    this.lastScrapeDurationSeconds = old.lastScrapeDurationSeconds;
    if (old.reportWritten) {
      // Report series whose labels changed would otherwise never be marked stale.
      const mine = new Set(this.reportSeries.map(labelsKey));
      for (const l of old.reportSeries) if (!mine.has(labelsKey(l))) this.prev.set(labelsKey(l), l);
      this.reportWritten = true;
    }
  }

  start(): void {
    if (this.deps.manual || this.stopped) return;
    const { clock } = this.deps;
    this.schedule(clock.now() + scrapeOffsetMs(this.spec, clock.now()));
  }

  /** Arms the timer for the scrape due at `at`; each tick schedules the next on the same grid (no drift). */
  private schedule(at: number): void {
    const { clock } = this.deps;
    this.nextScrapeAt = at;
    this.cancelTimer = clock.setTimer(() => {
      if (this.stopped) return;
      // A late timer (busy event loop) skips the missed slots instead of scraping in a burst, like a Go ticker.
      const interval = this.spec.intervalMs;
      const behind = Math.max(0, clock.now() - at);
      this.schedule(at + (Math.floor(behind / interval) + 1) * interval);
      this.tick();
    }, at - clock.now());
  }

  private tick(): void {
    // A scrape that overruns its interval is not stacked up behind another one.
    if (this.busy || this.stopped) return;
    this.scrapeNow().catch((err: unknown) => this.deps.logger.error({ err, target: this.spec.url }, 'scrape loop iteration failed'));
  }

  /**
   * When the next scrape would have happened, seen from `t` (Prometheus takes the stale time from the
   * ticker's next tick). Undefined when the loop never scraped: there is nothing to mark stale.
   */
  nextScrapeAfter(t: number): number | undefined {
    if (this.lastScrape === 0) return undefined;
    if (this.nextScrapeAt > t) return this.nextScrapeAt;
    // Manually driven loops (and a timer that is late) follow the grid of the last scrape.
    const interval = this.spec.intervalMs;
    const base = this.nextScrapeAt > 0 ? this.nextScrapeAt : this.lastScrape;
    return base + (Math.floor((t - base) / interval) + 1) * interval;
  }

  /** Whether a stop would leave series behind that need stale markers. */
  hasSeriesToMarkStale(): boolean {
    return this.prev.size > 0 || this.reportWritten;
  }

  /** Runs one scrape after any in-flight one; resolves when its samples are committed. */
  scrapeNow(): Promise<void> {
    const run = this.chain.then(() => (this.stopped ? undefined : this.scrapeOnce()));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops scraping and waits for an in-flight scrape to finish. Writes nothing: a target that is gone is
   * handed to EndOfRunStaleness, a successor inherits the state, and shutdown leaves the series as they are.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.abort.abort();
    await this.chain;
  }

  /**
   * Writes STALE_NAN at `t` for every series the last scrape wrote and for the report series, once. Samples
   * newer than `t` (the target came back under another loop) make the storage refuse the marker, as intended.
   */
  async writeStaleMarkers(t: number): Promise<void> {
    if (!this.hasSeriesToMarkStale()) return;
    const app = this.deps.storage.appender();
    for (const l of this.prev.values()) appendIgnoringRefusals(app, l, t, STALE_NAN);
    if (this.reportWritten) for (const l of this.reportSeries) appendIgnoringRefusals(app, l, t, STALE_NAN);
    this.prev.clear();
    this.reportWritten = false;
    await app.commit();
  }

  private async scrapeOnce(): Promise<void> {
    this.busy = true;
    try {
      await this.scrapeAndReport();
    } finally {
      this.busy = false;
    }
  }

  private async scrapeAndReport(): Promise<void> {
    const { storage, cfg } = this.deps;
    const appendTime = this.deps.now();
    const started = performance.now();
    let scrapeErr: Error | undefined;
    let body = '';
    let contentType = '';
    try {
      const res = await this.deps.client.scrape(this.spec.url, this.spec.timeoutMs, this.abort.signal);
      body = res.body;
      contentType = res.contentType;
    } catch (e) {
      scrapeErr = e as Error;
    }
    if (this.stopped) return;

    let app = storage.appender();
    // Filled in as the body is read; after a failure they still say how far it got, as Prometheus reports.
    const counts: ScrapeCounts = { total: 0, added: 0, seriesAdded: 0 };
    let cur = new Map<string, Labels>();
    if (!scrapeErr) {
      try {
        this.appendScrape(app, body, contentType, appendTime, cur, counts);
      } catch (e) {
        scrapeErr = e as Error;
        app.rollback();
        app = storage.appender();
        cur = new Map();
      }
    }
    // Whatever the previous scrape had and this one did not write is stale now (all of it after a failure).
    for (const [key, labels] of this.prev) {
      if (!cur.has(key)) appendIgnoringRefusals(app, labels, appendTime, STALE_NAN);
    }
    this.prev = cur;

    const duration = (performance.now() - started) / 1000;
    const values = [scrapeErr ? 0 : 1, duration, counts.total, counts.added, counts.seriesAdded];
    for (let i = 0; i < this.reportSeries.length; i++) appendIgnoringRefusals(app, this.reportSeries[i], appendTime, values[i]);
    this.reportWritten = true;
    try {
      await app.commit();
    } catch (e) {
      scrapeErr ??= e as Error;
      this.deps.logger.warn({ err: e, target: this.spec.url }, 'committing scrape failed');
    }
    this.health = scrapeErr ? 'down' : 'up';
    this.lastError = scrapeErr ? scrapeErr.message : '';
    this.lastScrape = appendTime;
    this.lastScrapeDurationSeconds = duration;
    if (scrapeErr) this.deps.logger.debug({ target: this.spec.url, err: scrapeErr.message, job: cfg.jobName }, 'scrape failed');
  }

  /** Parses and appends one exposition into `counts`. Throws (and the caller rolls back) on a parse error, invalid labels or the sample limit. */
  private appendScrape(
    app: Appender,
    body: string,
    contentType: string,
    appendTime: number,
    cur: Map<string, Labels>,
    counts: ScrapeCounts,
  ): void {
    const { cfg } = this.deps;
    const cache = this.cache;
    const iter = ++this.iter;
    let limitHit = false;
    const sampleLimit = cfg.sampleLimit;
    const honorTimestamps = cfg.honorTimestamps;
    const metadata = scanExposition(body, formatFromContentType(contentType), (series, v, st, _exemplar, line) => {
      counts.total++;
      let entry = cache.get(series);
      let isNew = false;
      if (!entry) {
        // Labels are built and relabeled once per series; later scrapes find them by the series text.
        entry = this.resolveLabels(parseSeriesLabels(series, line));
        cache.set(series, entry);
        isNew = true;
      }
      entry.lastIter = iter;
      const labels = entry.labels;
      if (labels === null) return;
      const added = ++counts.added;
      // Keep counting past the limit so scrape_samples_scraped stays truthful; the batch is refused below.
      if (sampleLimit > 0 && added > sampleLimit) {
        limitHit = true;
        return;
      }
      const explicit = honorTimestamps && st !== undefined;
      const t = explicit ? (st as number) : appendTime;
      if (appendIgnoringRefusals(app, labels, t, v) && isNew) counts.seriesAdded++;
      // Series with their own timestamps are exempt from staleness, as in Prometheus.
      if (!explicit) cur.set(entry.key, labels);
    });
    if (limitHit) throw new SampleLimitError();
    if (iter % CACHE_KEEP_ITERATIONS === 0) {
      for (const [k, e] of cache) if (iter - e.lastIter > CACHE_KEEP_ITERATIONS) cache.delete(k);
    }
    this.metadata = new Map(metadata.map((m) => [m.name, m]));
  }

  private resolveLabels(scraped: Labels): CacheEntry {
    const { cfg, metricRelabel } = this.deps;
    let labels: Labels | undefined = mergeTargetLabels(scraped, this.spec.labels, cfg.honorLabels);
    if (metricRelabel.length > 0) labels = relabel(labels, metricRelabel);
    if (labels === undefined || labels.length === 0) return { labels: null, key: '', lastIter: 0 };
    const invalid = validateLabels(labels);
    if (invalid !== undefined) throw new Error(`invalid metric name or label names: ${invalid}`);
    return { labels, key: labelsKey(labels), lastIter: 0 };
  }
}

/**
 * Appends, treating the storage's per-sample refusals (out of order, duplicate, too old) as Prometheus's
 * scrape loop does: counted in the log, not a reason to fail the scrape. Returns whether it was accepted.
 */
function appendIgnoringRefusals(app: Appender, labels: Labels, t: number, v: number): boolean {
  try {
    app.append(labels, t, v);
    return true;
  } catch (e) {
    if (e instanceof AppendError && e.kind !== 'invalid_labels') return false;
    throw e;
  }
}
