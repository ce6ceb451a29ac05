/**
 * Bit-level reading and writing shared by both chunk encodings (chunk.ts: the head's XOR chunks; block-chunk.ts:
 * block chunks), including the Gorilla XOR value codec they have in common. Bits are most significant first.
 *
 * Floats travel as two 32-bit halves (hi, lo) of their IEEE bits, never as JS numbers, so every bit survives —
 * including the payload of the signalling stale-NaN marker.
 *
 * These run per sample on every query (decode) and every ingested sample (encode): keep the call shapes
 * monomorphic and small enough to inline, and measure decode/encode speed before and after any change.
 */
export const TWO32 = 4294967296;

/**
 * Scratch view for splitting a double into its halves: setFloat64(0, v), then getUint32(0) is hi and
 * getUint32(4) is lo. Synchronous use only.
 */
export const float64Halves = new DataView(new ArrayBuffer(8));

/**
 * The 32 bits starting at bit `pos`. Reads past the end yield zero bits (typed-array reads out of range are
 * undefined, which bitwise operators treat as 0); decoders check their final position instead.
 */
export function window32(b: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const w = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
  const sh = pos & 7;
  return sh === 0 ? w : ((w << sh) | (b[i + 4] >>> (8 - sh))) >>> 0;
}

/** n (0..53) bits at pos as a non-negative integer. */
export function readWide(b: Uint8Array, pos: number, n: number): number {
  if (n === 0) return 0;
  if (n <= 32) return window32(b, pos) >>> (32 - n);
  return (window32(b, pos) >>> (64 - n)) * TWO32 + window32(b, pos + n - 32);
}

/** Zig-zag: small magnitudes of either sign become small non-negative integers (exact up to 2^52). */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/**
 * The byte index just past the byte-aligned varint (7 bits a byte, low groups first) starting at byte p, or -1
 * when it does not end within b and maxBytes bytes.
 */
export function uvarintEnd(b: Uint8Array, p: number, maxBytes: number): number {
  const end = Math.min(b.length, p + maxBytes);
  for (let i = p; i < end; i++) if (b[i] < 0x80) return i + 1;
  return -1;
}

/** The value of the varint at byte p, whose end uvarintEnd has found. */
export function uvarintAt(b: Uint8Array, p: number): number {
  let u = 0;
  let mul = 1;
  for (;;) {
    const c = b[p++];
    u += (c & 0x7f) * mul;
    if (c < 0x80) return u;
    mul *= 128;
  }
}

/**
 * Growable bit buffer. The bytes beyond `pos` must be zero (writes OR into them): fresh buffers are, and
 * reset() clears what was written.
 */
export class BitWriter {
  buf: Uint8Array;
  /** Bits written so far. */
  pos: number;

  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  byteLength(): number {
    return (this.pos + 7) >>> 3;
  }

  /** Clears the written bytes and starts again at bit 0, keeping the (grown) buffer. */
  reset(): void {
    this.buf.fill(0, 0, this.byteLength());
    this.pos = 0;
  }

  /** Makes room for `bits` more bits. Writers call it once per sample rather than per field. */
  ensure(bits: number): void {
    const need = (this.pos + bits + 7) >>> 3;
    if (need <= this.buf.length) return;
    let size = Math.max(32, this.buf.length * 2);
    while (size < need) size *= 2;
    const next = this.alloc(size);
    next.set(this.buf.subarray(0, this.byteLength()));
    this.buf = next;
  }

  /** A zero-filled array of n bytes (the head's chunks override this to carve them out of shared slabs). */
  protected alloc(n: number): Uint8Array {
    return new Uint8Array(n);
  }

  /** Writes the low n (0..32) bits of v. Callers ensure() room first. */
  bits(v: number, n: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (n > 0) {
      const free = 8 - (pos & 7);
      const take = n < free ? n : free;
      buf[pos >>> 3] |= ((v >>> (n - take)) & ((1 << take) - 1)) << (free - take);
      n -= take;
      pos += take;
    }
    this.pos = pos;
  }

  /** Writes the low n (0..53) bits of a non-negative integer u < 2^53. */
  wide(u: number, n: number): void {
    if (n > 32) {
      this.bits(Math.floor(u / TWO32), n - 32);
      this.bits(u >>> 0, 32);
    } else this.bits(u >>> 0, n);
  }

  /** A non-negative integer as a varint (7 bits a byte, low groups first) in 8-bit fields. */
  uvarint(v: number): void {
    while (v >= 0x80) {
      this.bits((v & 0x7f) | 0x80, 8);
      v = v >= TWO32 ? Math.floor(v / 128) : v >>> 7;
    }
    this.bits(v, 8);
  }
}

/** leading = NO_WINDOW: no XOR window yet, the next non-zero XOR opens one. */
const NO_WINDOW = 0xff;

/** Shorter bytecode than Math.clz32 at each use, which keeps xorValue within TurboFan's inlining budget. */
const clz32 = Math.clz32;

