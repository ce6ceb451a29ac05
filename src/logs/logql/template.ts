/**
 * line_format / label_format templates: Go text/template (src/lib/gotemplate) with Loki's function map
 * (strings, sprig-style helpers, math, regex, base64, URL and time helpers, __line__ and __timestamp__).
 */
import { Template, arity, variadic, type FuncMap, type GoValue } from '../../lib/gotemplate/index.js';
import { parseBytes, parseGoDuration } from './units.js';

/** The per-line context a template sees besides the labels. */
export interface TemplateLine {
  line: string;
  tsNs: bigint;
}

const str = (v: GoValue): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v));
const num = (v: GoValue): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = Number(str(v));
  return Number.isNaN(n) ? 0 : n;
};
const int = (v: GoValue): bigint => {
  const n = num(v);
  return BigInt(Math.trunc(Number.isFinite(n) ? n : 0));
};

function trimCutset(s: string, cutset: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && cutset.includes(s[a])) a++;
  if (right) while (b > a && cutset.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

function goRegex(pattern: string): RegExp {
  let flags = 'gs';
  let body = pattern.replace(/\(\?P</g, '(?<');
  const lead = /^\(\?([ims]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('m')) flags += 'm';
    body = body.slice(lead[0].length);
  }
  return new RegExp(body, flags);
}

/** Go's regexp.Expand template syntax ($1, ${name}) → JavaScript's replacement syntax. */
function goReplacement(repl: string): string {
  return repl.replace(/\$\$/g, '\u0000').replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = a ?? b!;
    return /^[0-9]+$/.test(name) ? `$${name}` : `$<${name}>`;
  }).replace(/\u0000/g, '$$$$');
}

interface TimeValue {
  [k: string]: GoValue;
}

function timeValue(ms: number, ns: bigint): TimeValue {
  return {
    String: () => new Date(ms).toISOString(),
    Unix: () => BigInt(Math.floor(ms / 1000)),
    UnixMilli: () => BigInt(Math.floor(ms)),
    UnixNano: () => ns,
    __ns: ns,
  };
}

function timeNs(t: GoValue): bigint {
  if (t && typeof t === 'object' && !Array.isArray(t) && !(t instanceof Map) && '__ns' in t) return (t as TimeValue).__ns as bigint;
  return 0n;
}

