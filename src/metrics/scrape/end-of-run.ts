/**
 * End-of-run staleness, as Prometheus 2.42's scrapeLoop.endOfRunStaleness: when a target goes away, its
 * series are not marked stale at once. The markers are stamped with the time the target's next scrape
 * would have happened, and written only one more interval plus 10 % later. If the target came back in
 * the meantime (a reload, a file_sd rewrite), the new loop claims the stopped one and nothing is written.
 * Otherwise, if another loop has stored newer samples for a series (the target moved to another job with
 * the same labels: pools sync concurrently, so the claim usually misses it), the storage refuses the older
 * marker as out of order, which is what Prometheus relies on in every case.
 */
import type { Logger } from 'pino';
import { labelsKey } from '../../model/labels.js';
import type { ScrapeClock } from './clock.js';
import type { ScrapeLoop } from './loop.js';

interface Pending {
  loop: ScrapeLoop;
  staleTime: number;
  cancel: () => void;
}

export class EndOfRunStaleness {
  private readonly pending = new Map<string, Pending>();
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly clock: ScrapeClock,
    private readonly logger: Logger,
  ) {}

  /**
   * Takes over a stopped loop whose target is gone. A loop that never scraped has nothing to mark.
   * Returns the stale time, or undefined when nothing will be written.
   */
  schedule(loop: ScrapeLoop): number | undefined {
    const staleTime = loop.nextScrapeAfter(this.clock.now());
    if (staleTime === undefined || !loop.hasSeriesToMarkStale()) return undefined;
    const key = labelsKey(loop.spec.labels);
    // Two stopped loops with the same labels (only possible across jobs): the older one is written now.
    this.pending.get(key)?.cancel();
    const older = this.pending.get(key);
    if (older) this.write(older);
    const interval = loop.spec.intervalMs;
    const writeAt = staleTime + interval + interval / 10;
    const entry: Pending = {
      loop,
      staleTime,
      cancel: this.clock.setTimer(() => {
        if (this.pending.get(key) !== entry) return;
        this.write(entry);
      }, writeAt - this.clock.now()),
    };
    this.pending.set(key, entry);
    return staleTime;
  }

  /**
   * A new loop for the same target labels is starting: the stopped loop's markers are cancelled and the
   * stopped loop is handed over, so the new loop can continue its staleness tracking.
   */
  claim(key: string): ScrapeLoop | undefined {
    const p = this.pending.get(key);
    if (!p) return undefined;
    p.cancel();
    this.pending.delete(key);
    return p.loop;
  }

  /** Stale times of the pending loops, by target labels key (for tests and status). */
  pendingStaleTimes(): Map<string, number> {
    return new Map([...this.pending].map(([k, p]) => [k, p.staleTime]));
  }

  /** Shutdown: forget pending markers (a restart continues the series), wait for writes under way. */
  async cancelAll(): Promise<void> {
    for (const p of this.pending.values()) p.cancel();
    this.pending.clear();
    await this.settled();
  }

  /** Writes every pending marker now, at its stale time. */
  async flushAll(): Promise<void> {
    for (const p of [...this.pending.values()]) {
      p.cancel();
      this.write(p);
    }
    await this.settled();
  }

  /** Resolves when every marker write started so far is committed (or has failed and been logged). */
  async settled(): Promise<void> {
    while (this.writing.size > 0) await Promise.all([...this.writing]);
  }

  private write(p: Pending): void {
    const key = labelsKey(p.loop.spec.labels);
    if (this.pending.get(key) === p) this.pending.delete(key);
    const w = p.loop
      .writeStaleMarkers(p.staleTime)
      .catch((err: unknown) => this.logger.warn({ err, target: p.loop.spec.url }, 'writing end-of-run stale markers failed'))
      .finally(() => this.writing.delete(w));
    this.writing.add(w);
  }
}
