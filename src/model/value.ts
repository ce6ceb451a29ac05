/**
 * Sample values. Prometheus marks a series as stale with one particular NaN bit pattern;
 * ordinary NaN is a valid sample value and must stay distinguishable from it.
 */
const staleBuf = new DataView(new ArrayBuffer(8));
staleBuf.setUint32(0, 0x7ff00000);
staleBuf.setUint32(4, 0x00000002);

/** Prometheus's staleness marker, 0x7ff0000000000002. */
export const STALE_NAN: number = staleBuf.getFloat64(0);

const probe = new DataView(new ArrayBuffer(8));

/**
 * True for the staleness marker. V8 may set the quiet bit when it copies a signalling NaN (for example
 * `new Float64Array([STALE_NAN])`), so the quieted pattern 0x7ff8000000000002 counts too; NaN from arithmetic
 * has a zero payload and never matches.
 */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false;
  probe.setFloat64(0, v);
  const hi = probe.getUint32(0);
  return (hi === 0x7ff00000 || hi === 0x7ff80000) && probe.getUint32(4) === 0x00000002;
}

export interface Sample {
  /** Milliseconds since the Unix epoch. */
  t: number;
  v: number;
}
