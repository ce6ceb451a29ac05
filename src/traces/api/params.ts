/** Parameter parsing shared by the Jaeger and Tempo query APIs. */
import { parseDurationNs } from '../query/parse.js';

export class BadRequest extends Error {}

export type Query = Record<string, string | string[] | undefined>;

export function first(q: Query, name: string): string | undefined {
  const v = q[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

export function all(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** A Go duration ("1.5s", "100ms", "2h45m", "500us", "0") → ns. */
export function goDurationNs(name: string, text: string): bigint {
  if (text === '0') return 0n;
  const ns = parseDurationNs(text.trim());
  if (ns === undefined) throw new BadRequest(`cannot parse ${name} "${text}": not a duration such as 100ms or 1.5s`);
  return ns;
}

export function optDuration(q: Query, name: string): bigint | undefined {
  const v = first(q, name);
  return v === undefined ? undefined : goDurationNs(name, v);
}

export function intParam(q: Query, name: string, dflt: number, max = 10_000): number {
  const v = first(q, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BadRequest(`${name} must be a non-negative integer, got "${v}"`);
  return Math.min(n === 0 ? dflt : n, max);
}

/** An integer time in the given unit (ns per unit) → ns. */
export function timeParam(q: Query, name: string, nsPerUnit: bigint): bigint | undefined {
  const v = first(q, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(v)) throw new BadRequest(`${name} must be a number, got "${v}"`);
  if (v.includes('.')) return BigInt(Math.round(Number(v) * Number(nsPerUnit)));
  return BigInt(v) * nsPerUnit;
}

/** logfmt (`a=b c="d e"`) → pairs, in order. */
export function parseLogfmt(text: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /\s*([^\s=]+)=("((?:[^"\\]|\\.)*)"|\S*)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(text)) !== null) {
    out.push([m[1], m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]]);
    at = re.lastIndex;
  }
  if (text.slice(at).trim() !== '') throw new BadRequest(`cannot parse tags "${text}": expected key=value pairs`);
  return out;
}
