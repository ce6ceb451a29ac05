/**
 * Gorilla-style XOR chunks (as Prometheus's XORChunk, not byte-compatible): a 2-byte big-endian sample count,
 * the first timestamp as a zig-zag varint and the first value as 8 raw bytes, the second timestamp as a varint
 * delta, then delta-of-delta timestamps in 1/16/20/24/68-bit buckets and XOR-compressed values.
 *
 * The bit-level writing and reading, and the XOR value codec, are shared with the block chunks (bits.ts).
 * Floats are handled as two uint32 halves (taken with a DataView in append()), so every bit — including the
 * payload of the signalling stale-NaN marker — survives the round trip (JS number copies might quiet it).
 */
import { TWO32, XorValueReader, float64Halves, XorValueWriter, unzigzag, uvarintAt, uvarintEnd, window32, zigzag } from './bits.js';

export const MAX_SAMPLES_PER_CHUNK = 120;

/** Longest varint accepted: 10 bytes hold any 64-bit value. */
const MAX_VARINT_BYTES = 10;

/**
 * Small byte arrays are carved out of shared 16 KiB slabs: a separate ArrayBuffer per chunk would cost more
 * than the chunk itself for short series. Fresh slabs are zero-filled, which the bit writer relies on.
 */
const SLAB_SIZE = 16 * 1024;
const SLAB_MAX_PIECE = 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabPos = 0;

function carve(n: number): Uint8Array {
  if (n > SLAB_MAX_PIECE) return new Uint8Array(n);
  if (slabPos + n > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabPos = 0;
  }
  const out = new Uint8Array(slab, slabPos, n);
  slabPos += (n + 7) & ~7;
  return out;
}

const NO_BYTES = new Uint8Array(0);

/** A trimmed copy (slab-allocated for small sizes). */
export function copyBytes(b: Uint8Array): Uint8Array {
  const out = carve(b.length);
  out.set(b);
  return out;
}

/** Bits of the sample count header. */
const HEADER_BITS = 16;

/**
 * Appends samples to one chunk. Callers guarantee strictly increasing timestamps. vHi/vLo (from
 * XorValueWriter) hold the last value's bits.
 */
export class XorChunkBuilder extends XorValueWriter {
  count = 0;
  minT = 0;
  lastT = 0;
  private tDelta = 0;

  constructor(initialBytes = 32) {
    super(initialBytes > 0 ? carve(initialBytes) : NO_BYTES, HEADER_BITS);
  }

  /** Starts a new, empty chunk, keeping the (grown) buffer for reuse. */
  override reset(): void {
    super.reset();
    this.pos = HEADER_BITS;
    this.count = 0;
    this.tDelta = 0;
  }

  protected override alloc(n: number): Uint8Array {
    return carve(n);
  }

  /** A trimmed copy of the encoded bytes. */
  copyBytes(): Uint8Array {
    return copyBytes(this.bytes());
  }

  /** The encoded bytes so far (a view; copy before the builder is appended to again if kept). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.byteLength());
  }

  append(t: number, v: number): void {
    const f = float64Halves;
    f.setFloat64(0, v);
    this.appendBits(t, f.getUint32(0), f.getUint32(4));
  }

  /** Appends a sample whose value is given as raw bits (hi, lo). */
  appendBits(t: number, hi: number, lo: number): void {
    this.ensure(160);
    const n = this.count;
    if (n === 0) {
      // The first timestamp and value are byte-aligned right after the count.
      this.uvarint(zigzag(t));
      this.firstValue(hi, lo);
      this.minT = t;
    } else if (n === 1) {
      this.tDelta = t - this.lastT;
      this.uvarint(this.tDelta);
      this.xorValue(hi, lo);
    } else {
      const delta = t - this.lastT;
      const dod = delta - this.tDelta;
      this.tDelta = delta;
      if (dod === 0) this.bits(0, 1);
      else if (dod >= -8192 && dod < 8192) {
        this.bits(0b10, 2);
        this.bits(dod & 0x3fff, 14);
      } else if (dod >= -524288 && dod < 524288) {
        this.bits(0b110, 3);
        this.bits(dod & 0xfffff, 20);
      } else if (dod >= -8388608 && dod < 8388608) {
        this.bits(0b1110, 4);
        this.bits(dod & 0xffffff, 24);
      } else {
        this.bits(0b1111, 4);
        const hiT = Math.floor(dod / TWO32);
        this.bits(hiT >>> 0, 32);
        this.bits((dod - hiT * TWO32) >>> 0, 32);
      }
      this.xorValue(hi, lo);
    }
    this.lastT = t;
    this.count = n + 1;
    this.buf[0] = (n + 1) >>> 8;
    this.buf[1] = (n + 1) & 0xff;
  }
}

