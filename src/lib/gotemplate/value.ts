/**
 * The value model shared by the template engine, its fmt and the function maps callers inject.
 *
 * Go values are represented as:
 *   - `string` → Go string
 *   - `number` → float64 (Prometheus's $value, humanize results...)
 *   - `bigint` → int (integer literals, len, range indexes), so `%d` and `%v` print as Go does
 *   - `boolean` → bool
 *   - `null` → nil; `undefined` → an invalid reflect.Value (a missing map key), printed "<no value>"
 *   - arrays → slices; `Map` and plain objects → maps (ranged in sorted key order)
 *   - a function-valued property → a method (`.Alerts.Firing`), called with the command's arguments
 *   - an object with a `String()` method → a fmt.Stringer
 */
export type GoValue = string | number | bigint | boolean | null | undefined | readonly GoValue[] | GoObject | GoFunc | Map<string, GoValue> | Error;

export interface GoObject {
  [key: string]: GoValue;
}

/** A function callable from a template. Throwing an Error is Go's non-nil error result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GoFunc = ((...args: any[]) => any) & { goVariadic?: boolean; goArity?: number };

export type FuncMap = Record<string, GoFunc>;

/** Marks a function as variadic so extra arguments are not an arity error. */
export function variadic<F extends GoFunc>(fn: F): F {
  fn.goVariadic = true;
  return fn;
}

/** Declares a function's arity explicitly (JS `length` stops at the first defaulted parameter). */
export function arity<F extends GoFunc>(n: number, fn: F): F {
  fn.goArity = n;
  return fn;
}

export function isMapLike(v: unknown): v is Map<string, GoValue> | GoObject {
  if (v instanceof Map) return true;
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Error);
}

/** Keys of a map value, sorted as Go's fmt and range sort string keys. */
export function mapKeys(v: Map<string, GoValue> | GoObject): string[] {
  const keys = v instanceof Map ? [...v.keys()] : Object.keys(v).filter((k) => typeof (v as GoObject)[k] !== 'function');
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function mapGet(v: Map<string, GoValue> | GoObject, k: string): GoValue {
  if (v instanceof Map) return v.get(k);
  return Object.prototype.hasOwnProperty.call(v, k) ? (v as GoObject)[k] : undefined;
}

/** Go's template truth: false, 0, nil, empty string/slice/map are false. */
export function isTrue(v: GoValue): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'bigint':
      return v !== 0n;
    case 'boolean':
      return v;
    case 'function':
      return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof Error) return true;
  if (isStruct(v)) return true;
  return mapKeys(v as GoObject).length > 0;
}

const STRUCT = Symbol.for('gotemplate.struct');
const TYPE_NAME = Symbol.for('gotemplate.typeName');

/**
 * Marks an object as a Go struct: always true, printed `{a b}`, missing fields are errors naming
 * `typeName` ("can't evaluate field X in type <typeName>").
 */
export function struct<T extends object>(o: T, typeName = 'struct'): T {
  Object.defineProperty(o, STRUCT, { value: true, enumerable: false });
  Object.defineProperty(o, TYPE_NAME, { value: typeName, enumerable: false });
  return o;
}

export function structTypeName(v: unknown): string {
  return ((v as Record<symbol, unknown>)[TYPE_NAME] as string | undefined) ?? 'struct';
}

export function isStruct(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[STRUCT] === true;
}

/** The Go type name fmt prints in `%!d(float64=1.5)`. */
export function goTypeName(v: GoValue): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'func()';
  }
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => typeof x === 'string')) return '[]string';
    return '[]interface {}';
  }
  if (v instanceof Error) return '*errors.errorString';
  if (isStruct(v)) return structTypeName(v);
  const vals = v instanceof Map ? [...v.values()] : Object.values(v as GoObject);
  if (vals.every((x) => typeof x === 'string')) return 'map[string]string';
  return 'map[string]interface {}';
}
