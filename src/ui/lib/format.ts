/**
 * Pure formatting and parsing helpers shared by the pages. No DOM access here, so they can be unit-tested
 * under Node.
 */

/** A label set as Prometheus returns it in `metric` objects. */
export type LabelSet = Readonly<Record<string, string>>;

/** `name{a="x", b="y"}` with `__name__` pulled out front, labels sorted, values escaped like PromQL. */
export function formatSeriesName(metric: LabelSet): string {
  const name = metric.__name__ ?? '';
  const labels = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}="${escapeLabelValue(metric[k] ?? '')}"`);
  if (labels.length === 0) return name === '' ? '{}' : name;
  return `${name}{${labels.join(', ')}}`;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Prometheus encodes sample values as strings so NaN and infinities survive JSON. */
export function parseSampleValue(v: string): number {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

const BIG_UNITS: ReadonlyArray<[number, string]> = [
  [1e15, 'P'],
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];
const SMALL_UNITS: ReadonlyArray<[number, string]> = [
  [1e-3, 'm'],
  [1e-6, 'µ'],
  [1e-9, 'n'],
];

/** Compact SI-prefixed number for axes and legends: 1234567 → "1.23M", 0.00042 → "420µ". */
export function formatValue(v: number, digits = 3): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  for (const [scale, unit] of BIG_UNITS) {
    if (abs >= scale) return trimNumber(v / scale, digits) + unit;
  }
  if (abs >= 1) return trimNumber(v, digits);
  for (const [scale, unit] of SMALL_UNITS) {
    if (abs >= scale) return trimNumber(v / scale, digits) + unit;
  }
  return v.toExponential(2);
}

function trimNumber(v: number, digits: number): string {
  return String(Number(v.toPrecision(digits)));
}

const DURATION_UNITS: ReadonlyArray<[string, number]> = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Parses a Prometheus duration such as `1h30m`, `90s`, `2d`; returns null when malformed. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '') return null;
  const re = /(\d+)(ms|y|w|d|h|m|s)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return null;
    const unit = DURATION_UNITS.find(([u]) => u === m[2]);
    if (!unit) return null;
    total += Number(m[1]) * unit[1];
    pos = re.lastIndex;
  }
  return total > 0 ? total : null;
}

/** Inverse of parseDuration: 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of DURATION_UNITS) {
    if (unit === 'y' || unit === 'w') continue; // "7d" reads better than "1w" in a range picker
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/**
 * Default query step: about 250 points across the range (what fits a graph's width without aliasing),
 * rounded to whole seconds, never below 1s.
 */
export function autoStepSeconds(rangeMs: number): number {
  return Math.max(1, Math.round(rangeMs / 250 / 1000));
}

/** Seconds as a short human duration: 0.0123 → "12.3ms", 75 → "1m 15s". */
export function humanizeSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const abs = Math.abs(seconds);
  if (abs < 1e-3) return `${trimNumber(seconds * 1e6, 3)}µs`;
  if (abs < 1) return `${trimNumber(seconds * 1e3, 3)}ms`;
  if (abs < 60) return `${trimNumber(seconds, 3)}s`;
  const whole = Math.round(seconds);
  const d = Math.floor(whole / 86400);
  const h = Math.floor((whole % 86400) / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s && !d) parts.push(`${s}s`);
  return parts.join(' ');
}

/** "12s ago" / "in 3m" relative to `nowMs`; "never" for Prometheus' zero time. */
export function relativeTime(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || t <= 0) return 'never';
  const diff = (nowMs - t) / 1000;
  if (Math.abs(diff) < 1) return 'just now';
  const text = humanizeSeconds(Math.abs(diff) >= 60 ? Math.round(Math.abs(diff)) : Math.abs(Math.round(diff * 10) / 10));
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** Bytes with binary prefixes for TSDB stats. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Thousands separators for counts in tables (locale-independent so tests are stable). */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