/** Number of samples in an encoded chunk. */
export function chunkCount(b: Uint8Array): number {
  return b.length < 2 ? 0 : (b[0] << 8) | b[1];
}

/**
 * Decodes a chunk into ts[off..] and the raw value bits into vbits (a Uint32Array aliasing a Float64Array:
 * little-endian, so element 2i is the low half and 2i+1 the high half). Returns the number of samples written.
 * Throws RangeError on malformed input.
 */
export function decodeChunk(b: Uint8Array, ts: Float64Array, vbits: Uint32Array, off: number): number {
  const n = chunkCount(b);
  if (n === 0) return 0;
  if (off + n > ts.length) throw new RangeError('output too small');
  // The first timestamp (zig-zag varint) and value start byte-aligned right after the count.
  let p = uvarintEnd(b, 2, MAX_VARINT_BYTES);
  if (p < 0) throw new RangeError('bad varint in chunk');
  let t = unzigzag(uvarintAt(b, 2));
  const values = new XorValueReader();
  let pos = values.first(b, p * 8);
  ts[off] = t;
  vbits[2 * off] = values.lo;
  vbits[2 * off + 1] = values.hi;
  let delta = 0;
  if (n > 1) {
    // The first delta is a byte-aligned unsigned varint.
    p = uvarintEnd(b, pos >>> 3, MAX_VARINT_BYTES);
    if (p < 0) throw new RangeError('bad varint in chunk');
    delta = uvarintAt(b, pos >>> 3);
    pos = values.next(b, p * 8);
    t += delta;
    ts[off + 1] = t;
    vbits[2 * off + 2] = values.lo;
    vbits[2 * off + 3] = values.hi;
  }
  for (let i = 2; i < n; i++) {
    const w = window32(b, pos);
    // After the common '0' (same delta), w already holds the value's header bits.
    let vw = -1;
    if (w >>> 31 === 0) {
      pos += 1;
      vw = (w << 1) >>> 0;
    } else if ((w & 0x40000000) === 0) {
      delta += (w << 2) >> 18;
      pos += 16;
    } else if ((w & 0x20000000) === 0) {
      delta += (w << 3) >> 12;
      pos += 23;
    } else if ((w & 0x10000000) === 0) {
      delta += (w << 4) >> 8;
      pos += 28;
    } else {
      pos += 4;
      delta += (window32(b, pos) | 0) * TWO32 + window32(b, pos + 32);
      pos += 64;
    }
    t += delta;
    pos = values.next(b, pos, vw < 0 ? window32(b, pos) : vw);
    const j = off + i;
    ts[j] = t;
    vbits[2 * j] = values.lo;
    vbits[2 * j + 1] = values.hi;
  }
  if (pos > b.length * 8) throw new RangeError('chunk truncated');
  return n;
}

/** Convenience: decodes one chunk into fresh arrays. */
export function decodeChunkArrays(b: Uint8Array): { ts: Float64Array; vs: Float64Array } {
  const n = chunkCount(b);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  decodeChunk(b, ts, new Uint32Array(vs.buffer), 0);
  return { ts, vs };
}

/** Encodes samples (raw value bits from a vbits array) into chunks of at most MAX_SAMPLES_PER_CHUNK. */
export function encodeChunks(
  ts: ArrayLike<number>,
  vbits: Uint32Array,
  from: number,
  to: number,
): { bytes: Uint8Array; minT: number; maxT: number }[] {
  const out: { bytes: Uint8Array; minT: number; maxT: number }[] = [];
  let b: XorChunkBuilder | undefined;
  for (let i = from; i < to; i++) {
    if (!b || b.count >= MAX_SAMPLES_PER_CHUNK) {
      if (b) out.push({ bytes: b.copyBytes(), minT: b.minT, maxT: b.lastT });
      b = new XorChunkBuilder(256);
    }
    b.appendBits(ts[i], vbits[2 * i + 1], vbits[2 * i]);
  }
  if (b && b.count > 0) out.push({ bytes: b.copyBytes(), minT: b.minT, maxT: b.lastT });
  return out;
}
