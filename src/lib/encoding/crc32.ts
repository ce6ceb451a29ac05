/**
 * CRC-32 (IEEE 802.3, the zlib/gzip one). Uses Node's native zlib.crc32 (Node ≥ 20.15, ~GB/s) and falls back
 * to a slicing-by-8 table implementation with identical results, so files stay readable across Node versions.
 */
import zlib from 'node:zlib';
import { makeTableCrc } from './crc32c.js';

type NativeCrc = (data: ArrayBufferView, value?: number) => number;
const native = (zlib as unknown as { crc32?: NativeCrc }).crc32;
const tableCrc = makeTableCrc(0xedb88320);

/** CRC-32 of buf[start, end); pass a previous result as `crc` to continue a running checksum. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  if (native !== undefined) {
    const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    return native(view, crc) >>> 0;
  }
  return tableCrc(buf, start, end, crc);
}

/** The pure-JS implementation, exported for tests. */
export const crc32Js = tableCrc;
