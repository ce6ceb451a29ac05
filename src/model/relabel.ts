/**
 * Relabeling exactly as Prometheus 2.42 does it (model/relabel/relabel.go): targets before scraping,
 * samples after scraping (metric_relabel_configs), alerts and remote-write series.
 *
 * Regexes are Go RE2, fully anchored. They are compiled once per config object and cached, because
 * metric_relabel_configs run for every scraped sample.
 */
import { createHash } from 'node:crypto';
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

/**
 * Go's regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; a `$` that starts no valid reference is
 * kept literally; references to groups that did not match or do not exist expand to nothing.
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) break;
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let j = i;
    const brace = template[j] === '{';
    if (brace) j++;
    const nameStart = j;
    while (j < template.length) {
      const cp = template.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      if (!NAME_CHAR.test(ch)) break;
      j += ch.length;
    }
    const name = template.slice(nameStart, j);
    if (name === '' || (brace && template[j] !== '}')) {
      out += '$';
      continue;
    }
    if (brace) j++;
    i = j;
    let num = -1;
    if (/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8) num = Number(name);
    if (num >= 0) {
      if (num < match.length && match[num] !== undefined) out += match[num];
    } else {
      const v = match.groups?.[name];
      if (v !== undefined) out += v;
    }
  }
  return out + template.slice(i);
}

export interface CompiledRelabelConfig {
  readonly config: RelabelConfig;
  readonly regex: RegExp;
}

const compiledCache = new WeakMap<RelabelConfig, CompiledRelabelConfig>();

function compileOne(config: RelabelConfig): CompiledRelabelConfig {
  let c = compiledCache.get(config);
  if (!c) {
    c = { config, regex: compileAnchoredRe2(config.regex) };
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

function hashMod(val: string, modulus: number): string {
  const sum = createHash('md5').update(val, 'utf8').digest();
  // Prometheus's sum64 shifts all 16 bytes into a uint64, so only the last 8 survive, big-endian.
  const h = sum.readBigUInt64BE(8);
  return (h % BigInt(modulus)).toString();
}

function relabelStep(lset: Labels, { config: cfg, regex }: CompiledRelabelConfig): Labels | undefined {
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
      const lb = new Builder(lset);
      const target = expandTemplate(cfg.targetLabel, m);
      // 2.42 deletes the unexpanded target_label in both of these cases, not the expanded one.
      if (!isValidLabelName(target)) {
        lb.del(cfg.targetLabel);
        return lb.labels();
      }
      const res = expandTemplate(cfg.replacement, m);
      if (res === '') {
        lb.del(cfg.targetLabel);
        return lb.labels();
      }
      lb.set(target, res);
      return lb.labels();
    }
    case 'lowercase': {
      const lb = new Builder(lset);
      lb.set(cfg.targetLabel, goCase(val, false));
      return lb.labels();
    }
    case 'uppercase': {
      const lb = new Builder(lset);
      lb.set(cfg.targetLabel, goCase(val, true));
      return lb.labels();
    }
    case 'hashmod': {
      const lb = new Builder(lset);
      lb.set(cfg.targetLabel, hashMod(val, cfg.modulus));
      return lb.labels();
    }
    case 'labelmap': {
      const lb = new Builder(lset);
      for (const l of lset) {
        const m = regex.exec(l.name);
        if (m) lb.set(expandTemplate(cfg.replacement, m), l.value);
      }
      return lb.labels();
    }
    case 'labeldrop': {
      const lb = new Builder(lset);
      for (const l of lset) if (regex.test(l.name)) lb.del(l.name);
      return lb.labels();
    }
    case 'labelkeep': {
      const lb = new Builder(lset);
      for (const l of lset) if (!regex.test(l.name)) lb.del(l.name);
      return lb.labels();
    }
  }
}