/**
 * A bit writer that also writes Gorilla XOR values: '0' for the same value as before, else the XOR with the
 * previous value as '10' + its significant bits when they fit the previous window, or '11' + 5 bits of leading
 * zeros (at most 31) + 6 bits of length (64 stored as 0) + the significant bits.
 */
export class XorValueWriter extends BitWriter {
  /** The last value's bits as signed int32 halves (small integers stay unboxed in the object). */
  vHi = 0;
  vLo = 0;
  private leading = NO_WINDOW;
  private trailing = 0;

  /** The first value of a run: its 64 raw bits. Callers ensure() 64 bits. */
  firstValue(hi: number, lo: number): void {
    this.bits(hi, 32);
    this.bits(lo, 32);
    this.vHi = hi | 0;
    this.vLo = lo | 0;
    this.leading = NO_WINDOW;
    this.trailing = 0;
  }

  /** A later value of the run. Callers ensure() 77 bits. */
  xorValue(hi: number, lo: number): void {
    // Three bits() call sites and no more: TurboFan inlines this into the writers' loops only while its
    // bytecode, with every bits() inlined into it counted again, stays within budget. Measure after changes.
    const xh = (hi ^ this.vHi) >>> 0;
    const xl = (lo ^ this.vLo) >>> 0;
    this.vHi = hi | 0;
    this.vLo = lo | 0;
    let head = 0; // '0': the same value
    let headBits = 1;
    let h = 0;
    let l = 0;
    let sig = 0;
    if ((xh | xl) !== 0) {
      let leading = xh !== 0 ? clz32(xh) : 32 + clz32(xl);
      if (leading > 31) leading = 31;
      const trailing = xl !== 0 ? 31 - clz32(xl & -xl) : 63 - clz32(xh & -xh);
      // '10': the previous window holds the bits (never after NO_WINDOW, which exceeds any leading).
      head = 0b10;
      headBits = 2;
      if (leading < this.leading || trailing < this.trailing) {
        this.leading = leading;
        this.trailing = trailing;
        // '11', 5 bits of leading zeros, 6 bits of length (64 stored as 0).
        head = (0b11 << 11) | (leading << 6) | ((64 - leading - trailing) & 63);
        headBits = 13;
      }
      // The significant bits: (xh:xl) >> trailing, its low `sig` bits.
      const shift = this.trailing;
      sig = 64 - this.leading - shift;
      if (shift >= 32) l = xh >>> (shift - 32);
      else if (shift > 0) {
        h = xh >>> shift;
        l = ((xl >>> shift) | (xh << (32 - shift))) >>> 0;
      } else {
        h = xh;
        l = xl;
      }
    }
    this.bits(head, headBits);
    if (sig > 32) this.bits(h, sig - 32);
    this.bits(l, sig > 32 ? 32 : sig);
  }
}

/**
 * Reads what XorValueWriter wrote, one value at a time. hi and lo are the current value's halves as signed
 * int32 (stored into a Uint32Array they become the exact unsigned bits).
 */
export class XorValueReader {
  hi = 0;
  lo = 0;
  private leading = 0;
  private trailing = 0;

  /** Reads the first value's 64 raw bits at pos. Returns the position after them. */
  first(b: Uint8Array, pos: number): number {
    this.hi = window32(b, pos) | 0;
    this.lo = window32(b, pos + 32) | 0;
    this.leading = 0;
    this.trailing = 0;
    return pos + 64;
  }

  /**
   * Reads the next value at pos. Returns the position after it; reads past the end yield zero bits, so callers
   * check the final position against the input's length. Throws RangeError on an impossible window.
   * `w` may pass bits the caller has already read at pos: only its top 13 bits are used.
   */
  next(b: Uint8Array, pos: number, w = window32(b, pos)): number {
    // Kept small enough for TurboFan to inline into the decoders' loops (the bytecode budget is per caller).
    if (w >>> 31 === 0) return pos + 1;
    if ((w & 0x40000000) === 0) pos += 2;
    else {
      const leading = (w >>> 25) & 31;
      const sig = ((w >>> 19) & 63) || 64;
      if (leading + sig > 64) throw new RangeError('bad xor header');
      this.leading = leading;
      this.trailing = 64 - leading - sig;
      pos += 13;
    }
    const trailing = this.trailing;
    const sig = 64 - this.leading - trailing;
    // The significant bits as (h:l), then shifted left by trailing and XORed into the previous value.
    let h = 0;
    let l = window32(b, pos);
    if (sig > 32) {
      h = l >>> (64 - sig);
      l = window32(b, pos + sig - 32);
    } else l >>>= 32 - sig;
    if (trailing >= 32) this.hi ^= l << (trailing - 32);
    else if (trailing > 0) {
      this.hi ^= (h << trailing) | (l >>> (32 - trailing));
      this.lo ^= l << trailing;
    } else {
      this.hi ^= h;
      this.lo ^= l;
    }
    return pos + sig;
  }
}
