/** Go's time.ParseDuration and go-humanize's ParseBytes, as LogQL label filters and unwrap conversions use them. */

const DUR_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
const DUR_PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/** Go time.ParseDuration (also Prometheus's d/w/y units), in nanoseconds; undefined when invalid. */
export function parseGoDuration(input: string): number | undefined {
  let s = input;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  // Prometheus-style day/week/year units are accepted in LogQL ranges.
  const ext = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(.*)$/.exec(s)!;
  let total = 0;
  if (ext[1]) total += Number(ext[1]) * 365 * 86400e9;
  if (ext[2]) total += Number(ext[2]) * 7 * 86400e9;
  if (ext[3]) total += Number(ext[3]) * 86400e9;
  const rest = ext[4];
  if (rest === '' && total === 0) return undefined;
  let i = 0;
  while (i < rest.length) {
    DUR_PART.lastIndex = i;
    const m = DUR_PART.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * DUR_UNITS[m[2]];
    i = DUR_PART.lastIndex;
  }
  return sign * total;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, kib: 1024, ki: 1024,
  m: 1e6, mb: 1e6, mib: 1024 ** 2, mi: 1024 ** 2,
  g: 1e9, gb: 1e9, gib: 1024 ** 3, gi: 1024 ** 3,
  t: 1e12, tb: 1e12, tib: 1024 ** 4, ti: 1024 ** 4,
  p: 1e15, pb: 1e15, pib: 1024 ** 5, pi: 1024 ** 5,
  e: 1e18, eb: 1e18, eib: 1024 ** 6, ei: 1024 ** 6,
};

/** go-humanize ParseBytes: "42", "1KB" (1000), "1KiB" (1024), "1.5 MB", case-insensitive. */
export function parseBytes(input: string): number | undefined {
  const m = /^\s*([0-9]*\.?[0-9]+|[0-9]+\.)\s*([A-Za-z]*)\s*$/.exec(input.replace(/,/g, ''));
  if (!m) return undefined;
  const unit = BYTE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(m[1]) * unit;
}
