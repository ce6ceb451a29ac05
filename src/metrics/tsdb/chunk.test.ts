import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XorChunkBuilder, decodeChunk, chunkCount, encodeChunks } from './chunk.js';
import { STALE_NAN } from '../../model/value.js';

const dv = new DataView(new ArrayBuffer(8));
function bitsOf(v: number): string {
  dv.setFloat64(0, v);
  return dv.getUint32(0).toString(16) + ':' + dv.getUint32(4).toString(16);
}

function roundTrip(ts: number[], vs: number[]): void {
  const b = new XorChunkBuilder();
  for (let i = 0; i < ts.length; i++) b.append(ts[i], vs[i]);
  const bytes = b.bytes().slice();
  assert.equal(chunkCount(bytes), ts.length);
  const outT = new Float64Array(ts.length);
  const outV = new Float64Array(ts.length);
  const bits = new Uint32Array(outV.buffer);
  assert.equal(decodeChunk(bytes, outT, bits, 0), ts.length);
  assert.deepEqual(Array.from(outT), ts);
  for (let i = 0; i < vs.length; i++) {
    const want = bitsOf(vs[i]);
    const got = bits[2 * i + 1].toString(16) + ':' + bits[2 * i].toString(16);
    assert.equal(got, want, `value ${i}`);
  }
}

test('regular scrape-like series round-trips and compresses', () => {
  const ts: number[] = [];
  const vs: number[] = [];
  let c = 1000;
  for (let i = 0; i < 120; i++) {
    ts.push(1_700_000_000_000 + i * 15_000 + (i % 3 === 0 ? 3 : 0));
    c += Math.floor(i * 7.3) % 50;
    vs.push(c);
  }
  roundTrip(ts, vs);
  const b = new XorChunkBuilder();
  for (let i = 0; i < ts.length; i++) b.append(ts[i], vs[i]);
  assert.ok(b.byteLength() / 120 < 4, `bytes/sample ${b.byteLength() / 120}`);
});

test('special floats keep exact bits: NaN, ±Inf, stale NaN, -0, subnormals', () => {
  const vs = [1, NaN, Infinity, -Infinity, STALE_NAN, -0, 5e-324, Number.MAX_VALUE, 0.1, STALE_NAN, 2];
  roundTrip(
    vs.map((_, i) => 1000 + i * 10),
    vs,
  );
  // Stale NaN specifically keeps its signalling payload 0x7ff0000000000002.
  const b = new XorChunkBuilder();
  b.append(1, STALE_NAN);
  const outT = new Float64Array(1);
  const bits = new Uint32Array(2);
  decodeChunk(b.bytes(), outT, bits, 0);
  assert.equal(bits[1], 0x7ff00000);
  assert.equal(bits[0], 2);
});

test('big, irregular and negative timestamp deltas', () => {
  const ts = [-5_000_000_000_000, -1, 0, 1, 8193, 8194, 600_000, 600_001, 50_000_000, 50_000_002, 9_000_000_000_000, 9_000_000_000_001];
  roundTrip(ts, ts.map((t, i) => (i % 2 ? -t / 3 : i)));
  roundTrip([5], [42]);
  roundTrip([5, 10], [42, 43]);
});

test('random values round-trip', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const ts: number[] = [];
  const vs: number[] = [];
  let t = 0;
  for (let i = 0; i < 120; i++) {
    t += 1 + Math.floor(rnd() * 100000);
    ts.push(t);
    vs.push(rnd() < 0.2 ? Math.floor(rnd() * 10) : (rnd() - 0.5) * 1e6);
  }
  roundTrip(ts, vs);
});

test('encodeChunks splits at 120 samples', () => {
  const n = 250;
  const ts = new Float64Array(n).map((_, i) => i * 1000);
  const vs = new Float64Array(n).map((_, i) => i);
  const chunks = encodeChunks(ts, new Uint32Array(vs.buffer), 0, n);
  assert.deepEqual(chunks.map((c) => chunkCount(c.bytes)), [120, 120, 10]);
  assert.equal(chunks[1].minT, 120_000);
  assert.equal(chunks[2].maxT, 249_000);
});

test('sortAsync sorts large arrays stably enough and completely', async () => {
  const { sortAsync } = await import('./compact.js');
  const arr = Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 50_000);
  await sortAsync(arr, (a, b) => a - b);
  for (let i = 0; i < arr.length; i++) assert.equal(arr[i], i);
});

test('truncated or garbage chunks throw RangeError instead of returning garbage silently', () => {
  const b = new XorChunkBuilder();
  for (let i = 0; i < 100; i++) b.append(i * 1000 + (i % 7), i * 1.5);
  const good = b.copyBytes();
  const outT = new Float64Array(200);
  const bits = new Uint32Array(400);
  assert.throws(() => decodeChunk(good.subarray(0, good.length - 20), outT, bits, 0), RangeError);
  let seed = 1;
  for (let k = 0; k < 200; k++) {
    const junk = new Uint8Array(40).map(() => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    junk[0] = 0;
    try {
      decodeChunk(junk, outT, bits, 0);
    } catch (e) {
      assert.ok(e instanceof RangeError);
    }
  }
});
