/**
 * Go's fmt for the value model of value.ts: Sprintf with verbs, flags, width and precision, Sprint and
 * Sprintln, and strconv's float formatting (%e %f %g, shortest and fixed precision, round-half-even on
 * exact ties) so numbers in rendered alerts read exactly as Prometheus and Alertmanager print them.
 */
import { goTypeName, isMapLike, isStruct, mapGet, mapKeys, type GoValue } from './value.js';

// ---- strconv float formatting ----

interface Digits {
  d: string; // significant digits, no leading zeros ('' for zero)
  dp: number; // decimal point position: value = 0.d × 10^dp
}

function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const [m, e] = x.toExponential().split('e');
  return { d: m.replace('.', ''), dp: Number(e) + 1 };
}

/** nd significant digits, rounded half-even on exact ties as Go does (JS rounds ties up). */
function precDigits(x: number, nd: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  if (nd > 100) nd = 100;
  const [m, e] = x.toExponential(nd - 1).split('e');
  let d = m.replace('.', '');
  let dp = Number(e) + 1;
  if (nd < 100) {
    const [lm, le] = x.toExponential(Math.min(100, nd + 30)).split('e');
    const long = lm.replace('.', '');
    if (Number(le) + 1 === dp || true) {
      const tail = long.slice(nd);
      if (/^50*$/.test(tail)) {
        const last = Number(long[nd - 1]);
        if (last % 2 === 0) {
          d = long.slice(0, nd);
          dp = Number(le) + 1;
        }
      }
    }
  }
  return { d: d.replace(/0+$/, ''), dp };
}

/** Digits rounded to `frac` places after the decimal point (for %f). */
function fixedDigits(x: number, frac: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  if (x >= 1e21) {
    const s = BigInt(x).toString();
    return { d: s.replace(/0+$/, ''), dp: s.length };
  }
  const f = Math.min(frac, 100);
  let s = x.toFixed(f);
  if (f < 100) {
    const long = x.toFixed(Math.min(100, f + 30));
    const cut = long.indexOf('.') + 1 + f - (f === 0 ? 1 : 0);
    const head = f === 0 ? long.slice(0, long.indexOf('.')) : long.slice(0, cut);
    const tail = long.slice(f === 0 ? long.indexOf('.') + 1 : cut);
    if (/^50*$/.test(tail)) {
      const lastCh = head[head.length - 1];
      if (Number(lastCh) % 2 === 0) s = head;
    }
  }
  const [ip, fp = ''] = s.split('.');
  const all = (ip === '0' ? '' : ip) + fp;
  const lead = all.match(/^0*/)?.[0].length ?? 0;
  const d = all.slice(lead).replace(/0+$/, '');
  const dp = (ip === '0' ? 0 : ip.length) - lead;
  return { d, dp: d === '' ? 0 : dp };
}

function digitAt(d: Digits, i: number): string {
  return i >= 0 && i < d.d.length ? d.d[i] : '0';
}

function fmtE(d: Digits, prec: number, upper: boolean): string {
  let s = d.d === '' ? '0' : d.d[0];
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(d, i);
  }
  const exp = d.d === '' ? 0 : d.dp - 1;
  const ae = Math.abs(exp);
  return s + (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + String(ae);
}

function fmtF(d: Digits, prec: number): string {
  let s = '';
  if (d.dp > 0) {
    for (let i = 0; i < d.dp; i++) s += digitAt(d, i);
  } else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(d, d.dp + i);
  }
  return s;
}

/** strconv.FormatFloat(x, fmt, prec, 64). */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const shortest = prec < 0;
  let body: string;
  switch (fmt) {
    case 'e':
    case 'E': {
      const d = shortest ? shortestDigits(a) : precDigits(a, prec + 1);
      body = fmtE(d, shortest ? Math.max(d.d.length - 1, 0) : prec, fmt === 'E');
      break;
    }
    case 'f':
    case 'F': {
      const d = shortest ? shortestDigits(a) : fixedDigits(a, prec);
      body = fmtF(d, shortest ? Math.max(d.d.length - d.dp, 0) : prec);
      break;
    }
    default: {
      let p = prec;
      if (p === 0) p = 1;
      const d = shortest ? shortestDigits(a) : precDigits(a, p);
      if (shortest) p = d.d.length === 0 ? 1 : d.d.length;
      let eprec = p;
      const nd = d.d.length === 0 ? 1 : d.d.length;
      const dpv = d.d.length === 0 ? 1 : d.dp;
      if (eprec > nd && nd >= dpv) eprec = nd;
      if (shortest) eprec = 6;
      const exp = dpv - 1;
      if (exp < -4 || exp >= eprec) {
        if (p > nd) p = nd;
        body = fmtE(d, p - 1, fmt === 'G');
      } else {
        if (p > dpv) p = nd;
        body = fmtF(d, Math.max(p - dpv, 0));
      }
    }
  }
  return (neg ? '-' : '') + body;
}

