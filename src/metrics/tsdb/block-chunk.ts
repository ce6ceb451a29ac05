/**
 * The chunk encoding of persisted blocks (format 2). Head chunks stay Gorilla XOR (chunk.ts): they are
 * appended to one sample at a time. A block chunk is written once, from all of a series' samples in the
 * block, so it can pick the cheaper value encoding for the whole chunk:
 *
 *   uvarint count, u8 mode, then one bit stream: all timestamps, then all values.
 *   Timestamps: the first is NOT stored (it is the chunk's minT in the index entry); the first delta as a
 *     6-bit width + that many bits; then delta-of-deltas: '0' (same delta), '10' + 4 bits (−8..7: scrape
 *     jitter), '110' + 14 bits, '1110' + 24 bits, '1111' + 64 bits.
 *   mode 0, float values: the first value's 64 bits, then Gorilla XOR ('0' same, '10' previous window,
 *     '11' + 5 bits leading zeros + 6 bits length).
 *   mode 1 + e, decimal values: every value is exactly k / 10^e for an integer |k| < 2^50 (counters of
 *     bytes or requests, CPU seconds in hundredths, gauges in pages). k₀ as a 6-bit width + zig-zag bits,
 *     then zig-zag delta-of-deltas of k: '0' (zero), '10' + the current width's bits, '11' + a 6-bit new
 *     width + bits. The decoder divides by 10^e, which is correctly rounded, so it gives back the exact
 *     double the encoder checked; anything else (NaN, stale markers, −0, arbitrary floats) uses mode 0.
 */
import { chunkCount, decodeChunk } from './chunk.js';
import { TWO32, XorValueReader, float64Halves, XorValueWriter, readWide, unzigzag, uvarintAt, uvarintEnd, window32, zigzag } from './bits.js';

/** Chunk encodings as stored in chunk files: the head's Gorilla XOR (chunk.ts), and this one. */
export const ENC_XOR = 1;
export const ENC_BLOCK = 2;

/** Samples per block chunk: twice the head's, as the per-chunk header and index entry cost is then halved. */
export const MAX_BLOCK_CHUNK_SAMPLES = 240;

/** Longest sample count varint accepted. */
const MAX_COUNT_BYTES = 8;
const MAX_DECIMAL_EXP = 9;
const MAX_DECIMAL_INT = 2 ** 50;
const POW10 = Array.from({ length: MAX_DECIMAL_EXP + 1 }, (_, e) => 10 ** e);

function bitLength(u: number): number {
  return u < TWO32 ? 32 - Math.clz32(u) : 64 - Math.clz32(Math.floor(u / TWO32));
}

/** The smallest e with every value exactly k / 10^e (|k| < 2^50), or -1. */
function decimalExponent(vs: Float64Array, from: number, to: number): number {
  outer: for (let e = 0; e <= MAX_DECIMAL_EXP; e++) {
    const p = POW10[e];
    for (let i = from; i < to; i++) {
      const v = vs[i];
      const k = Math.round(v * p);
      if (!(k < MAX_DECIMAL_INT && k > -MAX_DECIMAL_INT) || (k + 0) / p !== v || (v === 0 && 1 / v < 0)) {
        // Integers that fail at e = 0 and are huge fail at every e; so do NaN and ±Inf.
        if (!(Math.abs(v) < MAX_DECIMAL_INT)) return -1;
        continue outer;
      }
    }
    return e;
  }
  return -1;
}

/** One writer for all block chunks: they are encoded synchronously, one at a time. */
const w = new XorValueWriter(new Uint8Array(512));

function writeTimestamps(ts: ArrayLike<number>, from: number, to: number): void {
  if (to - from < 2) return;
  let delta = ts[from + 1] - ts[from];
  const nb = bitLength(delta);
  w.ensure(6 + nb);
  w.bits(nb, 6);
  w.wide(delta, nb);
  for (let i = from + 2; i < to; i++) {
    const d = ts[i] - ts[i - 1];
    const dod = d - delta;
    delta = d;
    w.ensure(68);
    if (dod === 0) w.bits(0, 1);
    else if (dod >= -8 && dod < 8) w.bits(0b100000 | (dod & 0xf), 6);
    else if (dod >= -8192 && dod < 8192) {
      w.bits(0b110, 3);
      w.bits(dod & 0x3fff, 14);
    } else if (dod >= -8388608 && dod < 8388608) {
      w.bits(0b1110, 4);
      w.bits(dod & 0xffffff, 24);
    } else {
      w.bits(0b1111, 4);
      const hi = Math.floor(dod / TWO32);
      w.bits(hi >>> 0, 32);
      w.bits((dod - hi * TWO32) >>> 0, 32);
    }
  }
}

