/** The alert as the built-in Alertmanager keeps it. Times are ms since the epoch. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
  updatedAt: number;
  /** endsAt was not given and was set to now + resolve_timeout. */
  timeout: boolean;
  fingerprint: string;
}

export const resolvedAt = (a: AmAlert, now: number): boolean => a.endsAt !== 0 && a.endsAt <= now;

/**
 * Prometheus's model.LabelSet.Fingerprint: FNV-1a 64 over sorted name, 0xff, value, 0xff; 16 hex digits.
 * The 64-bit state is two 32-bit halves (BigInt arithmetic was the hot spot with many alerts).
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '0000000000000000';
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const step = (b: number) => {
    lo = (lo ^ b) >>> 0;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40), modulo 2^64.
    const a = lo * 0x1b3;
    const carry = Math.floor(a / 4294967296);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = a >>> 0;
  };
  for (const n of names) {
    for (const part of [n, labels[n]]) {
      for (const b of Buffer.from(part, 'utf8')) step(b);
      step(0xff);
    }
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** model.LabelSet.String(): `{a="b", c="d"}`, sorted. */
export function labelSetString(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

/** Go's time.Time JSON form (RFC 3339 with trailing zeros trimmed); 0 is Go's zero time. */
export function goTime(ms: number): string {
  if (ms === 0) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

/** Parses an RFC 3339 time; Go's zero time and empty give 0; undefined when malformed. */
export function parseTime(s: string | undefined): number | undefined {
  if (s === undefined || s === '' || s.startsWith('0001-01-01')) return 0;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}