// ---- Go string quoting ----

export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if (asciiOnly && c > 0x7e) out += c > 0xffff ? '\\U' + c.toString(16).padStart(8, '0') : '\\u' + c.toString(16).padStart(4, '0');
    else if (c >= 0x80 && !isPrintRune(c)) out += c > 0xffff ? '\\U' + c.toString(16).padStart(8, '0') : '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function isPrintRune(c: number): boolean {
  return !/[\p{C}\p{Zl}\p{Zp}]/u.test(String.fromCodePoint(c)) || c === 0x20;
}

// ---- printing values ----

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  prec?: number;
}

const NO_FLAGS: Flags = { plus: false, minus: false, sharp: false, zero: false, space: false };

function hasStringer(v: GoValue): v is { String: () => string } & object {
  return typeof v === 'object' && v !== null && typeof (v as { String?: unknown }).String === 'function';
}

/** fmt's %v of a value (plain, or %+v / %#v approximated as plain). */
export function formatValue(v: GoValue, depth = 0): string {
  if (v === undefined) return '<nil>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatFloat(v, 'g', -1);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'function':
      return '0x1';
  }
  if (v instanceof Error) return v.message;
  if (hasStringer(v)) return String((v as { String: () => string }).String());
  if (Array.isArray(v)) return '[' + v.map((x) => formatValue(x, depth + 1)).join(' ') + ']';
  if (isStruct(v)) {
    const o = v as Record<string, GoValue>;
    return '{' + Object.keys(o).filter((k) => typeof o[k] !== 'function').map((k) => formatValue(o[k], depth + 1)).join(' ') + '}';
  }
  if (isMapLike(v)) {
    return 'map[' + mapKeys(v).map((k) => `${k}:${formatValue(mapGet(v, k), depth + 1)}`).join(' ') + ']';
  }
  return String(v);
}

function pad(s: string, f: Flags, zeroOk = true): string {
  const w = f.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  const n = w - len;
  if (f.minus) return s + ' '.repeat(n);
  if (f.zero && zeroOk) {
    const sign = s[0] === '-' || s[0] === '+' || s[0] === ' ' ? s[0] : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function badVerb(verb: string, v: GoValue): string {
  if (v === undefined || v === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function signed(s: string, neg: boolean, f: Flags): string {
  if (neg) return '-' + s;
  if (f.plus) return '+' + s;
  if (f.space) return ' ' + s;
  return s;
}

function fmtInteger(n: bigint, verb: string, f: Flags): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  let s: string;
  switch (verb) {
    case 'd':
    case 'v':
      s = a.toString(10);
      break;
    case 'x':
      s = a.toString(16);
      if (f.sharp) s = '0x' + s;
      break;
    case 'X':
      s = a.toString(16).toUpperCase();
      if (f.sharp) s = '0X' + s;
      break;
    case 'o':
      s = a.toString(8);
      if (f.sharp) s = '0' + s;
      break;
    case 'O':
      s = '0o' + a.toString(8);
      break;
    case 'b':
      s = a.toString(2);
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(n)), f);
    case 'q':
      return pad("'" + String.fromCodePoint(Number(n)) + "'", f);
    case 'U':
      return pad('U+' + a.toString(16).toUpperCase().padStart(4, '0'), f);
    default:
      return badVerb(verb, n);
  }
  if (f.prec !== undefined) {
    s = s.padStart(f.prec, '0');
    return pad(signed(s, neg, f), f, false);
  }
  return pad(signed(s, neg, f), f);
}

function fmtFloatVerb(x: number, verb: string, f: Flags): string {
  let s: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      s = formatFloat(x, verb === 'G' ? 'G' : 'g', f.prec ?? -1);
      if (f.sharp && !s.includes('.') && Number.isFinite(x)) {
        // %#g keeps trailing zeros; approximate by padding to the precision.
        const e = s.search(/[eE]/);
        const mant = e >= 0 ? s.slice(0, e) : s;
        const digits = mant.replace(/[-+.]/g, '').length;
        const want = f.prec ?? 6;
        const add = Math.max(want - digits, 0);
        s = mant + '.' + '0'.repeat(add) + (e >= 0 ? s.slice(e) : '');
      }
      break;
    case 'e':
    case 'E':
      s = formatFloat(x, verb, f.prec ?? 6);
      break;
    case 'f':
    case 'F':
      s = formatFloat(x, 'f', f.prec ?? 6);
      break;
    case 'x':
    case 'X':
    case 'b':
      return badVerb(verb, x);
    default:
      return badVerb(verb, x);
  }
  if (!Number.isFinite(x)) {
    if (Number.isNaN(x)) s = f.plus ? '+NaN' : f.space ? ' NaN' : 'NaN';
    else if (x > 0) s = f.plus ? '+Inf' : f.space ? ' Inf' : '+Inf';
    if (x > 0 && !f.plus && !f.space) s = '+Inf';
    return pad(s, f, false);
  }
  if (s[0] !== '-') {
    if (f.plus) s = '+' + s;
    else if (f.space) s = ' ' + s;
  }
  return pad(s, f);
}

