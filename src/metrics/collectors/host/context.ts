/**
 * What every host sub-collector gets for one scrape: where /proc and /sys are, the clock, and a
 * reader that reads each file at most once per scrape (the cpu and stat families both need
 * /proc/stat, for example).
 */
import { readdir, readFile } from 'node:fs/promises';
import type { MetricFamily } from '../exposition.js';

export interface ScrapeContext {
  readonly procPath: string;
  readonly sysPath: string;
  readonly udevDataPath: string;
  readonly now: () => number;
  /** File contents, or undefined when it cannot be read (absent, EACCES, EINVAL on sysfs attributes). */
  read(path: string): Promise<string | undefined>;
  /** Directory entries (names only), or undefined when it cannot be listed. */
  list(path: string): Promise<string[] | undefined>;
}

/** A sub-collector: throws only when its main source is unusable; the caller reports that as success=0. */
export type SubCollector = (ctx: ScrapeContext) => Promise<MetricFamily[]>;

export function createScrapeContext(opts: { procPath: string; sysPath: string; udevDataPath: string; now: () => number }): ScrapeContext {
  const cache = new Map<string, Promise<string | undefined>>();
  return {
    ...opts,
    read(path) {
      let p = cache.get(path);
      if (!p) {
        p = readFile(path, 'utf8').then(
          (s) => s,
          () => undefined,
        );
        cache.set(path, p);
      }
      return p;
    },
    list(path) {
      return readdir(path).then(
        (names) => names,
        () => undefined,
      );
    },
  };
}

/** Parses an unsigned/signed decimal or 0x-hex sysfs value; undefined when it is not a number. */
export function parseSysfsNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '') return undefined;
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
