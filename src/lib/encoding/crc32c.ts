/**
 * Table-driven CRC-32 variants in pure JS. CRC-32C (Castagnoli) is what Prometheus uses in its files; Sextant's
 * own files use CRC-32 (IEEE, see crc32.ts) because Node computes that one natively.
 */
/** Builds a reflected CRC-32 function for the given (reversed) polynomial, slicing-by-8. */
export function makeTableCrc(poly: number): (buf: Uint8Array, start?: number, end?: number, crc?: number) => number {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t0[i] = c >>> 0;
  }
  tables.push(t0);
  for (let s = 1; s < 8; s++) {
    const prev = tables[s - 1];
    const t = new Uint32Array(256);
    for (let i = 0; i < 256; i++) t[i] = ((prev[i] >>> 8) ^ t0[prev[i] & 0xff]) >>> 0;
    tables.push(t);
  }
  const [T0, T1, T2, T3, T4, T5, T6, T7] = tables;
  return (buf, start = 0, end = buf.length, crc = 0) => {
    let c = ~crc >>> 0;
    let i = start;
    while (end - i >= 8) {
      const a = c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
      c =
        T7[a & 0xff] ^
        T6[(a >>> 8) & 0xff] ^
        T5[(a >>> 16) & 0xff] ^
        T4[a >>> 24] ^
        T3[buf[i + 4]] ^
        T2[buf[i + 5]] ^
        T1[buf[i + 6]] ^
        T0[buf[i + 7]];
      i += 8;
    }
    while (i < end) c = T0[(c ^ buf[i++]) & 0xff] ^ (c >>> 8);
    return ~c >>> 0;
  };
}

/** CRC-32C (Castagnoli) of buf[start, end); pass a previous result as `crc` to continue a running checksum. */
export const crc32c: (buf: Uint8Array, start?: number, end?: number, crc?: number) => number = makeTableCrc(0x82f63b78);
