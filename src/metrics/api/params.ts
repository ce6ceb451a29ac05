/**
 * Parameter parsing shared by the Prometheus HTTP API handlers, with Prometheus's own error texts
 * so clients see the same messages they would from Prometheus.
 */
import { PromApiError } from '../../server/prom-response.js';
import { parseDuration } from '../../config/duration.js';

/** Prometheus's bounds for "no time given": far past and far future, in ms. */
export const MIN_TIME_MS = -9223372036854.775;
export const MAX_TIME_MS = 9223372036854.775;

/** Unix seconds (float) or RFC 3339 → ms. Throws a bad_data error naming the parameter. */
export function parseTimeParam(value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined || value === '') return fallbackMs;
  try {
    return parsePromTime(value);
  } catch (err) {
    throw new PromApiError('bad_data', `invalid parameter "${name}": ${(err as Error).message}`);
  }
}

/** Prometheus duration syntax (`1h30m`, `15s`, `500ms`) → ms, or undefined. */
export function parsePromDuration(value: string): number | undefined {
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

const FLOAT_RE = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Prometheus's parseTime: unix seconds (float) or RFC 3339, to ms. */
export function parsePromTime(s: string): number {
  if (FLOAT_RE.test(s)) {
    const t = Number(s.replace(/^([+-]?)0[xX]/, '$10x'));
    if (Number.isFinite(t)) {
      const whole = Math.trunc(t);
      return whole * 1000 + Math.round((t - whole) * 1000);
    }
  }
  if (RFC3339.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) return ms;
  }
  if (s === '-292273086-05-16T16:47:06Z') return MIN_TIME_MS;
  if (s === '292277025-08-18T07:12:54.999999999Z') return MAX_TIME_MS;
  throw new Error(`cannot parse ${JSON.stringify(s)} to a valid timestamp`);
}

/** Prometheus's parseDuration for API parameters: float seconds or a duration string, to ms. */
export function parsePromDurationParam(s: string): number {
  if (FLOAT_RE.test(s)) {
    const d = Number(s);
    if (!Number.isNaN(d)) {
      if (!Number.isFinite(d) || Math.abs(d * 1e9) > 9.223372036854776e18) {
        throw new Error(`cannot parse ${JSON.stringify(s)} to a valid duration. It overflows int64`);
      }
      return d * 1000;
    }
  }
  try {
    return parseDuration(s);
  } catch {
    throw new Error(`cannot parse ${JSON.stringify(s)} to a valid duration`);
  }
}

/** Merged query-string and form-body parameters; repeated keys (e.g. `match[]`) become arrays. */
export type Params = Record<string, string | string[] | undefined>;

export function paramsOf(req: { query: unknown; body: unknown }): Params {
  const out: Params = {};
  for (const src of [req.query, req.body]) {
    if (!src || typeof src !== 'object' || Buffer.isBuffer(src)) continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      const vals = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
      const prev = out[k];
      const merged = prev === undefined ? vals : [...(Array.isArray(prev) ? prev : [prev]), ...vals];
      out[k] = merged.length === 1 ? merged[0] : merged;
    }
  }
  return out;
}

export function single(params: Params, name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? v[0] : v;
}

export function multi(params: Params, name: string): string[] {
  const v = params[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
