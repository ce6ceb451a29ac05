import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_BLOCK_CHUNK_SAMPLES,
  blockChunkCount,
  decodeBlockChunk,
  encodeBlockChunk,
  encodeBlockChunks,
} from './block-chunk.js';
import { encodeChunks } from './chunk.js';
import { STALE_NAN } from '../../model/value.js';

const dv = new DataView(new ArrayBuffer(8));
function bitsOf(v: number): string {
  dv.setFloat64(0, v);
  return dv.getUint32(0).toString(16) + ':' + dv.getUint32(4).toString(16);
}

/** Mode byte of an encoded chunk: 0 float, 1 + e decimal. */
function modeOf(b: Uint8Array): number {
  let p = 0;
  while (b[p] >= 0x80) p++;
  return b[p + 1];
}

function roundTrip(ts: number[], vs: number[]): Uint8Array {
  const v = Float64Array.from(vs);
  const bytes = encodeBlockChunk(ts, v, 0, ts.length);
  assert.equal(blockChunkCount(bytes), ts.length);
  const outT = new Float64Array(ts.length + 3);
  const outV = new Float64Array(ts.length + 3);
  assert.equal(decodeBlockChunk(bytes, ts[0], outT, outV, 3), ts.length);
  assert.deepEqual(Array.from(outT.subarray(3)), ts);
  for (let i = 0; i < vs.length; i++) assert.equal(bitsOf(outV[3 + i]), bitsOf(vs[i]), `value ${i}: ${vs[i]}`);
  return bytes;
}

function scrapeTimes(n: number, start = 1_700_000_000_000): number[] {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) ts.push(start + i * 15_000 + (i % 17 === 0 ? 1 : i % 23 === 0 ? -2 : 0));
  return ts;
}

function xorSize(ts: number[], vs: number[]): number {
  const v = Float64Array.from(vs);
  return encodeChunks(ts, new Uint32Array(v.buffer), 0, ts.length).reduce((a, c) => a + c.bytes.length, 0);
}

test('decimal values (CPU seconds in hundredths, byte counters, gauges) round-trip exactly and beat XOR', () => {
  const ts = scrapeTimes(240);
  const cases: [string, number[], number][] = [];
  let cpu = 81234.56;
  let bytes = 987_654_321_000;
  let load = 1.5;
  const cpuV: number[] = [];
  const bytesV: number[] = [];
  const loadV: number[] = [];
  for (let i = 0; i < 240; i++) {
    cpu = Math.round(cpu * 100 + 700 + ((i * 37) % 300)) / 100;
    bytes += 3_000_000 + ((i * 7919) % 1_000_000);
    load = Math.max(0, Math.round(load * 100 + ((i * 13) % 21) - 10) / 100);
    cpuV.push(cpu);
    bytesV.push(bytes);
    loadV.push(-load);
  }
  cases.push(['cpu', cpuV, 3], ['bytes', bytesV, 1], ['negative gauge', loadV, 3]);
  for (const [name, vs, mode] of cases) {
    const b = roundTrip(ts, vs);
    assert.equal(modeOf(b), mode, `${name}: decimal mode`);
    assert.ok(b.length < xorSize(ts, vs), `${name}: ${b.length} bytes, XOR ${xorSize(ts, vs)}`);
  }
  // A constant series: about a bit per value, and scrape jitter costs 6 bits per delta of deltas.
  const constant = roundTrip(ts, ts.map(() => 1));
  assert.ok(constant.length < xorSize(ts, ts.map(() => 1)), `constant: ${constant.length} bytes`);
});

test('special floats keep exact bits and force the float mode: NaN, ±Inf, stale NaN, -0, subnormals', () => {
  const floats = [-0, NaN, STALE_NAN, Infinity, -Infinity, 5e-324, -5e-324, 1.7976931348623157e308, 0.1 + 0.2];
  for (const s of floats) assert.equal(modeOf(roundTrip(scrapeTimes(6), [1, 2, s, 3, s, s])), 0, `float mode for ${s}`);
  assert.equal(modeOf(roundTrip(scrapeTimes(4), [0, 0.5, 0, 0.25])), 3);
  // Integers at or above 2^50 cannot be decimal (deltas of deltas would lose bits).
  assert.equal(modeOf(roundTrip(scrapeTimes(3), [2 ** 50, 2 ** 50 + 1, 2 ** 50 + 3])), 0);
  assert.equal(modeOf(roundTrip(scrapeTimes(3), [2 ** 50 - 3, 2 ** 50 - 2, 2 ** 50 - 1])), 1);
  assert.equal(modeOf(roundTrip(scrapeTimes(3), [-(2 ** 50) + 1, 0, 2 ** 50 - 1])), 1);
});

