/** Loki's HTTP parameter parsing: timestamps (ns, s, float s, RFC 3339), durations, direction, limit, step. */
import { parseGoDuration } from '../logql/units.js';

export class BadRequest extends Error {}

/** Loki's max_entries_limit_per_query default. */
export const MAX_ENTRIES_LIMIT = 5000;

const NS_PER_S = 1000000000n;

/**
 * Loki's parseTimestamp: a value with a dot is float seconds; an integer of up to 10 digits is seconds and a
 * longer one nanoseconds; otherwise RFC 3339 (with optional fractional seconds).
 */
export function parseLokiTime(value: string | undefined, def: bigint): bigint {
  if (value === undefined || value === '') return def;
  if (value.includes('.')) {
    const f = Number(value);
    if (Number.isFinite(f)) {
      const whole = Math.trunc(f);
      return BigInt(whole) * NS_PER_S + BigInt(Math.round((f - whole) * 1e9));
    }
  }
  if (/^-?[0-9]+$/.test(value)) {
    const n = BigInt(value);
    return value.replace('-', '').length <= 10 ? n * NS_PER_S : n;
  }
  const m = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(value);
  if (m) {
    const ms = Date.parse(`${m[1]}${m[3]}`);
    if (!Number.isNaN(ms)) {
      const frac = m[2] ? BigInt((m[2].slice(1) + '000000000').slice(0, 9)) : 0n;
      return BigInt(ms) * 1000000n + frac;
    }
  }
  throw new BadRequest(`cannot parse "${value}" to a valid timestamp`);
}

/** A step or `since`: a Go/Prometheus duration or float seconds; milliseconds. */
export function parseLokiDurationMs(value: string, name: string): number {
  if (/^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?$/.test(value)) return Number(value) * 1000;
  const ns = parseGoDuration(value);
  if (ns === undefined) throw new BadRequest(`cannot parse "${value}" to a valid duration for ${name}`);
  return ns / 1e6;
}

/** Loki's default step: one point per 250 of the range, at least a second. */
export function defaultStepMs(start: bigint, end: bigint): number {
  const seconds = Number(end - start) / 1e9;
  return Math.max(Math.floor(seconds / 250), 1) * 1000;
}

export function parseDirection(value: string | undefined): 'forward' | 'backward' {
  if (value === undefined || value === '') return 'backward';
  const v = value.toLowerCase();
  if (v === 'forward' || v === 'backward') return v;
  throw new BadRequest(`invalid direction '${value}'`);
}

export function parseLimit(value: string | undefined, def = 100): number {
  if (value === undefined || value === '') return def;
  if (!/^[0-9]+$/.test(value)) throw new BadRequest(`invalid limit '${value}'`);
  const n = Number(value);
  if (n <= 0) throw new BadRequest('limit must be a positive value');
  if (n > MAX_ENTRIES_LIMIT) throw new BadRequest(`max entries limit per query exceeded, limit > max_entries_limit_per_query (${n} > ${MAX_ENTRIES_LIMIT})`);
  return n;
}

export function nowNs(now: () => number): bigint {
  return BigInt(Math.round(now())) * 1000000n;
}
