/**
 * Parameter parsing shared by the Prometheus HTTP API handlers, with Prometheus's own error texts
 * so clients see the same messages they would from Prometheus.
 */
import { PromApiError } from '../../server/prom-response.js';
import { parseDuration } from '../../config/duration.js';

/** Prometheus's bounds for "no time given": far past and far future, in ms. */
export const MIN_TIME_MS = -9223372036854.775;
export const MAX_TIME_MS = 9223372036854.775;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Unix seconds (float) or RFC 3339 → ms. Throws a bad_data error naming the parameter. */
export function parseTimeParam(value: string | undefined, name: string, fallbackMs: number): number {
  if (value === undefined || value === '') return fallbackMs;
  const ms = parseTime(value);
  if (ms === undefined) {
    throw new PromApiError('bad_data', `invalid parameter "${name}": cannot parse "${value}" to a valid timestamp`);
  }
  return ms;
}

export function parseTime(value: string): number | undefined {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    const s = Number(value);
    if (Number.isFinite(s)) return Math.round(s * 1000);
  }
  if (RFC3339.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  // Prometheus accepts the literal bounds its own clients send for "everything".
  if (value === '-292273086-05-16T16:47:06Z') return MIN_TIME_MS;
  if (value === '292277025-08-18T07:12:54.999999999Z') return MAX_TIME_MS;
  return undefined;
}

/** Prometheus duration syntax (`1h30m`, `15s`, `500ms`) → ms, or undefined. */
export function parsePromDuration(value: string): number | undefined {
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

/** A duration parameter: float seconds or a Prometheus duration → ms. */
export function parseDurationParam(value: string, name: string): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) {
    const s = Number(value);
    if (Number.isFinite(s)) return Math.round(s * 1000);
  }
  const ms = parsePromDuration(value);
  if (ms === undefined) throw new PromApiError('bad_data', `invalid parameter "${name}": cannot parse "${value}" to a valid duration`);
  return ms;
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
