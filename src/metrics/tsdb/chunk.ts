/**
 * Gorilla-style XOR chunks (as Prometheus's XORChunk, not byte-compatible): a 2-byte big-endian sample count,
 * the first timestamp as a zig-zag varint and the first value as 8 raw bytes, the second timestamp as a varint
 * delta, then delta-of-delta timestamps in 1/16/20/24/68-bit buckets and XOR-compressed values.
 *
 * Floats are handled as two uint32 halves taken with DataView, so every bit — including the payload of the
 * signalling stale-NaN marker — survives the round trip (JS number copies might quiet it).
 */
export const MAX_SAMPLES_PER_CHUNK = 120;

const TWO32 = 4294967296;
const scratch = new DataView(new ArrayBuffer(8));

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

function zeroed(n: number): Uint8Array {
  return carve(n);
}

const NO_BYTES = new Uint8Array(0);

/** A trimmed copy (slab-allocated for small sizes). */
export function copyBytes(b: Uint8Array): Uint8Array {
  const out = carve(b.length);
  out.set(b);
  return out;
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Appends samples to one chunk. Callers guarantee strictly increasing timestamps. */
export class XorChunkBuilder {
  buf: Uint8Array;
  bitPos = 16; // after the count header
  count = 0;
  minT = 0;
  lastT = 0;
  private tDelta = 0;
  /** Last value's bits as signed int32 halves (small integers stay unboxed in the object). */
  vHi = 0;
  vLo = 0;
  private leading = 0xff;
  private trailing = 0;

  constructor(initialBytes = 32) {
    this.buf = initialBytes > 0 ? zeroed(initialBytes) : NO_BYTES;
  }

  /** Starts a new, empty chunk, keeping the (grown) buffer for reuse. */
  reset(): void {
    this.buf.fill(0, 0, this.byteLength());
    this.bitPos = 16;
    this.count = 0;
    this.tDelta = 0;
    this.leading = 0xff;
    this.trailing = 0;
  }

  byteLength(): number {
    return (this.bitPos + 7) >>> 3;
  }

  /** A trimmed copy of the encoded bytes. */
  copyBytes(): Uint8Array {
    return copyBytes(this.bytes());
  }

  /** The encoded bytes so far (a view; copy before the builder is appended to again if kept). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.byteLength());
  }

  private ensure(bits: number): void {
    const need = (this.bitPos + bits + 7) >>> 3;
    if (need <= this.buf.length) return;
    let size = Math.max(32, this.buf.length * 2);
    while (size < need) size *= 2;
    const next = zeroed(size);
    next.set(this.buf.subarray(0, this.byteLength()));
    this.buf = next;
  }

  /** Writes the low n (1..32) bits of v, most significant first. */
  private writeBits(v: number, n: number): void {
    const buf = this.buf;
    let pos = this.bitPos;
    while (n > 0) {
      const used = pos & 7;
      const free = 8 - used;
      const take = n < free ? n : free;
      const bits = (v >>> (n - take)) & ((1 << take) - 1);
      buf[pos >>> 3] |= bits << (free - take);
      n -= take;
      pos += take;
    }
    this.bitPos = pos;
  }

  private writeUvarint(v: number): void {
    while (v >= 0x80) {
      this.writeBits((v & 0x7f) | 0x80, 8);
      v = v >= TWO32 ? Math.floor(v / 128) : v >>> 7;
    }
    this.writeBits(v, 8);
  }

  private writeVarint(v: number): void {
    this.writeUvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  append(t: number, v: number): void {
    scratch.setFloat64(0, v);
    this.appendBits(t, scratch.getUint32(0), scratch.getUint32(4));
  }

  /** Appends a sample whose value is given as raw bits (hi, lo). */
  appendBits(t: number, hi: number, lo: number): void {
    this.ensure(160);
    const n = this.count;
    if (n === 0) {
      this.writeVarint(t);
      this.writeBits(hi, 32);
      this.writeBits(lo, 32);
      this.minT = t;
    } else if (n === 1) {
      this.tDelta = t - this.lastT;
      this.writeUvarint(this.tDelta);
      this.writeValue(hi, lo);
    } else {
      const delta = t - this.lastT;
      const dod = delta - this.tDelta;
      this.tDelta = delta;
      if (dod === 0) this.writeBits(0, 1);
      else if (dod >= -8192 && dod < 8192) {
        this.writeBits(0b10, 2);
        this.writeBits(dod & 0x3fff, 14);
      } else if (dod >= -524288 && dod < 524288) {
        this.writeBits(0b110, 3);
        this.writeBits(dod & 0xfffff, 20);
      } else if (dod >= -8388608 && dod < 8388608) {
        this.writeBits(0b1110, 4);
        this.writeBits(dod & 0xffffff, 24);
      } else {
        this.writeBits(0b1111, 4);
        const hiT = Math.floor(dod / TWO32);
        this.writeBits(hiT >>> 0, 32);
        this.writeBits((dod - hiT * TWO32) >>> 0, 32);
      }
      this.writeValue(hi, lo);
    }
    this.lastT = t;
    this.vHi = hi | 0;
    this.vLo = lo | 0;
    this.count = n + 1;
    this.buf[0] = (n + 1) >>> 8;
    this.buf[1] = (n + 1) & 0xff;
  }

  private writeValue(hi: number, lo: number): void {
    const xh = (hi ^ this.vHi) >>> 0;
    const xl = (lo ^ this.vLo) >>> 0;
    if (xh === 0 && xl === 0) {
      this.writeBits(0, 1);
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (leading > 31) leading = 31;
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      this.writeBits(0b10, 2);
      this.writeSig(xh, xl, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    this.leading = leading;
    this.trailing = trailing;
    const sig = 64 - leading - trailing;
    this.writeBits(0b11, 2);
    this.writeBits(leading, 5);
    this.writeBits(sig & 63, 6); // 64 significant bits is stored as 0
    this.writeSig(xh, xl, trailing, sig);
  }

  /** Writes `n` bits of the 64-bit (xh:xl) value shifted right by `shift`. */
  private writeSig(xh: number, xl: number, shift: number, n: number): void {
    let h: number;
    let l: number;
    if (shift >= 32) {
      l = xh >>> (shift - 32);
      h = 0;
    } else if (shift > 0) {
      l = ((xl >>> shift) | (xh << (32 - shift))) >>> 0;
      h = xh >>> shift;
    } else {
      l = xl;
      h = xh;
    }
    if (n > 32) {
      this.writeBits(h, n - 32);
      this.writeBits(l, 32);
    } else {
      this.writeBits(l, n);
    }
  }
}

/** Number of samples in an encoded chunk. */
export function chunkCount(b: Uint8Array): number {
  return b.length < 2 ? 0 : (b[0] << 8) | b[1];
}

/**
 * The 32 bits starting at bit `pos` (MSB first). Reads past the end yield zero bits (typed-array reads out of
 * range are undefined, which bitwise operators treat as 0); callers check the final position instead.
 */
function window32(b: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const w = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
  const sh = pos & 7;
  return sh === 0 ? w : ((w << sh) | (b[i + 4] >>> (8 - sh))) >>> 0;
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
  const totalBits = b.length * 8;
  // The first timestamp (zig-zag varint) and value start byte-aligned right after the count.
  let p = 2;
  let u = 0;
  let mul = 1;
  for (;;) {
    if (p >= b.length || mul > 2 ** 63) throw new RangeError('bad varint in chunk');
    const c = b[p++];
    u += (c & 0x7f) * mul;
    if (c < 0x80) break;
    mul *= 128;
  }
  let t = u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  let pos = p * 8;
  let hi = window32(b, pos);
  let lo = window32(b, pos + 32);
  pos += 64;
  ts[off] = t;
  vbits[2 * off] = lo;
  vbits[2 * off + 1] = hi;
  let delta = 0;
  let leading = 0;
  let trailing = 0;
  for (let i = 1; i < n; i++) {
    if (i === 1) {
      // The first delta is a byte-aligned unsigned varint.
      p = pos >>> 3;
      u = 0;
      mul = 1;
      for (;;) {
        if (p >= b.length || mul > 2 ** 63) throw new RangeError('bad varint in chunk');
        const c = b[p++];
        u += (c & 0x7f) * mul;
        if (c < 0x80) break;
        mul *= 128;
      }
      delta = u;
      pos = p * 8;
    } else {
      const w = window32(b, pos);
      if (w >>> 31 === 0) pos += 1;
      else if ((w & 0x40000000) === 0) {
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
        const h = window32(b, pos) | 0;
        const l = window32(b, pos + 32);
        pos += 64;
        delta += h * TWO32 + l;
      }
    }
    t += delta;
    // Value: '0' same as before, '10' reuse the previous window, '11' new window (5 bits leading, 6 bits length).
    const w = window32(b, pos);
    if (w >>> 31 !== 0) {
      if ((w & 0x40000000) === 0) pos += 2;
      else {
        leading = (w >>> 25) & 31;
        let sig = (w >>> 19) & 63;
        if (sig === 0) sig = 64;
        trailing = 64 - leading - sig;
        if (trailing < 0) throw new RangeError('bad xor header');
        pos += 13;
      }
      const sig = 64 - leading - trailing;
      let h: number;
      let l: number;
      if (sig > 32) {
        h = window32(b, pos) >>> (64 - sig);
        l = window32(b, pos + sig - 32);
      } else {
        h = 0;
        l = sig === 32 ? window32(b, pos) : window32(b, pos) >>> (32 - sig);
      }
      pos += sig;
      // Shift (h:l) left by trailing and XOR into the previous value.
      if (trailing >= 32) {
        hi = (hi ^ (l << (trailing - 32))) >>> 0;
      } else if (trailing > 0) {
        hi = (hi ^ ((h << trailing) | (l >>> (32 - trailing)))) >>> 0;
        lo = (lo ^ (l << trailing)) >>> 0;
      } else {
        hi = (hi ^ h) >>> 0;
        lo = (lo ^ l) >>> 0;
      }
    } else pos += 1;
    const j = off + i;
    ts[j] = t;
    vbits[2 * j] = lo;
    vbits[2 * j + 1] = hi;
  }
  if (pos > totalBits) throw new RangeError('chunk truncated');
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
