/**
 * text/template's predefined functions (and/or are handled lazily in exec.ts): comparison with Go's
 * basic-kind rules, index/slice/len, print family, and the html/js/urlquery escapers.
 */
import { sprint, sprintf, sprintln } from './fmt.js';
import { isMapLike, isStruct, mapGet, variadic, arity, type FuncMap, type GoValue } from './value.js';

type Kind = 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other';

function kind(v: GoValue): Kind {
  if (v === undefined || v === null) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  return 'other';
}

function eqOne(a: GoValue, b: GoValue): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === 'other' || kb === 'other') {
    if (ka === 'nil' || kb === 'nil') return a === b;
    throw new Error('non-comparable type');
  }
  if (ka !== kb) {
    // Go compares ints with ints and floats with floats; an untyped constant matches the other side.
    if ((ka === 'int' && kb === 'float') || (ka === 'float' && kb === 'int')) return Number(a) === Number(b);
    if (ka === 'nil' || kb === 'nil') return false;
    throw new Error('incompatible types for comparison');
  }
  return a === b;
}

function lt(a: GoValue, b: GoValue): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === 'bool' || ka === 'other' || ka === 'nil' || kb === 'other' || kb === 'nil' || kb === 'bool') throw new Error('invalid type for comparison');
  if (ka !== kb) {
    if ((ka === 'int' || ka === 'float') && (kb === 'int' || kb === 'float')) return Number(a) < Number(b);
    throw new Error('incompatible types for comparison');
  }
  return (a as string | number | bigint) < (b as string | number | bigint);
}

function toIndex(v: GoValue): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) throw new Error(`cannot index slice/array with type float64`);
  throw new Error(`cannot index slice/array with type ${typeof v}`);
}

function indexOne(item: GoValue, idx: GoValue): GoValue {
  if (item === undefined || item === null) throw new Error('index of untyped nil');
  if (typeof item === 'string') {
    const i = toIndex(idx);
    const b = Buffer.from(item, 'utf8');
    if (i < 0 || i >= b.length) throw new Error(`index out of range: ${i}`);
    return BigInt(b[i]);
  }
  if (Array.isArray(item)) {
    const i = toIndex(idx);
    if (i < 0 || i >= item.length) throw new Error(`index out of range: ${i}`);
    return item[i];
  }
  if (isMapLike(item) && !isStruct(item)) {
    if (typeof idx !== 'string') throw new Error(`value has type ${typeof idx}; should be string`);
    const v = mapGet(item, idx);
    // A missing key gives the zero value of the element type (a string map gives "").
    return v === undefined ? '' : v;
  }
  throw new Error(`can't index item of type ${typeof item}`);
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);
}

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case "'":
        out += "\\'";
        break;
      case '"':
        out += '\\"';
        break;
      case '<':
        out += '\\u003C';
        break;
      case '>':
        out += '\\u003E';
        break;
      case '&':
        out += '\\u0026';
        break;
      case '=':
        out += '\\u003D';
        break;
      default:
        if (c < 0x20) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
        else out += ch;
    }
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go's evalArgs for html/js/urlquery: a single string argument is used as is, otherwise fmt.Sprint. */
function evalArgs(args: GoValue[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

export function builtinFuncs(): FuncMap {
  return {
    // and/or are evaluated lazily by the executor; entries exist so the parser knows them.
    and: variadic(() => undefined),
    or: variadic(() => undefined),
    not: arity(1, (v: GoValue) => !truth(v)),
    len: arity(1, (v: GoValue) => {
      if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
      if (Array.isArray(v)) return BigInt(v.length);
      if (v instanceof Map) return BigInt(v.size);
      if (isMapLike(v) && !isStruct(v)) return BigInt(Object.keys(v).length);
      throw new Error(`len of type ${v === null || v === undefined ? 'nil' : typeof v}`);
    }),
    index: variadic(
      arity(1, (item: GoValue, ...idx: GoValue[]) => {
        let v = item;
        for (const i of idx) v = indexOne(v, i);
        return v;
      }),
    ),
    slice: variadic(
      arity(1, (item: GoValue, ...idx: GoValue[]) => {
        if (idx.length > 3) throw new Error(`too many slice indexes: ${idx.length}`);
        const n = typeof item === 'string' ? Buffer.byteLength(item) : Array.isArray(item) ? item.length : -1;
        if (n < 0) throw new Error(`can't slice item of type ${typeof item}`);
        const lo = idx.length > 0 ? toIndex(idx[0]) : 0;
        const hi = idx.length > 1 ? toIndex(idx[1]) : n;
        if (lo < 0 || hi < lo || hi > n) throw new Error(`invalid slice index: ${lo} > ${hi}`);
        if (typeof item === 'string') return Buffer.from(item).subarray(lo, hi).toString('utf8');
        return (item as GoValue[]).slice(lo, hi);
      }),
    ),
    print: variadic(arity(0, (...a: GoValue[]) => sprint(a))),
    printf: variadic(arity(1, (f: GoValue, ...a: GoValue[]) => sprintf(String(f), a))),
    println: variadic(arity(0, (...a: GoValue[]) => sprintln(a))),
    eq: variadic(
      arity(1, (a: GoValue, ...b: GoValue[]) => {
        if (b.length === 0) throw new Error('missing argument for comparison');
        return b.some((x) => eqOne(a, x));
      }),
    ),
    ne: arity(2, (a: GoValue, b: GoValue) => !eqOne(a, b)),
    lt: arity(2, (a: GoValue, b: GoValue) => lt(a, b)),
    le: arity(2, (a: GoValue, b: GoValue) => lt(a, b) || eqOne(a, b)),
    gt: arity(2, (a: GoValue, b: GoValue) => !lt(a, b) && !eqOne(a, b)),
    ge: arity(2, (a: GoValue, b: GoValue) => !lt(a, b)),
    html: variadic(arity(0, (...a: GoValue[]) => htmlEscape(evalArgs(a)))),
    js: variadic(arity(0, (...a: GoValue[]) => jsEscape(evalArgs(a)))),
    urlquery: variadic(arity(0, (...a: GoValue[]) => queryEscape(evalArgs(a)))),
    call: variadic(
      arity(1, (fn: GoValue, ...a: GoValue[]) => {
        if (typeof fn !== 'function') throw new Error(`non-function of type ${typeof fn}`);
        return (fn as (...x: GoValue[]) => GoValue)(...a);
      }),
    ),
  };
}

import { isTrue as truth } from './value.js';
