/** Number, string and duration literals with Go/Prometheus semantics. */
import { parseDuration } from '../../../config/duration.js';

/** Go strconv.ParseFloat-compatible parsing (decimal, hex floats/ints, Inf/NaN in any case, optional sign). */
export function parseGoFloat(s: string): number | undefined {
  const t = s.trim() === s ? s : undefined;
  if (t === undefined || t === '') return undefined;
  let sign = 1;
  let body = t;
  if (body[0] === '+' || body[0] === '-') {
    if (body[0] === '-') sign = -1;
    body = body.slice(1);
  }
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  if (/^0x[0-9a-f]+$/i.test(body)) return sign * parseInt(body.slice(2), 16);
  if (/^0x[0-9a-f]*(\.[0-9a-f]*)?p[+-]?[0-9]+$/i.test(body)) {
    const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?p([+-]?[0-9]+)$/i.exec(body)!;
    const mant = parseInt((m[1] || '0') + (m[2] ?? ''), 16);
    return sign * mant * Math.pow(2, parseInt(m[3], 10) - 4 * (m[2]?.length ?? 0));
  }
  if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(body)) return undefined;
  return sign * Number(body);
}

/** A PromQL number literal as the 2.42 lexer reads it: ints with base prefix (0x, leading-0 octal) or floats. */
export function parsePromNumber(s: string): number | undefined {
  if (/^0[0-7]+$/.test(s)) return parseInt(s, 8);
  if (/^0x[0-9a-f]+$/i.test(s)) return parseInt(s.slice(2), 16);
  return parseGoFloat(s);
}

/**
 * Prometheus model.ParseDuration, in milliseconds; throws with its message on bad input. The one
 * implementation lives with the configuration parser (same Go function, same messages).
 */
export const parseDurationMs: (s: string) => number = parseDuration;

/** Go's strconv.Unquote for the three PromQL quote styles. Throws on malformed escapes. */
export function unquoteString(s: string): string {
  const q = s[0];
  if (s.length < 2 || s[s.length - 1] !== q) throw new Error('invalid syntax');
  const body = s.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new Error('invalid syntax');
    return body.replace(/\r/g, '');
  }
  let out = '';
  const bytes: number[] = [];
  const flushBytes = (): void => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === q || c === '\n') throw new Error('invalid syntax');
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'a': flushBytes(); out += '\x07'; break;
      case 'b': flushBytes(); out += '\b'; break;
      case 'f': flushBytes(); out += '\f'; break;
      case 'n': flushBytes(); out += '\n'; break;
      case 'r': flushBytes(); out += '\r'; break;
      case 't': flushBytes(); out += '\t'; break;
      case 'v': flushBytes(); out += '\v'; break;
      case '\\': flushBytes(); out += '\\'; break;
      case "'":
      case '"':
        if (e !== q) throw new Error('invalid syntax');
        flushBytes();
        out += e;
        break;
      case 'x': {
        const h = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error('invalid syntax');
        bytes.push(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = body.slice(i + 1, i + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new Error('invalid syntax');
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new Error('invalid syntax');
        flushBytes();
        out += String.fromCodePoint(cp);
        i += n;
        break;
      }
      default: {
        const o = body.slice(i, i + 3);
        if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new Error('invalid syntax');
        bytes.push(parseInt(o, 8));
        i += 2;
      }
    }
  }
  flushBytes();
  return out;
}
