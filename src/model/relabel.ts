/**
 * Relabeling exactly as Prometheus 2.42 does it (model/relabel/relabel.go): targets before scraping,
 * samples after scraping (metric_relabel_configs), alerts and remote-write series.
 *
 * Regexes are Go RE2, fully anchored. They are compiled once per config object and cached, because
 * metric_relabel_configs run for every scraped sample.
 */
import type { RelabelConfig } from '../config/types.js';
import { isValidLabelName, type Label, type Labels } from './labels.js';

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export class Re2SyntaxError extends Error {
  constructor(message: string) {
    super(`error parsing regexp: ${message}`);
    this.name = 'Re2SyntaxError';
  }
}

function escapeLiteral(s: string, fold: boolean): string {
  let out = '';
  for (const ch of s) out += fold ? foldChar(ch) : ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  return out;
}

/** A literal character under (?i): both cases in a class, as RE2's case folding does for ASCII and most letters. */
function foldChar(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  const esc = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  if (lo === up || lo.length !== 1 || up.length !== 1) return esc(ch);
  return `[${esc(lo)}${esc(up)}]`;
}

interface Flags {
  i: boolean;
  s: boolean;
  m: boolean;
}

/** Applies an RE2 flag string like `i`, `is`, `-s`, `i-m` to a copy of the flags. */
function applyFlags(base: Flags, spec: string): Flags {
  const f = { ...base };
  let on = true;
  for (const c of spec) {
    if (c === '-') on = false;
    else if (c === 'i' || c === 's' || c === 'm') f[c] = on;
    else if (c === 'U') throw new Re2SyntaxError('ungreedy flag (?U) is not supported by Sextant');
    else throw new Re2SyntaxError(`invalid or unsupported Perl syntax: \`(?${spec}\``);
  }
  return f;
}

/**
 * Translates RE2 syntax into an equivalent JavaScript pattern (used without RegExp flags). Flag groups
 * anywhere in the pattern ((?i), (?s), (?m), (?i:...)) are expanded inline because Node 20's RegExp has no
 * inline modifiers. Throws Re2SyntaxError for what RE2 would reject.
 */
export function translateRe2(pattern: string): string {
  const p = pattern;
  let out = '';
  let flags: Flags = { i: false, s: false, m: false };
  // Flags to restore when each open group closes.
  const stack: Flags[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new Re2SyntaxError('trailing backslash at end of expression: ``');
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += escapeLiteral(lit, flags.i);
        i = end < 0 ? p.length : end + 1;
        continue;
      }
      if (/[1-9]/.test(n)) throw new Re2SyntaxError(`invalid escape sequence: \`\\${n}\``);
      i++;
      if (n === 'z') out += '(?![\\s\\S])';
      else if (n === 'A') out += '(?<![\\s\\S])';
      else out += c + n;
      continue;
    }
    if (c === '[') {
      const { text, next } = translateClass(p, i, flags.i);
      out += text;
      i = next - 1;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] !== '?') {
        stack.push(flags);
        out += '(';
        continue;
      }
      const rest = p.slice(i + 2);
      if (rest.startsWith('P<')) {
        stack.push(flags);
        out += '(?<';
        i += 3;
        continue;
      }
      const fm = /^([a-zA-Z-]*)([:)])/.exec(rest);
      if (!fm || (fm[1] === '' && fm[2] === ')')) {
        throw new Re2SyntaxError(`invalid or unsupported Perl syntax: \`(?${rest.slice(0, 1)}\``);
      }
      const next = fm[1] === '' ? flags : applyFlags(flags, fm[1]);
      i += 1 + fm[0].length;
      if (fm[2] === ':') {
        stack.push(flags);
        flags = next;
        out += '(?:';
      } else {
        // (?flags) lasts until the enclosing group closes.
        flags = next;
      }
      continue;
    }
    if (c === ')') {
      if (stack.length === 0) throw new Re2SyntaxError(`unexpected ): \`${pattern}\``);
      flags = stack.pop()!;
      out += ')';
      continue;
    }
    if (c === '.') {
      out += flags.s ? '[\\s\\S]' : '.';
      continue;
    }
    if (c === '^') {
      out += flags.m ? '(?<=^|\\n)' : '^';
      continue;
    }
    if (c === '$') {
      out += flags.m ? '(?=\\n|$)' : '$';
      continue;
    }
    out += flags.i && /\p{L}/u.test(c) ? foldChar(c) : c;
  }
  if (stack.length > 0) throw new Re2SyntaxError(`missing closing ): \`${pattern}\``);
  return out;
}

