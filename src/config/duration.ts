/** Prometheus duration strings (`1h30m`, `15s`, `500ms`, `1d`, `1w`, `1y`), as common/model.ParseDuration reads them. */

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
// time.Duration is int64 nanoseconds, so Prometheus refuses anything longer than about 292 years.
const MAX_MS = Number((2n ** 63n - 1n) / 1_000_000n);

/** Returns milliseconds or throws an Error with Prometheus's message. */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new Error('empty duration string');
  const m = DURATION_RE.exec(s);
  if (!m) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  let ms = 0;
  for (let i = 0; i < UNITS_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * UNITS_MS[i];
  }
  if (ms > MAX_MS) throw new Error('duration out of range');
  return ms;
}

/** Formats milliseconds the way Prometheus prints durations (`1h30m`, `15s`, `0s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let r = '';
  let rest = ms;
  const units: [string, number, boolean][] = [
    ['y', 365 * 86_400_000, true],
    ['w', 7 * 86_400_000, true],
    ['d', 86_400_000, true],
    ['h', 3_600_000, false],
    ['m', 60_000, false],
    ['s', 1000, false],
    ['ms', 1, false],
  ];
  for (const [unit, mult, exact] of units) {
    if (exact && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      r += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return r;
}
