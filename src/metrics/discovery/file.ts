/**
 * file_sd as Prometheus 2.42 runs it: the configured globs are re-read whenever something changes in
 * their directories (fs.watch) and every refresh_interval as a fallback for missed events. A file that
 * fails to parse keeps the groups it last had and the error is logged; a file that disappears drops its
 * groups. Each update reports the complete current set of groups from all configured files.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { glob } from '../../config/glob.js';
import type { FileSDConfig } from '../../config/types.js';
import { parseTargetGroupsFile, type TargetGroup } from './target-group.js';

export type { TargetGroup } from './target-group.js';
export { parseTargetGroupsFile } from './target-group.js';

export interface DiscoveryLogger {
  error(obj: object, msg?: string): void;
}

export interface FileDiscoveryOptions {
  logger?: DiscoveryLogger;
  /** Clock (ms) for lastRefresh. Default Date.now. */
  now?: () => number;
  /** How long to gather bursts of file events before re-reading. Default 20 ms. */
  debounceMs?: number;
}

export class FileDiscovery {
  private readonly patterns: string[];
  private readonly intervals: number[];
  private readonly fileGroups = new Map<string, TargetGroup[]>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly timers: NodeJS.Timeout[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastSent: string | undefined;
  private readonly now: () => number;
  /** When the last refresh finished (ms), or 0 before the first. */
  lastRefresh = 0;
  /** Read errors so far, like prometheus_sd_file_read_errors_total. */
  readErrors = 0;

  constructor(
    configs: readonly FileSDConfig[],
    baseDir: string,
    private readonly onUpdate: (groups: TargetGroup[]) => void,
    private readonly opts: FileDiscoveryOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    const patterns = new Set<string>();
    for (const c of configs) for (const f of c.files) patterns.add(isAbsolute(f) ? f : join(baseDir, f));
    this.patterns = [...patterns];
    this.intervals = [...new Set(configs.map((c) => c.refreshInterval).filter((ms) => ms > 0))];
  }

  /** Reads everything once (reporting the result), then keeps watching until stop(). */
  async start(): Promise<void> {
    await this.refresh();
    for (const ms of this.intervals) {
      const t = setInterval(() => void this.refresh(), ms);
      t.unref();
      this.timers.push(t);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (this.debounce) clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** The current groups, sorted by file then position. */
  groups(): TargetGroup[] {
    const files = [...this.fileGroups.keys()].sort();
    return files.flatMap((f) => this.fileGroups.get(f) ?? []);
  }

  /** Re-reads all files now. Concurrent calls share one run (plus one more if asked during it). */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.readAll();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async readAll(): Promise<void> {
    const seen = new Set<string>();
    for (const pattern of this.patterns) {
      let files: string[];
      try {
        files = await glob(pattern);
      } catch (err) {
        this.opts.logger?.error({ err, glob: pattern }, 'Error expanding glob');
        continue;
      }
      for (const f of files) {
        if (seen.has(f)) continue;
        seen.add(f);
        try {
          const groups = parseTargetGroupsFile(await readFile(f, 'utf8'), f);
          this.fileGroups.set(f, groups);
        } catch (err) {
          // Keep the last good groups of this file: a half-written or broken file must not drop targets.
          this.readErrors++;
          this.opts.logger?.error({ err: (err as Error).message, path: f }, 'Error reading file');
        }
      }
    }
    for (const f of [...this.fileGroups.keys()]) if (!seen.has(f)) this.fileGroups.delete(f);
    if (this.stopped) return;
    this.watchDirectories();
    this.lastRefresh = this.now();
    const groups = this.groups();
    const key = JSON.stringify(groups);
    if (key !== this.lastSent) {
      this.lastSent = key;
      this.onUpdate(groups);
    }
  }

  /** Watches each pattern's directory; retried on every refresh in case it did not exist yet. */
  private watchDirectories(): void {
    for (const pattern of this.patterns) {
      const dir = dirname(pattern);
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.scheduleRefresh());
        w.on('error', (err) => {
          this.opts.logger?.error({ err: err.message, path: dir }, 'Error watching file');
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch (err) {
        // Missing directory: the refresh_interval re-read covers it until it appears.
        this.opts.logger?.error({ err: (err as Error).message, path: dir }, 'Error adding file watch');
      }
    }
  }

  private scheduleRefresh(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      if (!this.stopped) void this.refresh();
    }, this.opts.debounceMs ?? 20);
  }
}

/**
 * Starts a FileDiscovery and resolves once the first read has been reported; the shape the scrape
 * manager's FileDiscoveryFactory expects.
 */
export async function startFileDiscovery(
  configs: readonly FileSDConfig[],
  baseDir: string,
  onUpdate: (groups: TargetGroup[]) => void,
  opts?: FileDiscoveryOptions,
): Promise<FileDiscovery> {
  const d = new FileDiscovery(configs, baseDir, onUpdate, opts);
  await d.start();
  return d;
}