/** Translates one bracket expression starting at p[start] === '['. */
function translateClass(p: string, start: number, fold: boolean): { text: string; next: number } {
  let i = start + 1;
  let out = '[';
  if (p[i] === '^') {
    out += '^';
    i++;
  }
  // A `]` right after `[` or `[^` is a literal in RE2.
  let first = true;
  const extra: string[] = [];
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === ']' && !first) {
      return { text: out + extra.join('') + ']', next: i + 1 };
    }
    first = false;
    if (c === '[' && p[i + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
      if (m && POSIX_CLASSES[m[2]] !== undefined) {
        if (m[1]) throw new Re2SyntaxError('negated POSIX classes are not supported by Sextant');
        out += POSIX_CLASSES[m[2]];
        i += m[0].length - 1;
        continue;
      }
    }
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) break;
      out += c + n;
      i++;
      continue;
    }
    if (c === '[' || c === ']') {
      out += '\\' + c;
      continue;
    }
    if (fold && /[a-zA-Z]/.test(c)) {
      // A letter range a-z also admits A-Z under (?i); a single letter admits its other case.
      if (p[i + 1] === '-' && p[i + 2] !== undefined && p[i + 2] !== ']' && /[a-zA-Z]/.test(p[i + 2])) {
        const lo = c;
        const hi = p[i + 2];
        out += `${lo}-${hi}`;
        const sw = (x: string): string => (x === x.toLowerCase() ? x.toUpperCase() : x.toLowerCase());
        extra.push(`${sw(lo)}-${sw(hi)}`);
        i += 2;
        continue;
      }
      out += c;
      extra.push(c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());
      continue;
    }
    out += c;
  }
  throw new Re2SyntaxError(`missing closing ]: \`${p.slice(start)}\``);
}

