/**
 * Growable byte writer and cursor reader with unsigned/zig-zag varints (LEB128, as Go's encoding/binary)
 * and fixed-width little-endian fields. Numbers are JS doubles, so varints carry integers up to 2^53.
 */
const TWO32 = 4294967296;

export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned varint; v must be a non-negative integer below 2^53. */
  uvarint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v = v >= TWO32 ? Math.floor(v / 128) : v >>> 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zig-zag signed varint for integers in ±2^52. */
  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  u32be(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, false);
    this.pos += 4;
  }

  /** Writes the float's exact bits (DataView keeps signalling-NaN payloads such as the stale marker). */
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** Copies raw float bits given as two 32-bit halves (hi, lo) — used when the bits came from a decoder. */
  f64bits(hi: number, lo: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, lo, true);
    this.view.setUint32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Length-prefixed UTF-8 string. */
  str(s: string): void {
    // Worst case 3 bytes per UTF-16 unit.
    this.ensure(10 + s.length * 3);
    const lenPos = this.pos;
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.uvarint(s.length);
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
      return;
    }
    const enc = encoder.encode(s);
    this.pos = lenPos;
    this.uvarint(enc.length);
    this.bytes(enc);
  }

  /** A copy of the written bytes. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  view32(): DataView {
    return this.view;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export class ByteReader {
  buf: Uint8Array;
  pos: number;
  end: number;
  private view: DataView;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw new RangeError('read past end');
    return this.buf[this.pos++];
  }

  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    let x = 0;
    let mul = 1;
    for (;;) {
      if (p >= this.end) throw new RangeError('truncated varint');
      const c = b[p++];
      x += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 63) throw new RangeError('varint overflow');
    }
    this.pos = p;
    return x;
  }

  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  u32(): number {
    if (this.pos + 4 > this.end) throw new RangeError('read past end');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32be(): number {
    if (this.pos + 4 > this.end) throw new RangeError('read past end');
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }

  f64(): number {
    if (this.pos + 8 > this.end) throw new RangeError('read past end');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  bytes(n: number): Uint8Array {
    if (this.pos + n > this.end) throw new RangeError('read past end');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    const n = this.uvarint();
    if (this.pos + n > this.end) throw new RangeError('read past end');
    const s = decodeUtf8(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

/** Short ASCII strings decode faster by hand than through TextDecoder. */
export function decodeUtf8(b: Uint8Array, start: number, end: number): string {
  if (end - start < 32) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (b[i] > 0x7f) {
        ascii = false;
        break;
      }
    }
    // One call builds a flat string (char-by-char concatenation would build a rope of cons strings).
    if (ascii) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }
  return decoder.decode(b.subarray(start, end));
}
