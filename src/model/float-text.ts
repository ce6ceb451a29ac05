/**
 * Float → label-value text as Prometheus writes it where a number becomes a label (`le`, `quantile`,
 * `count_values`): Go's strconv.FormatFloat(v, 'f', -1, 64), never exponent notation.
 */

/** Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest round-trip digits, written without an exponent. */
export function formatFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  if (!s.includes('e')) return s;
  // Expand the shortest round-trip digits without an exponent.
  const neg = v < 0;
  const [mant, expStr] = (neg ? s.slice(1) : s).split('e');
  const exp = Number(expStr);
  const [ip, fp = ''] = mant.split('.');
  const digits = ip + fp;
  const point = ip.length + exp;
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + out;
}