/** Compiles a Prometheus relabel regex: fully anchored, RE2 semantics. Throws Re2SyntaxError. */
export function compileAnchoredRe2(pattern: string): RegExp {
  const source = translateRe2(pattern);
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (e) {
    throw new Re2SyntaxError(`${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** A template split into literal text and group references (number, or name when num is -1). */
export type TemplatePart = string | { num: number; name: string };

/** The length of the name character at j (0 if none), per Go's unicode.IsLetter/IsDigit or '_'. */
function isNameChar(template: string, j: number): number {
  if (j >= template.length) return 0;
  const c = template.charCodeAt(j);
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) return 1;
  if (c < 128) return 0;
  const ch = String.fromCodePoint(template.codePointAt(j)!);
  return NAME_CHAR.test(ch) ? ch.length : 0;
}

/**
 * Parses a template as Go's regexp.Expand reads it: `$1`, `${1}`, `$name`, `${name}`, `$$`; a `$` that
 * starts no valid reference is kept literally.
 */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    lit += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      lit += '$';
      i++;
      continue;
    }
    let j = i;
    const brace = template[j] === '{';
    if (brace) j++;
    const nameStart = j;
    for (let w = isNameChar(template, j); w > 0; w = isNameChar(template, j)) j += w;
    const name = template.slice(nameStart, j);
    if (name === '' || (brace && template[j] !== '}')) {
      lit += '$';
      continue;
    }
    if (brace) j++;
    i = j;
    let num = -1;
    // Go: all digits, no leading zero, below 1e8; anything else is looked up as a name.
    if (/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8) num = Number(name);
    if (lit !== '') parts.push(lit);
    lit = '';
    parts.push({ num, name });
  }
  lit += template.slice(i);
  if (lit !== '') parts.push(lit);
  return parts;
}

/** Fills a parsed template from a match; references to groups that did not match or do not exist give nothing. */
export function expandParts(parts: readonly TemplatePart[], match: RegExpExecArray): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.num >= 0) out += (p.num < match.length ? match[p.num] : undefined) ?? '';
    else out += match.groups?.[p.name] ?? '';
  }
  return out;
}

/** Go's regexp.Expand of a template against a match. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  return expandParts(parseTemplate(template), match);
}

export interface CompiledRelabelConfig {
  readonly config: RelabelConfig;
  readonly regex: RegExp;
  readonly targetLabel: readonly TemplatePart[];
  readonly replacement: readonly TemplatePart[];
}

const compiledCache = new WeakMap<RelabelConfig, CompiledRelabelConfig>();

function compileOne(config: RelabelConfig): CompiledRelabelConfig {
  let c = compiledCache.get(config);
  if (!c) {
    c = {
      config,
      regex: compileAnchoredRe2(config.regex),
      targetLabel: parseTemplate(config.targetLabel),
      replacement: parseTemplate(config.replacement),
    };
    compiledCache.set(config, c);
  }
  return c;
}

/** Compiles the regexes up front (throws Re2SyntaxError on a bad one), for callers that relabel hot paths. */
export function compileRelabelConfigs(configs: readonly RelabelConfig[]): CompiledRelabelConfig[] {
  return configs.map(compileOne);
}

function isCompiled(c: RelabelConfig | CompiledRelabelConfig): c is CompiledRelabelConfig {
  return (c as CompiledRelabelConfig).regex instanceof RegExp;
}

/**
 * Applies the configs in order. Returns the new label set (sorted; the input itself when nothing changed)
 * or undefined when a keep/drop/keepequal/dropequal step dropped it.
 */
export function relabel(
  labels: Labels,
  configs: readonly RelabelConfig[] | readonly CompiledRelabelConfig[],
): Labels | undefined {
  let lset: Labels = labels;
  for (const c of configs) {
    const compiled = isCompiled(c) ? c : compileOne(c);
    const next = relabelStep(lset, compiled);
    if (next === undefined) return undefined;
    lset = next;
  }
  return lset;
}

function get(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

/** Mirrors labels.Builder: Set with an empty value deletes, result comes out sorted. */
class Builder {
  private readonly map = new Map<string, string>();
  private changed = false;
  constructor(private readonly base: Labels) {
    for (const l of base) this.map.set(l.name, l.value);
  }
  set(name: string, value: string): void {
    if (value === '') return this.del(name);
    if (this.map.get(name) === value) return;
    this.map.set(name, value);
    this.changed = true;
  }
  del(name: string): void {
    if (this.map.delete(name)) this.changed = true;
  }
  labels(): Labels {
    if (!this.changed) return this.base;
    const out: Label[] = [];
    for (const [name, value] of this.map) out.push({ name, value });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/**
 * Go's strings.ToUpper/ToLower map rune by rune; JavaScript may expand one character into several
 * ('ß' -> 'SS'), which Go never does, so such characters are left as they are.
 */
function goCase(s: string, upper: boolean): string {
  const whole = upper ? s.toUpperCase() : s.toLowerCase();
  if (whole.length === s.length) return whole;
  let out = '';
  for (const ch of s) {
    const m = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += m.length === ch.length ? m : ch;
  }
  return out;
}

// MD5 (RFC 1321) in plain JavaScript: node:crypto's createHash costs microseconds per call, which matters
// when hashmod runs per sample in metric_relabel_configs. Checked against node:crypto in the tests.
const MD5_S = Int32Array.of(7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21);
const MD5_K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const encoder = new TextEncoder();

let md5Words = new Uint32Array(64);

/** The 16-byte MD5 digest of the UTF-8 bytes of s. */
export function md5(s: string): Uint8Array {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) {
      ascii = false;
      break;
    }
  }
  const bytes = ascii ? undefined : encoder.encode(s);
  const n = bytes ? bytes.length : s.length;
  const blocks = ((n + 8) >>> 6) + 1;
  if (md5Words.length < blocks * 16) md5Words = new Uint32Array(blocks * 32);
  const words = md5Words;
  words.fill(0, 0, blocks * 16);
  if (bytes) for (let i = 0; i < n; i++) words[i >>> 2] |= bytes[i] << ((i & 3) * 8);
  else for (let i = 0; i < n; i++) words[i >>> 2] |= s.charCodeAt(i) << ((i & 3) * 8);
  words[n >>> 2] |= 0x80 << ((n & 3) * 8);
  const bits = n * 8;
  words[blocks * 16 - 2] = bits >>> 0;
  words[blocks * 16 - 1] = Math.floor(bits / 2 ** 32) >>> 0;
  let a0 = 0x67452301;
  let b0 = 0xefcdab89;
  let c0 = 0x98badcfe;
  let d0 = 0x10325476;
  for (let off = 0; off < blocks * 16; off += 16) {
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = d;
      d = c;
      c = b;
      const x = (a + f + MD5_K[i] + words[off + g]) | 0;
      b = (b + ((x << MD5_S[i]) | (x >>> (32 - MD5_S[i])))) | 0;
      a = t;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint32(0, a0 >>> 0, true);
  v.setUint32(4, b0 >>> 0, true);
  v.setUint32(8, c0 >>> 0, true);
  v.setUint32(12, d0 >>> 0, true);
  return out;
}

function hashMod(val: string, modulus: number): string {
  const sum = md5(val);
  // Prometheus's sum64 shifts all 16 bytes into a uint64, so only the last 8 survive, big-endian.
  const hi = ((sum[8] << 24) | (sum[9] << 16) | (sum[10] << 8) | sum[11]) >>> 0;
  const lo = ((sum[12] << 24) | (sum[13] << 16) | (sum[14] << 8) | sum[15]) >>> 0;
  if (modulus <= 0x200000) {
    // (hi * 2^32 + lo) mod m without BigInt, exact while hi%m * 2^32 stays below 2^53.
    return (((hi % modulus) * 4294967296 + lo) % modulus).toString();
  }
  return (((BigInt(hi) << 32n) | BigInt(lo)) % BigInt(modulus)).toString();
}

/** The sorted label set with one label set to a value (an empty value removes it), as labels.Builder does. */
function withLabel(lset: Labels, name: string, value: string): Labels {
  let i = 0;
  while (i < lset.length && lset[i].name < name) i++;
  const exists = i < lset.length && lset[i].name === name;
  if (value === '') {
    if (!exists) return lset;
    return [...lset.slice(0, i), ...lset.slice(i + 1)];
  }
  if (exists && lset[i].value === value) return lset;
  const out = lset.slice(0, i);
  out.push({ name, value });
  for (let j = exists ? i + 1 : i; j < lset.length; j++) out.push(lset[j]);
  return out;
}

/** Keeps the labels whose names match (or do not match) the regex; the input itself if none go. */
function filterNames(lset: Labels, regex: RegExp, keepMatching: boolean): Labels {
  let out: Label[] | undefined;
  for (let i = 0; i < lset.length; i++) {
    const l = lset[i];
    if (regex.test(l.name) === keepMatching) {
      if (out) out.push(l);
    } else if (!out) {
      out = lset.slice(0, i);
    }
  }
  return out ?? lset;
}

function relabelStep(lset: Labels, compiled: CompiledRelabelConfig): Labels | undefined {
  const { config: cfg, regex } = compiled;
  let val: string;
  if (cfg.sourceLabels.length === 1) val = get(lset, cfg.sourceLabels[0]);
  else val = cfg.sourceLabels.map((n) => get(lset, n)).join(cfg.separator);

  switch (cfg.action) {
    case 'drop':
      return regex.test(val) ? undefined : lset;
    case 'keep':
      return regex.test(val) ? lset : undefined;
    case 'dropequal':
      return get(lset, cfg.targetLabel) === val ? undefined : lset;
    case 'keepequal':
      return get(lset, cfg.targetLabel) !== val ? undefined : lset;
    case 'replace': {
      const m = regex.exec(val);
      if (!m) return lset;
      const target = expandParts(compiled.targetLabel, m);
      // 2.42 deletes the unexpanded target_label in both of these cases, not the expanded one.
      if (!isValidLabelName(target)) return withLabel(lset, cfg.targetLabel, '');
      const res = expandParts(compiled.replacement, m);
      if (res === '') return withLabel(lset, cfg.targetLabel, '');
      return withLabel(lset, target, res);
    }
    case 'lowercase':
      return withLabel(lset, cfg.targetLabel, goCase(val, false));
    case 'uppercase':
      return withLabel(lset, cfg.targetLabel, goCase(val, true));
    case 'hashmod':
      return withLabel(lset, cfg.targetLabel, hashMod(val, cfg.modulus));
    case 'labelmap': {
      // Every mapping sees the labels as they were before this step, so collect first, then apply.
      const lb = new Builder(lset);
      for (const l of lset) {
        const m = regex.exec(l.name);
        if (m) lb.set(expandParts(compiled.replacement, m), l.value);
      }
      return lb.labels();
    }
    case 'labeldrop':
      return filterNames(lset, regex, false);
    case 'labelkeep':
      return filterNames(lset, regex, true);
  }
}
