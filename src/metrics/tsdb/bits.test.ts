import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BitWriter,
  XorValueReader,
  XorValueWriter,
  readWide,
  unzigzag,
  uvarintAt,
  uvarintEnd,
  window32,
  zigzag,
} from './bits.js';

test('bit writer and window reads agree at every alignment, past-the-end bits read as zero', () => {
  const w = new BitWriter(new Uint8Array(1));
  const fields: [number, number][] = [];
  for (let k = 0; k < 200; k++) {
    const n = 1 + ((k * 7) % 32);
    const v = (Math.imul(k + 1, 2654435761) >>> 0) % 2 ** n;
    fields.push([v, n]);
    w.ensure(n);
    w.bits(v, n);
  }
  const b = w.buf.subarray(0, w.byteLength());
  let pos = 0;
  for (const [v, n] of fields) {
    assert.equal(window32(b, pos) >>> (32 - n), v);
    assert.equal(readWide(b, pos, n), v);
    pos += n;
  }
  assert.equal(pos, w.pos);
  assert.equal(window32(b, b.length * 8), 0);
  w.reset();
  assert.equal(w.pos, 0);
  assert.ok(w.buf.every((x) => x === 0), 'reset clears what was written');
});

test('wide fields up to 53 bits and byte varints round-trip', () => {
  const w = new BitWriter(new Uint8Array(8));
  const values = [0, 1, 127, 128, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 123_456_789_012];
  w.ensure(3);
  w.bits(0b101, 3);
  for (const u of values) {
    w.ensure(53);
    w.wide(u, 53);
  }
  let pos = 3;
  const b = w.buf;
  for (const u of values) {
    assert.equal(readWide(b, pos, 53), u);
    pos += 53;
  }
  const v = new BitWriter(new Uint8Array(4));
  for (const u of values) {
    v.ensure(80);
    v.uvarint(u);
  }
  let p = 0;
  for (const u of values) {
    const end = uvarintEnd(v.buf, p, 10);
    assert.ok(end > p);
    assert.equal(uvarintAt(v.buf, p), u);
    p = end;
  }
  assert.equal(p, v.byteLength());
  assert.equal(uvarintEnd(Uint8Array.of(0x80, 0x80), 0, 10), -1, 'unterminated');
  assert.equal(uvarintEnd(Uint8Array.of(0x80, 0x80, 0x01), 0, 2), -1, 'too long');
  for (const x of [0, 1, -1, 2 ** 40, -(2 ** 40)]) assert.equal(unzigzag(zigzag(x)), x);
});

test('XOR values round-trip bit-exactly, signalling NaN payloads included', () => {
  const vals = new Float64Array([1, 1, 2, -0, 0, 1e300, 5e-324, Infinity, NaN, 0.1, 0.2, 0.30000000000000004, 42, 42]);
  const bits = new Uint32Array(vals.buffer);
  // A signalling NaN with a payload (like the stale marker) and a value differing only in the lowest bit.
  bits.set([2, 0x7ff00000, 3, 0x7ff00000], 2 * 11);
  const w = new XorValueWriter(new Uint8Array(0));
  w.ensure(64);
  w.firstValue(bits[1], bits[0]);
  for (let i = 1; i < vals.length; i++) {
    w.ensure(77);
    w.xorValue(bits[2 * i + 1], bits[2 * i]);
  }
  const r = new XorValueReader();
  const out = new Uint32Array(bits.length);
  let pos = r.first(w.buf, 0);
  out[0] = r.lo;
  out[1] = r.hi;
  for (let i = 1; i < vals.length; i++) {
    pos = r.next(w.buf, pos);
    out[2 * i] = r.lo;
    out[2 * i + 1] = r.hi;
  }
  assert.equal(pos, w.pos);
  assert.deepEqual(out, bits);
});

test('an impossible XOR window is a RangeError', () => {
  // '11', leading 31, length 63: 94 bits.
  const b = Uint8Array.of(0xff, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  const r = new XorValueReader();
  assert.throws(() => r.next(b, 0), RangeError);
});