function writeDecimals(vs: Float64Array, from: number, to: number, p: number): void {
  let prev = Math.round(vs[from] * p) + 0;
  let u = zigzag(prev);
  let width = bitLength(u);
  w.ensure(6 + width);
  w.bits(width, 6);
  w.wide(u, width);
  width = 0;
  let delta = 0;
  for (let i = from + 1; i < to; i++) {
    const k = Math.round(vs[i] * p) + 0;
    const d = k - prev;
    const dd = d - delta;
    prev = k;
    delta = d;
    w.ensure(64);
    if (dd === 0) {
      w.bits(0, 1);
      continue;
    }
    u = zigzag(dd);
    const nb = bitLength(u);
    // Keep the window while the value fits and the window is not much wider than needed.
    if (width > 0 && nb <= width && nb + 7 >= width) {
      w.bits(0b10, 2);
      w.wide(u, width);
    } else {
      width = nb;
      w.bits(0b11, 2);
      w.bits(width, 6);
      w.wide(u, width);
    }
  }
}

function writeFloats(vs: Float64Array, from: number, to: number): void {
  const f = float64Halves;
  // Room for all values at once keeps the loop to one call, which TurboFan then inlines.
  w.ensure(64 + 77 * (to - from));
  f.setFloat64(0, vs[from]);
  w.firstValue(f.getUint32(0), f.getUint32(4));
  for (let i = from + 1; i < to; i++) {
    f.setFloat64(0, vs[i]);
    w.xorValue(f.getUint32(0), f.getUint32(4));
  }
}

/**
 * Encodes samples [from, to) (timestamps strictly increasing) as one block chunk. The first timestamp is
 * not part of the bytes: the reader passes it (the chunk's minT) to decodeBlockChunk.
 */
export function encodeBlockChunk(ts: ArrayLike<number>, vs: Float64Array, from: number, to: number): Uint8Array {
  const n = to - from;
  if (n <= 0) throw new RangeError('empty chunk');
  const e = decimalExponent(vs, from, to);
  w.reset();
  w.ensure(8 * 9);
  w.uvarint(n);
  w.bits(e + 1, 8);
  writeTimestamps(ts, from, to);
  if (e >= 0) writeDecimals(vs, from, to, POW10[e]);
  else writeFloats(vs, from, to);
  return w.buf.slice(0, (w.pos + 7) >>> 3);
}

export interface BlockChunk {
  bytes: Uint8Array;
  minT: number;
  maxT: number;
  enc: number;
}

/** Splits a sorted sample run into block chunks of at most `max` samples. */
export function encodeBlockChunks(
  ts: ArrayLike<number>,
  vs: Float64Array,
  from: number,
  to: number,
  max = MAX_BLOCK_CHUNK_SAMPLES,
): BlockChunk[] {
  const out: BlockChunk[] = [];
  // Even sizes: 241 samples become 121 + 120, not 240 + 1.
  const pieces = Math.ceil((to - from) / max);
  for (let k = 0; k < pieces; k++) {
    const a = from + Math.floor(((to - from) * k) / pieces);
    const b = from + Math.floor(((to - from) * (k + 1)) / pieces);
    out.push({ bytes: encodeBlockChunk(ts, vs, a, b), minT: ts[a], maxT: ts[b - 1], enc: ENC_BLOCK });
  }
  return out;
}

/** Number of samples in a block chunk (0 for malformed input; decoding then throws). */
export function blockChunkCount(b: Uint8Array): number {
  return uvarintEnd(b, 0, MAX_COUNT_BYTES) < 0 ? 0 : uvarintAt(b, 0);
}

/**
 * Decodes a block chunk whose first timestamp is minT into ts[off..] and vs[off..] (exact bits, stale markers
 * included). Returns the number of samples; throws RangeError on malformed input.
 */
