/**
 * Turning discovered targets into scrape targets, as Prometheus 2.42's scrape.populateLabels does:
 * defaults from the scrape config become labels, relabel_configs run over them, and the result
 * decides the URL, interval and the label set stamped on every scraped series.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ScrapeConfig } from '../../config/types.js';
import { formatDuration, parseDuration } from '../../config/duration.js';
import { labelsFromRecord, labelsKey, type Label, type Labels } from '../../model/labels.js';
import { relabel } from '../../model/relabel.js';

/** A group of discovered targets sharing labels (the discovery package's TargetGroup, structurally). */
export interface DiscoveredGroup {
  readonly source: string;
  readonly targets: readonly Readonly<Record<string, string>>[];
  readonly labels: Readonly<Record<string, string>>;
}

export const ADDRESS_LABEL = '__address__';
export const SCHEME_LABEL = '__scheme__';
export const METRICS_PATH_LABEL = '__metrics_path__';
export const SCRAPE_INTERVAL_LABEL = '__scrape_interval__';
export const SCRAPE_TIMEOUT_LABEL = '__scrape_timeout__';
export const PARAM_LABEL_PREFIX = '__param_';
const META_LABEL_PREFIX = '__meta_';
const RESERVED_PREFIX = '__';

/** The outcome for one discovered target. */
export type PopulateResult =
  | { kind: 'active'; target: TargetSpec }
  | { kind: 'dropped'; discovered: Labels }
  | { kind: 'error'; discovered: Labels; error: string };

/** Everything that identifies a scrape target; two specs with the same key scrape the same thing the same way. */
export interface TargetSpec {
  /** Labels before relabeling (what the API calls discoveredLabels). */
  readonly discovered: Labels;
  /** Labels after relabeling, `__meta_*` removed, other `__` labels kept (they steer the scrape). */
  readonly full: Labels;
  /** What every scraped series gets: `full` without `__`-prefixed labels. */
  readonly labels: Labels;
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Identity within a pool: public labels plus URL, as Prometheus's Target.hash. */
  readonly key: string;
}

function get(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

/** Builds the target for one discovered label set, or reports why it is dropped or invalid. */
export function populateTarget(discovered: Readonly<Record<string, string>>, cfg: ScrapeConfig): PopulateResult {
  const base: Record<string, string> = { ...discovered };
  const defaults: [string, string][] = [
    ['job', cfg.jobName],
    [SCRAPE_INTERVAL_LABEL, formatDuration(cfg.scrapeInterval)],
    [SCRAPE_TIMEOUT_LABEL, formatDuration(cfg.scrapeTimeout)],
    [METRICS_PATH_LABEL, cfg.metricsPath],
    [SCHEME_LABEL, cfg.scheme],
  ];
  for (const [name, value] of defaults) if (base[name] === undefined || base[name] === '') base[name] = value;
  // Configured params override discovered __param_ labels, as in Prometheus; relabeling can still change them.
  for (const [name, values] of Object.entries(cfg.params)) {
    if (values.length > 0) base[PARAM_LABEL_PREFIX + name] = values[0];
  }
  const pre = labelsFromRecord(base);
  const relabeled = relabel(pre, cfg.relabelConfigs);
  if (relabeled === undefined) return { kind: 'dropped', discovered: pre };

  let addr = get(relabeled, ADDRESS_LABEL);
  if (addr === '') return { kind: 'error', discovered: pre, error: 'no address' };
  const scheme = get(relabeled, SCHEME_LABEL);
  const out: Record<string, string> = {};
  for (const l of relabeled) if (!l.name.startsWith(META_LABEL_PREFIX)) out[l.name] = l.value;
  // Prometheus 2.x infers the port from the scheme when the address has none.
  if (needsPort(addr)) {
    if (scheme === 'http' || scheme === '') addr += ':80';
    else if (scheme === 'https') addr += ':443';
    else return { kind: 'error', discovered: pre, error: `invalid scheme: ${JSON.stringify(scheme)}` };
    out[ADDRESS_LABEL] = addr;
  }
  if (addr.includes('/') || addr.includes('@') || /\s/.test(addr)) {
    return { kind: 'error', discovered: pre, error: `${JSON.stringify(addr)} is not a valid hostname` };
  }
  let intervalMs: number;
  let timeoutMs: number;
  try {
    intervalMs = parseDuration(out[SCRAPE_INTERVAL_LABEL] ?? '');
    timeoutMs = parseDuration(out[SCRAPE_TIMEOUT_LABEL] ?? '');
  } catch (e) {
    return { kind: 'error', discovered: pre, error: `error parsing scrape interval or timeout: ${(e as Error).message}` };
  }
  if (intervalMs === 0) return { kind: 'error', discovered: pre, error: 'scrape interval cannot be 0' };
  if (timeoutMs === 0) return { kind: 'error', discovered: pre, error: 'scrape timeout cannot be 0' };
  if (timeoutMs > intervalMs) {
    return {
      kind: 'error',
      discovered: pre,
      error: `scrape timeout cannot be greater than scrape interval (${JSON.stringify(formatDuration(timeoutMs))} > ${JSON.stringify(formatDuration(intervalMs))})`,
    };
  }
  if (out.instance === undefined || out.instance === '') out.instance = addr;
  const full = labelsFromRecord(out);
  const labels: Label[] = full.filter((l) => !l.name.startsWith(RESERVED_PREFIX));
  const url = targetUrl(full, cfg);
  return {
    kind: 'active',
    target: { discovered: pre, full, labels, url, intervalMs, timeoutMs, key: labelsKey(labels) + '\x00' + url },
  };
}

/** True when a host or [ipv6] address carries no port. */
function needsPort(addr: string): boolean {
  if (addr.startsWith('[')) return !/\]:\d+$/.test(addr);
  const colons = addr.split(':').length - 1;
  if (colons === 0) return true;
  // A bare IPv6 address without brackets is left alone, as Go's net.SplitHostPort would fail on it too.
  return false;
}

