/** Element-wise functions over instant vectors (Prometheus 2.42 functions.go), applied to one value at a time. */

export type ElementFn = (v: number, scalars: number[], t: number) => number;

const RAD = Math.PI / 180;

export const MATH_FUNCTIONS: ReadonlyMap<string, (v: number) => number> = new Map<string, (v: number) => number>([
  ['abs', Math.abs],
  ['ceil', Math.ceil],
  ['floor', Math.floor],
  ['exp', Math.exp],
  ['sqrt', Math.sqrt],
  ['ln', Math.log],
  ['log2', Math.log2],
  ['log10', Math.log10],
  ['sin', Math.sin],
  ['cos', Math.cos],
  ['tan', Math.tan],
  ['asin', Math.asin],
  ['acos', Math.acos],
  ['atan', Math.atan],
  ['sinh', Math.sinh],
  ['cosh', Math.cosh],
  ['tanh', Math.tanh],
  ['asinh', Math.asinh],
  ['acosh', Math.acosh],
  ['atanh', Math.atanh],
  ['rad', (v) => v * RAD],
  ['deg', (v) => v / RAD],
  ['sgn', (v) => (v < 0 ? -1 : v > 0 ? 1 : v)],
]);

function dateOf(v: number): Date {
  // Go: time.Unix(int64(v), 0).UTC()
  return new Date(Math.trunc(v) * 1000);
}

export const DATE_FUNCTIONS: ReadonlyMap<string, (v: number) => number> = new Map<string, (v: number) => number>([
  ['year', (v) => dateOf(v).getUTCFullYear()],
  ['month', (v) => dateOf(v).getUTCMonth() + 1],
  ['day_of_month', (v) => dateOf(v).getUTCDate()],
  ['day_of_week', (v) => dateOf(v).getUTCDay()],
  [
    'day_of_year',
    (v) => {
      const d = dateOf(v);
      return Math.round((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
    },
  ],
  ['hour', (v) => dateOf(v).getUTCHours()],
  ['minute', (v) => dateOf(v).getUTCMinutes()],
  [
    'days_in_month',
    (v) => {
      const d = dateOf(v);
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    },
  ],
]);

/** Functions with scalar parameters: argument 0 is the vector, `s` holds the other arguments' values at this step. */
export const PARAM_FUNCTIONS: ReadonlyMap<string, ElementFn> = new Map<string, ElementFn>([
  [
    'round',
    (v, s) => {
      const toNearest = s.length > 1 ? s[1] : 1;
      const inv = 1 / toNearest;
      return Math.floor(v * inv + 0.5) / inv;
    },
  ],
  ['clamp', (v, s) => goMax(s[1], goMin(s[2], v))],
  ['clamp_max', (v, s) => goMin(s[1], v)],
  ['clamp_min', (v, s) => goMax(s[1], v)],
]);

/** Go's math.Max: NaN wins, +0 beats -0. */
export function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.max(a, b);
}

export function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.min(a, b);
}

/**
 * Go's regexp.Expand template semantics for label_replace: $1, ${1}, $name, ${name}, $$. A name is the longest
 * run of letters, digits and underscores, so "$1x" refers to the (missing) group "1x" and expands to "".
 */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      name = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^[A-Za-z0-9_]+$/.test(name)) {
        out += c;
        continue;
      }
      end = close;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!m) {
        out += c;
        continue;
      }
      name = m[0];
      end = i + m[0].length;
    }
    if (/^[0-9]+$/.test(name)) {
      const idx = Number(name);
      out += idx < match.length ? (match[idx] ?? '') : '';
    } else {
      out += match.groups?.[name] ?? '';
    }
    i = end;
  }
  return out;
}
