/**
 * Prometheus's alert templating (template/template.go): the function map (humanize*, query, first,
 * label, value, reReplaceAll, ...), the `$labels`/`$value`/`$externalLabels`/`$externalURL` definitions
 * prepended to every text, and `missingkey=zero`.
 *
 * `query` needs the PromQL engine, which is asynchronous while Go templates are not. Expansion therefore
 * runs the template, collects the queries it asked for, evaluates them, and runs it again with the
 * results, until no new query is asked for (a template that builds queries from query results needs
 * one round per level).
 */
import { Template, TemplateExecError, sprint, sprintf, struct, type FuncMap, type GoValue } from '../../lib/gotemplate/index.js';
import { htmlEscape } from '../../lib/gotemplate/index.js';
import { expandParts, parseTemplate, translateRe2 } from '../../model/relabel.js';
import { parseDurationMs } from '../../metrics/promql/parser/index.js';

export interface TemplateSample {
  Labels: Record<string, string>;
  Value: number;
}

export type TemplateQueryFn = (query: string) => Promise<TemplateSample[]>;

export const ALERT_TEMPLATE_DEFS = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

class NeedsQuery extends Error {
  constructor(readonly query: string) {
    super(`query ${query} pending`);
  }
}

function convertToFloat(i: GoValue): number {
  if (typeof i === 'number') return i;
  if (typeof i === 'bigint') return Number(i);
  if (typeof i === 'string') {
    const s = i.trim() === i ? i : '';
    if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^nan$/i.test(s)) return NaN;
    if (s === '' || !/^[+-]?(\d[\d_]*\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|0[xX][0-9a-fA-F]+)$/.test(s)) {
      throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(i)}: invalid syntax`);
    }
    return Number(s.replace(/_/g, ''));
  }
  throw new Error(`can't convert ${i === null || i === undefined ? '<nil>' : typeof i === 'boolean' ? 'bool' : 'interface {}'} to float`);
}

const g4 = (v: number): string => sprintf('%.4g', [v]);