export function decodeBlockChunk(b: Uint8Array, minT: number, ts: Float64Array, vs: Float64Array, off: number): number {
  let p = uvarintEnd(b, 0, MAX_COUNT_BYTES);
  if (p < 0) throw new RangeError('bad count in block chunk');
  const n = uvarintAt(b, 0);
  if (p >= b.length) throw new RangeError('block chunk truncated');
  const mode = b[p++];
  if (n === 0) return 0;
  if (off + n > ts.length || off + n > vs.length) throw new RangeError('output too small');
  if (mode > MAX_DECIMAL_EXP + 1) throw new RangeError('bad block chunk mode');
  const totalBits = b.length * 8;
  let pos = p * 8;
  let t = minT;
  ts[off] = t;
  if (n > 1) {
    const nb = window32(b, pos) >>> 26;
    pos += 6;
    if (nb > 53) throw new RangeError('bad timestamp width');
    let delta = readWide(b, pos, nb);
    pos += nb;
    t += delta;
    ts[off + 1] = t;
    for (let i = 2; i < n; i++) {
      const x = window32(b, pos);
      if (x >>> 31 === 0) pos += 1;
      else if ((x & 0x40000000) === 0) {
        delta += (x << 2) >> 28;
        pos += 6;
      } else if ((x & 0x20000000) === 0) {
        delta += (x << 3) >> 18;
        pos += 17;
      } else if ((x & 0x10000000) === 0) {
        delta += (x << 4) >> 8;
        pos += 28;
      } else {
        pos += 4;
        delta += (window32(b, pos) | 0) * TWO32 + window32(b, pos + 32);
        pos += 64;
      }
      t += delta;
      ts[off + i] = t;
    }
    if (pos > totalBits) throw new RangeError('block chunk truncated');
  }
  if (mode === 0) pos = decodeFloats(b, pos, n, new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2), off);
  else pos = decodeDecimals(b, pos, n, POW10[mode - 1], vs, off);
  if (pos > totalBits) throw new RangeError('block chunk truncated');
  return n;
}

function decodeDecimals(b: Uint8Array, pos: number, n: number, p10: number, vs: Float64Array, off: number): number {
  let width = window32(b, pos) >>> 26;
  pos += 6;
  if (width > 53) throw new RangeError('bad value width');
  let k = unzigzag(readWide(b, pos, width));
  pos += width;
  vs[off] = k / p10;
  let delta = 0;
  width = 0;
  const end = b.length * 8;
  for (let i = 1; i < n; i++) {
    const x = window32(b, pos);
    if (x >>> 31 !== 0) {
      if ((x & 0x40000000) === 0) pos += 2;
      else {
        width = (x >>> 24) & 63;
        pos += 8;
        if (width > 53) throw new RangeError('bad value width');
      }
      const u = readWide(b, pos, width);
      pos += width;
      delta += u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    } else pos += 1;
    k += delta;
    vs[off + i] = k / p10;
    if (pos > end) throw new RangeError('block chunk truncated');
  }
  return pos;
}

function decodeFloats(b: Uint8Array, pos: number, n: number, vbits: Uint32Array, off: number): number {
  const values = new XorValueReader();
  pos = values.first(b, pos);
  vbits[2 * off] = values.lo;
  vbits[2 * off + 1] = values.hi;
  for (let i = 1; i < n; i++) {
    pos = values.next(b, pos);
    const j = off + i;
    vbits[2 * j] = values.lo;
    vbits[2 * j + 1] = values.hi;
  }
  return pos;
}

/** Samples in a chunk of either encoding (undefined = ENC_XOR). */
export function countSamples(b: Uint8Array, enc: number | undefined): number {
  return enc === ENC_BLOCK ? blockChunkCount(b) : chunkCount(b);
}

/**
 * Decodes a chunk of either encoding into ts[off..] and vs[off..] (exact value bits). minT is the chunk's
 * first timestamp from its metadata (block chunks do not store it). Throws RangeError on malformed input.
 */
export function decodeAnyChunk(b: Uint8Array, enc: number | undefined, minT: number, ts: Float64Array, vs: Float64Array, off: number): number {
  if (enc === ENC_BLOCK) return decodeBlockChunk(b, minT, ts, vs, off);
  if (enc !== undefined && enc !== ENC_XOR) throw new RangeError(`unknown chunk encoding ${enc}`);
  return decodeChunk(b, ts, new Uint32Array(vs.buffer, vs.byteOffset, 2 * vs.length), off);
}

/**
 * The samples at `order` (indices into ts/bits, sorted by timestamp with the preferred sample first among
 * equal timestamps), keeping the first of each timestamp, as fresh arrays with the exact value bits.
 */
export function firstPerTimestamp(
  order: readonly number[],
  ts: Float64Array,
  bits: Uint32Array,
): { ts: Float64Array; vs: Float64Array; n: number } {
  const ots = new Float64Array(order.length);
  const ovs = new Float64Array(order.length);
  const obits = new Uint32Array(ovs.buffer);
  let m = 0;
  for (const i of order) {
    if (m > 0 && ots[m - 1] === ts[i]) continue;
    ots[m] = ts[i];
    obits[2 * m] = bits[2 * i];
    obits[2 * m + 1] = bits[2 * i + 1];
    m++;
  }
  return { ts: ots, vs: ovs, n: m };
}