function fmtString(s: string, verb: string, f: Flags): string {
  switch (verb) {
    case 'v':
    case 's':
      if (f.prec !== undefined) s = [...s].slice(0, f.prec).join('');
      return pad(s, f);
    case 'q':
      return pad(f.sharp && !s.includes('`') ? '`' + s + '`' : goQuote(s, f.plus), f);
    case 'x':
    case 'X': {
      let h = Buffer.from(s, 'utf8').toString('hex');
      if (verb === 'X') h = h.toUpperCase();
      return pad(h, f);
    }
    default:
      return badVerb(verb, s);
  }
}

/** Formats one operand for a verb. */
function formatArg(v: GoValue, verb: string, f: Flags): string {
  if (verb === 'T') return pad(v === undefined || v === null ? '<nil>' : goTypeName(v), f);
  if (v === undefined || v === null) {
    if (verb === 'v') return pad('<nil>', f);
    return badVerb(verb, v);
  }
  if (v instanceof Error && (verb === 'v' || verb === 's' || verb === 'q')) return fmtString(v.message, verb, f);
  if (hasStringer(v) && (verb === 'v' || verb === 's' || verb === 'q')) return fmtString(String(v.String()), verb, f);
  switch (typeof v) {
    case 'string':
      return fmtString(v, verb, f);
    case 'number':
      return fmtFloatVerb(v, verb, f);
    case 'bigint':
      return fmtInteger(v, verb, f);
    case 'boolean':
      if (verb === 'v' || verb === 't') return pad(v ? 'true' : 'false', f);
      return badVerb(verb, v);
  }
  if (Array.isArray(v)) {
    if (verb === 'v' || verb === 's' || verb === 'd' || verb === 'q' || verb === 'f' || verb === 'g' || verb === 'x') {
      return pad('[' + v.map((x) => formatArg(x, verb, NO_FLAGS)).join(' ') + ']', f);
    }
    return badVerb(verb, v);
  }
  if (isMapLike(v) && !isStruct(v) && !(v instanceof Error)) {
    if (verb === 'v' || verb === 's' || verb === 'd' || verb === 'q') {
      return pad('map[' + mapKeys(v).map((k) => `${formatArg(k, verb, NO_FLAGS)}:${formatArg(mapGet(v, k), verb, NO_FLAGS)}`).join(' ') + ']', f);
    }
    return badVerb(verb, v);
  }
  if (verb === 'v' || verb === 's') return pad(formatValue(v), f);
  return badVerb(verb, v);
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argi = 0;
  let reordered = false;
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { plus: false, minus: false, sharp: false, zero: false, space: false };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    // Argument index [n]
    const argIndex = (): void => {
      if (format[i] === '[') {
        const close = format.indexOf(']', i);
        if (close > i) {
          const k = Number(format.slice(i + 1, close));
          if (Number.isInteger(k) && k >= 1) {
            argi = k - 1;
            reordered = true;
          }
          i = close + 1;
        }
      }
    };
    argIndex();
    if (format[i] === '*') {
      i++;
      const w = args[argi++];
      if (typeof w === 'bigint') {
        f.width = Number(w);
        if (f.width < 0) {
          f.minus = true;
          f.width = -f.width;
        }
      } else out += '%!(BADWIDTH)';
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        f.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const p = args[argi++];
        if (typeof p === 'bigint' && p >= 0n) f.prec = Number(p);
        else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        f.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    argIndex();
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    if (verb === 'w') {
      out += formatArg(arg, 'v', f);
      continue;
    }
    out += formatArg(arg, verb, f);
  }
  if (!reordered && argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => (a === undefined || a === null ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`)).join(', ') + ')';
  }
  return out;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const isStr = typeof args[i] === 'string';
    if (i > 0 && !isStr && typeof args[i - 1] !== 'string') out += ' ';
    out += formatArg(args[i], 'v', NO_FLAGS);
  }
  return out;
}

/** fmt.Sprintln: always spaces, trailing newline. */
export function sprintln(args: readonly GoValue[]): string {
  return args.map((a) => formatArg(a, 'v', NO_FLAGS)).join(' ') + '\n';
}