export function humanize(i: GoValue): string {
  let v = convertToFloat(i);
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

export function humanize1024(i: GoValue): string {
  let v = convertToFloat(i);
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

export function humanizeDuration(i: GoValue): string {
  let v = convertToFloat(i);
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return g4(v) + 's';
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const duration = Math.trunc(v);
    const seconds = duration % 60;
    const minutes = Math.floor(duration / 60) % 60;
    const hours = Math.floor(duration / 3600) % 24;
    const days = Math.floor(duration / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Go's time.Time String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC". */
export function goTimeString(ms: number, nanosFraction?: string): string {
  const d = new Date(Math.floor(ms));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  let frac = nanosFraction ?? String(Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6)).padStart(9, '0');
  frac = frac.replace(/0+$/, '');
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac ? '.' + frac : ''} +0000 UTC`;
}

class GoTime {
  constructor(readonly ms: number) {}
  String(): string {
    return goTimeString(this.ms);
  }
}

/** Prometheus's floatToTime: seconds → nanoseconds (int64) → model.Time, i.e. truncated to milliseconds. */
function floatToTimeMs(v: number): number {
  if (!Number.isFinite(v)) throw new Error('value is NaN or Inf');
  const ns = v * 1e9;
  if (ns >= 9.223372036854775807e18 || ns < -9.223372036854775808e18) throw new Error(`${sprint([v])} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  return Number(BigInt(Math.trunc(ns)) / 1000000n);
}

export function title(s: string): string {
  // strings.Title: the first letter of each word is upper-cased; separators are what isn't a letter, digit or '_'.
  let out = '';
  let prev = ' ';
  for (const ch of s) {
    const sep = !/[\p{L}\p{Nd}_]/u.test(prev) && !(prev.charCodeAt(0) >= 0x80 && !/[\s\p{P}\p{S}]/u.test(prev));
    out += sep ? (ch.toUpperCase().length === ch.length ? ch.toUpperCase() : ch) : ch;
    prev = ch;
  }
  return out;
}

function goRegexp(pattern: string): RegExp {
  try {
    return new RegExp(translateRe2(pattern), 'g');
  } catch (e) {
    throw new Error(`error parsing regexp: ${(e as Error).message}`);
  }
}

function stripPort(hostPort: string): string {
  const m = /^\[([^\]]*)\]:[^:]*$/.exec(hostPort) ?? /^([^:]*):[^:]*$/.exec(hostPort);
  return m ? m[1] : hostPort;
}

function sampleValue(s: GoValue): TemplateSample | undefined {
  return s && typeof s === 'object' && 'Labels' in (s as object) ? (s as unknown as TemplateSample) : undefined;
}

export interface ExpanderContext {
  externalUrl: string;
  /** Runs a PromQL instant query at the evaluation time. */
  query?: TemplateQueryFn;
}

/** What the functions of the expansion currently running see (execution is synchronous). */
interface Active {
  ctx: ExpanderContext;
  cache: Map<string, TemplateSample[]>;
  pending: Set<string>;
}

let active: Active | undefined;
const NO_ACTIVE: Active = { ctx: { externalUrl: '' }, cache: new Map(), pending: new Set() };
const cur = (): Active => active ?? NO_ACTIVE;

function funcMap(): FuncMap {
  const url = () => safeUrl(cur().ctx.externalUrl);
  return {
    query: (q: string) => {
      const { cache, pending } = cur();
      const hit = cache.get(q);
      if (hit) return hit.map((s) => struct({ Labels: s.Labels, Value: s.Value }, '*template.sample')) as unknown as GoValue;
      pending.add(q);
      throw new NeedsQuery(q);
    },
    first: (v: GoValue) => {
      if (Array.isArray(v) && v.length > 0) return v[0];
      throw new Error('first() called on vector with no elements');
    },
    label: (l: string, s: GoValue) => sampleValue(s)?.Labels[l] ?? '',
    value: (s: GoValue) => sampleValue(s)?.Value ?? 0,
    strvalue: (s: GoValue) => sampleValue(s)?.Labels.__value__ ?? '',
    args: Object.assign((...a: GoValue[]) => Object.fromEntries(a.map((x, i) => [`arg${i}`, x])) as GoValue, { goVariadic: true, goArity: 0 }),
    reReplaceAll: (pattern: string, repl: string, text: string) => {
      const re = goRegexp(pattern);
      const parts = parseTemplate(repl);
      return text.replace(re, (...m: unknown[]) => {
        const groups = typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as Record<string, string>) : undefined;
        const caps = m.slice(0, groups ? -3 : -2) as string[];
        const fake = Object.assign(caps, { index: 0, input: text, groups }) as unknown as RegExpExecArray;
        return expandParts(parts, fake);
      });
    },
    safeHtml: (t: string) => t,
    match: (pattern: string, s: string) => goRegexp(pattern).test(s),
    title: (s: string) => title(s),
    toUpper: (s: string) => goCase(s, true),
    toLower: (s: string) => goCase(s, false),
    graphLink: (expr: string) => `/graph?g0.expr=${queryEscape(expr)}&g0.tab=0`,
    tableLink: (expr: string) => `/graph?g0.expr=${queryEscape(expr)}&g0.tab=1`,
    sortByLabel: (label: string, v: GoValue) => {
      if (!Array.isArray(v)) return v;
      return [...v].sort((a, b) => {
        const x = sampleValue(a)?.Labels[label] ?? '';
        const y = sampleValue(b)?.Labels[label] ?? '';
        return x < y ? -1 : x > y ? 1 : 0;
      });
    },
    humanize,
    humanize1024,
    humanizeDuration,
    humanizePercentage: (i: GoValue) => sprintf('%.4g%%', [convertToFloat(i) * 100]),
    humanizeTimestamp: (i: GoValue) => {
      const v = convertToFloat(i);
      if (!Number.isFinite(v)) return g4(v);
      return goTimeString(floatToTimeMs(v));
    },
    toTime: (i: GoValue) => {
      const v = convertToFloat(i);
      return new GoTime(floatToTimeMs(v)) as unknown as GoValue;
    },
    pathPrefix: () => url()?.pathname.replace(/\/$/, '') ?? '',
    externalURL: () => cur().ctx.externalUrl,
    parseDuration: (d: string) => {
      try {
        return parseDurationMs(d) / 1000;
      } catch (e) {
        throw new Error(`not a valid duration string: ${JSON.stringify(d)}`);
      }
    },
    stripPort: (s: string) => stripPort(s),
    stripDomain: (hostPort: string) => {
      const host = stripPort(hostPort);
      const port = hostPort.slice(host.length + (hostPort.startsWith('[') ? 2 : 0));
      if (/^[0-9.]+$/.test(host) || host.includes(':')) return hostPort;
      const dot = host.indexOf('.');
      return dot < 0 ? hostPort : host.slice(0, dot) + port;
    },
  };
}