test('timestamps: one and two samples, jitter, huge and negative deltas of deltas, negative times', () => {
  roundTrip([1_700_000_000_000], [42]);
  roundTrip([1_700_000_000_000, 1_700_000_015_000], [42, 43.5]);
  roundTrip([-5_000_000, -4_000_000, -3_999_999, 0, 1], [1, 2, 3, 4, 5]);
  const t = [0, 1, 2, 10, 9000, 9001, 2 ** 33, 2 ** 33 + 5, 2 ** 45, 2 ** 45 + 1, 2 ** 52];
  roundTrip(t, t.map((x, i) => i * 0.5));
  // Every delta-of-delta bucket edge.
  const ts = [1_000_000, 1_015_000];
  let d = 15_000;
  for (const dod of [0, -8, 7, 8, -9, 8191, -8192, 8192, -8193, 2 ** 23 - 1, -(2 ** 23), 2 ** 23, -(2 ** 23) - 1, 2 ** 40]) {
    d += dod;
    if (d <= 0) d = 1;
    ts.push(ts[ts.length - 1] + d);
  }
  roundTrip(ts, ts.map((_, i) => i));
});

test('random series round-trip in both modes', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let c = 0; c < 300; c++) {
    const n = 1 + Math.floor(rnd() * 300);
    const ts: number[] = [];
    const vs: number[] = [];
    let t = Math.floor(rnd() * 2 ** 41);
    const e = Math.floor(rnd() * 5);
    for (let i = 0; i < n; i++) {
      t += 1 + Math.floor(rnd() < 0.9 ? 15_000 : rnd() * 2 ** (1 + Math.floor(rnd() * 40)));
      ts.push(t);
      const kind = c % 3;
      vs.push(kind === 0 ? Math.round((rnd() - 0.5) * 10 ** (3 + e * 2)) / 10 ** e : kind === 1 ? (rnd() - 0.5) * 10 ** (rnd() * 20) : rnd() < 0.05 ? STALE_NAN : i);
    }
    roundTrip(ts, vs);
  }
});

test('encodeBlockChunks splits into even chunks of at most 240 samples, each with its time range', () => {
  const ts = scrapeTimes(481);
  const vs = Float64Array.from(ts, (_, i) => i * 3);
  const chunks = encodeBlockChunks(ts, vs, 0, ts.length);
  assert.deepEqual(chunks.map((c) => blockChunkCount(c.bytes)), [160, 160, 161]);
  assert.ok(chunks.every((c) => blockChunkCount(c.bytes) <= MAX_BLOCK_CHUNK_SAMPLES));
  assert.equal(chunks[0].minT, ts[0]);
  assert.equal(chunks[2].maxT, ts[480]);
  const outT = new Float64Array(481);
  const outV = new Float64Array(481);
  let n = 0;
  for (const c of chunks) n += decodeBlockChunk(c.bytes, c.minT, outT, outV, n);
  assert.deepEqual(Array.from(outT), ts);
  assert.deepEqual(Array.from(outV), Array.from(vs));
});

test('truncated or garbage chunks throw RangeError, never hang or return more than they hold', () => {
  const ts = scrapeTimes(200);
  const good = encodeBlockChunk(ts, Float64Array.from(ts, (_, i) => Math.sin(i)), 0, 200);
  const goodDec = encodeBlockChunk(ts, Float64Array.from(ts, (_, i) => i * i), 0, 200);
  const outT = new Float64Array(1000);
  const outV = new Float64Array(1000);
  for (const g of [good, goodDec]) {
    for (const cut of [0, 1, 2, 5, g.length >> 1, g.length - 8]) {
      assert.throws(() => decodeBlockChunk(g.subarray(0, cut), 0, outT, outV, 0), RangeError, `cut at ${cut}`);
    }
  }
  let seed = 3;
  for (let k = 0; k < 2000; k++) {
    const junk = new Uint8Array(1 + (k % 64));
    for (let i = 0; i < junk.length; i++) junk[i] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24;
    try {
      const n = decodeBlockChunk(junk, 0, outT, outV, 0);
      assert.ok(n <= junk.length * 8, 'cannot hold more samples than bits');
    } catch (e) {
      assert.ok(e instanceof RangeError, String(e));
    }
  }
});