function lokiFuncs(ctx: TemplateLine): FuncMap {
  return {
    __line__: arity(0, () => ctx.line),
    __timestamp__: arity(0, () => timeValue(Number(ctx.tsNs / 1000000n), ctx.tsNs)),
    ToLower: (s: GoValue) => str(s).toLowerCase(),
    ToUpper: (s: GoValue) => str(s).toUpperCase(),
    Replace: (s: GoValue, old: GoValue, nw: GoValue, n: GoValue) => {
      let count = num(n);
      const o = str(old);
      let src = str(s);
      if (count < 0) return src.split(o).join(str(nw));
      let out = '';
      while (count-- > 0) {
        const i = src.indexOf(o);
        if (i < 0) break;
        out += src.slice(0, i) + str(nw);
        src = src.slice(i + Math.max(o.length, 1));
      }
      return out + src;
    },
    Trim: (s: GoValue, cut: GoValue) => trimCutset(str(s), str(cut), true, true),
    TrimLeft: (s: GoValue, cut: GoValue) => trimCutset(str(s), str(cut), true, false),
    TrimRight: (s: GoValue, cut: GoValue) => trimCutset(str(s), str(cut), false, true),
    TrimPrefix: (s: GoValue, p: GoValue) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
    TrimSuffix: (s: GoValue, p: GoValue) => (str(p) !== '' && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
    TrimSpace: (s: GoValue) => str(s).trim(),
    lower: (s: GoValue) => str(s).toLowerCase(),
    upper: (s: GoValue) => str(s).toUpperCase(),
    title: (s: GoValue) => str(s).replace(/\b\w/g, (c) => c.toUpperCase()),
    trim: (s: GoValue) => str(s).trim(),
    trimAll: (cut: GoValue, s: GoValue) => trimCutset(str(s), str(cut), true, true),
    trimPrefix: (p: GoValue, s: GoValue) => (str(s).startsWith(str(p)) ? str(s).slice(str(p).length) : str(s)),
    trimSuffix: (p: GoValue, s: GoValue) => (str(p) !== '' && str(s).endsWith(str(p)) ? str(s).slice(0, -str(p).length) : str(s)),
    trunc: (n: GoValue, s: GoValue) => {
      const c = num(n);
      const t = str(s);
      return c >= 0 ? t.slice(0, c) : t.slice(Math.max(0, t.length + c));
    },
    substr: (a: GoValue, b: GoValue, s: GoValue) => {
      const t = str(s);
      const start = num(a);
      const end = num(b);
      if (start < 0) return t.slice(0, end);
      if (end < 0 || end > t.length) return t.slice(start);
      return t.slice(start, end);
    },
    contains: (sub: GoValue, s: GoValue) => str(s).includes(str(sub)),
    hasPrefix: (p: GoValue, s: GoValue) => str(s).startsWith(str(p)),
    hasSuffix: (p: GoValue, s: GoValue) => str(s).endsWith(str(p)),
    replace: (old: GoValue, nw: GoValue, s: GoValue) => str(s).split(str(old)).join(str(nw)),
    repeat: (n: GoValue, s: GoValue) => str(s).repeat(Math.max(0, num(n))),
    indent: (n: GoValue, s: GoValue) => {
      const pad = ' '.repeat(num(n));
      return pad + str(s).replace(/\n/g, '\n' + pad);
    },
    nindent: (n: GoValue, s: GoValue) => {
      const pad = ' '.repeat(num(n));
      return '\n' + pad + str(s).replace(/\n/g, '\n' + pad);
    },
    alignLeft: (n: GoValue, s: GoValue) => {
      const c = num(n);
      const t = str(s);
      return t.length >= c ? t.slice(0, c) : t + ' '.repeat(c - t.length);
    },
    alignRight: (n: GoValue, s: GoValue) => {
      const c = num(n);
      const t = str(s);
      return t.length >= c ? t.slice(t.length - c) : ' '.repeat(c - t.length) + t;
    },
    regexReplaceAll: (re: GoValue, s: GoValue, repl: GoValue) => str(s).replace(goRegex(str(re)), goReplacement(str(repl))),
    regexReplaceAllLiteral: (re: GoValue, s: GoValue, repl: GoValue) => str(s).replace(goRegex(str(re)), () => str(repl)),
    count: (re: GoValue, s: GoValue) => BigInt((str(s).match(goRegex(str(re))) ?? []).length),
    default: (def: GoValue, given?: GoValue) => {
      const empty = given === undefined || given === null || given === '' || given === 0 || given === 0n || given === false;
      return empty ? def : given;
    },
    int: (v: GoValue) => int(v),
    float64: (v: GoValue) => num(v),
    add: variadic((...a: GoValue[]) => a.reduce<bigint>((x, y) => x + int(y), 0n)),
    sub: (a: GoValue, b: GoValue) => int(a) - int(b),
    mul: variadic((...a: GoValue[]) => a.reduce<bigint>((x, y) => x * int(y), 1n)),
    div: (a: GoValue, b: GoValue) => {
      const d = int(b);
      if (d === 0n) throw new Error('runtime error: integer divide by zero');
      return int(a) / d;
    },
    mod: (a: GoValue, b: GoValue) => {
      const d = int(b);
      if (d === 0n) throw new Error('runtime error: integer divide by zero');
      return int(a) % d;
    },
    addf: variadic((...a: GoValue[]) => a.reduce<number>((x, y) => x + num(y), 0)),
    subf: variadic((first: GoValue, ...a: GoValue[]) => a.reduce<number>((x, y) => x - num(y), num(first))),
    mulf: variadic((...a: GoValue[]) => a.reduce<number>((x, y) => x * num(y), 1)),
    divf: variadic((first: GoValue, ...a: GoValue[]) => a.reduce<number>((x, y) => x / num(y), num(first))),
    max: variadic((first: GoValue, ...a: GoValue[]) => a.reduce<bigint>((x, y) => (int(y) > x ? int(y) : x), int(first))),
    min: variadic((first: GoValue, ...a: GoValue[]) => a.reduce<bigint>((x, y) => (int(y) < x ? int(y) : x), int(first))),
    maxf: variadic((first: GoValue, ...a: GoValue[]) => Math.max(num(first), ...a.map(num))),
    minf: variadic((first: GoValue, ...a: GoValue[]) => Math.min(num(first), ...a.map(num))),
    ceil: (v: GoValue) => Math.ceil(num(v)),
    floor: (v: GoValue) => Math.floor(num(v)),
    round: variadic((v: GoValue, p?: GoValue) => {
      const f = 10 ** num(p ?? 0n);
      return Math.round(num(v) * f) / f;
    }),
    b64enc: (s: GoValue) => Buffer.from(str(s)).toString('base64'),
    b64dec: (s: GoValue) => Buffer.from(str(s), 'base64').toString('utf8'),
    urlencode: (s: GoValue) => encodeURIComponent(str(s)),
    urldecode: (s: GoValue) => decodeURIComponent(str(s)),
    bytes: (s: GoValue) => parseBytes(str(s)) ?? 0,
    duration: (s: GoValue) => (parseGoDuration(str(s)) ?? 0) / 1e9,
    duration_seconds: (s: GoValue) => (parseGoDuration(str(s)) ?? 0) / 1e9,
    fromJson: (s: GoValue) => JSON.parse(str(s)) as GoValue,
    unixEpoch: (t: GoValue) => timeNs(t) / 1000000000n,
    unixEpochMillis: (t: GoValue) => timeNs(t) / 1000000n,
    unixEpochNanos: (t: GoValue) => timeNs(t),
    unixToTime: (s: GoValue) => {
      const digits = str(s);
      const n = BigInt(digits);
      // Loki picks the unit from the number of digits: seconds, ms, µs or ns.
      const ns = digits.length <= 10 ? n * 1000000000n : digits.length <= 13 ? n * 1000000n : digits.length <= 16 ? n * 1000n : n;
      return timeValue(Number(ns / 1000000n), ns);
    },
    now: arity(0, () => timeValue(Date.now(), BigInt(Date.now()) * 1000000n)),
  };
}

/**
 * A compiled line_format / label_format template. Compiled once per query; the per-line context (the line
 * and timestamp for __line__/__timestamp__) is swapped in before each execution.
 */
export class LineTemplate {
  private readonly ctx: TemplateLine = { line: '', tsNs: 0n };
  private readonly t: Template;
  /** Templates without actions are constants: no execution needed. */
  readonly constant: string | undefined;

  constructor(text: string) {
    this.t = new Template('line').addFuncs(lokiFuncs(this.ctx)).option('missingkey=zero').parse(text);
    this.constant = text.includes('{{') ? undefined : text;
  }

  execute(labels: Map<string, string>, line: string, tsNs: bigint): string {
    if (this.constant !== undefined) return this.constant;
    this.ctx.line = line;
    this.ctx.tsNs = tsNs;
    return this.t.execute(new MissingAsEmpty(labels));
  }
}

/** Loki passes a map[string]string: a missing key reads as the empty string. */
class MissingAsEmpty extends Map<string, GoValue> {
  constructor(labels: Map<string, string>) {
    super(labels);
  }

  override get(k: string): GoValue {
    return super.has(k) ? super.get(k) : '';
  }

  override has(): boolean {
    return true;
  }
}