/** scheme://address/path?params; a `__param_<name>` label replaces the first configured value of that param (Target.URL). */
export function targetUrl(full: Labels, cfg: ScrapeConfig): string {
  const params = new Map<string, string[]>();
  for (const [name, values] of Object.entries(cfg.params)) params.set(name, [...values]);
  for (const l of full) {
    if (!l.name.startsWith(PARAM_LABEL_PREFIX)) continue;
    const name = l.name.slice(PARAM_LABEL_PREFIX.length);
    const values = params.get(name);
    if (values && values.length > 0) values[0] = l.value;
    else params.set(name, [l.value]);
  }
  const qs = new URLSearchParams();
  for (const [name, values] of params) for (const v of values) qs.append(name, v);
  const path = get(full, METRICS_PATH_LABEL) || '/metrics';
  const q = qs.toString();
  return `${get(full, SCHEME_LABEL) || 'http'}://${get(full, ADDRESS_LABEL)}${path.startsWith('/') ? '' : '/'}${path}${q ? '?' + q : ''}`;
}

/** The machine's identity, so several replicas scraping the same targets spread their load differently. */
const JITTER_SEED = fnv64(hostname());

function fnv64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/**
 * How long to wait before this target's first scrape so that its scrapes land at a fixed phase within
 * the interval derived from the target's identity: stable across restarts and reloads, and spread out
 * across targets (Prometheus's Target.offset).
 */
export function scrapeOffsetMs(spec: TargetSpec, nowMs: number): number {
  const interval = BigInt(Math.max(1, Math.round(spec.intervalMs)));
  const hash = BigInt('0x' + createHash('sha256').update(spec.key).digest('hex').slice(0, 16));
  const phase = (hash ^ JITTER_SEED) % interval;
  const base = interval - (BigInt(Math.floor(nowMs)) % interval);
  let next = base + phase;
  if (next > interval) next -= interval;
  return Number(next);
}

/** Discovered labels for one target of a group: group labels, then the target's own on top. */
export function mergeGroupTarget(group: DiscoveredGroup, target: Readonly<Record<string, string>>): Record<string, string> {
  return { ...group.labels, ...target };
}