function safeUrl(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}

function goCase(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += m.length === ch.length ? m : ch;
  }
  return out;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

const FUNCS = funcMap();

/** Parsed templates by name and text: rules expand the same texts every evaluation. */
const parsed = new Map<string, Template | Error>();
const PARSED_MAX = 50_000;

function parseCached(name: string, text: string): Template {
  const key = `${name}\u0000${text}`;
  let t = parsed.get(key);
  if (t === undefined) {
    try {
      t = new Template(name, FUNCS).option('missingkey=zero').parse(ALERT_TEMPLATE_DEFS + text);
    } catch (e) {
      t = e as Error;
    }
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(key, t);
  }
  if (t instanceof Error) throw t;
  return t;
}

/** Prometheus's ParseTest: returns the Go parse error message or undefined. */
export function parseTestTemplate(name: string, text: string): string | undefined {
  try {
    parseCached(name, text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface AlertTemplateData {
  labels: Record<string, string>;
  externalLabels: Record<string, string>;
  externalUrl: string;
  value: number;
}

/**
 * Expands one alert label or annotation text as Prometheus's Expander does; returns the text or
 * throws with "error parsing template ..." / "error executing template ...".
 */
export async function expandAlertTemplate(name: string, text: string, data: AlertTemplateData, ctx: ExpanderContext): Promise<string> {
  const cache = new Map<string, TemplateSample[]>();
  const goData = struct(
    { Labels: data.labels, ExternalLabels: data.externalLabels, ExternalURL: data.externalUrl, Value: data.value },
    'struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }',
  ) as unknown as GoValue;
  // Texts without actions are common (plain summaries) and need no template machinery.
  if (!text.includes('{{')) return text;
  let tmpl: Template;
  const pending = new Set<string>();
  try {
    tmpl = parseCached(name, text);
  } catch (e) {
    throw new Error(`error parsing template ${name}: ${(e as Error).message}`);
  }
  for (let round = 0; round < 20; round++) {
    pending.clear();
    try {
      active = { ctx, cache, pending };
      try {
        return tmpl.execute(goData);
      } finally {
        active = undefined;
      }
    } catch (e) {
      if (pending.size === 0 || !(e instanceof TemplateExecError) || !ctx.query) {
        const msg = (e as Error).message;
        if (pending.size > 0 && !ctx.query) throw new Error(`error executing template ${name}: ${msg.replace(/query .* pending/, 'no query engine')}`);
        throw new Error(`error executing template ${name}: ${msg}`);
      }
      for (const q of pending) {
        try {
          cache.set(q, await ctx.query(q));
        } catch (qe) {
          throw new Error(`error executing template ${name}: template: ${name}: error calling query: ${(qe as Error).message}`);
        }
      }
    }
  }
  throw new Error(`error executing template ${name}: too many nested queries`);
}

export { sprint, htmlEscape };
