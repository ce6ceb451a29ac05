/**
 * Byte-exact fixtures for both chunk encoders. Chunks already on disk (and the WAL-less head snapshots in
 * blocks) must decode the same forever, and re-encoding must not change sizes behind the benchmarks' back:
 * the hashes below were computed from the encoders as they were before they were moved onto the shared bit
 * writer and XOR value codec (bits.ts). A change here is a format change: bump the chunk encoding instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { XorChunkBuilder, decodeChunk, encodeChunks } from './chunk.js';
import { decodeBlockChunk, encodeBlockChunk, encodeBlockChunks } from './block-chunk.js';
import { STALE_NAN } from '../../model/value.js';

interface Series {
  ts: Float64Array;
  vs: Float64Array;
}

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/** Series shaped like node_exporter and application metrics, plus every corner the encoders branch on. */
function fixtureSeries(): Series[] {
  const out: Series[] = [];
  const make = (n: number, t0: number, f: (i: number, r: () => number) => [number, number], seed: number): void => {
    const r = rng(seed);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let t = t0;
    for (let i = 0; i < n; i++) {
      const [dt, v] = f(i, r);
      t += i === 0 ? 0 : dt;
      ts[i] = t;
      vs[i] = v;
    }
    out.push({ ts, vs });
  };
  const T0 = 1_700_000_000_000;
  const jitter = (r: () => number): number => 15_000 + (r() < 0.1 ? Math.floor(r() * 7) - 3 : 0);
  let c = 0;
  make(300, T0, (_i, r) => [jitter(r), (c += Math.floor(r() * 7))], 1); // counter, small increments
  make(300, T0 + 7, () => [15_000, 8_589_934_592], 2); // constant gauge
  let g = 1_200_000_000;
  make(300, T0, (_i, r) => [jitter(r), (g += (Math.floor(r() * 5) - 2) * 4096)], 3); // memory in pages
  make(300, T0, (_i, r) => [jitter(r), Math.round(r() * 400) / 100], 4); // load average, hundredths
  make(300, T0, (i, r) => [jitter(r), Math.sin(i / 9) * 3.7 + r() * 1e-3], 5); // arbitrary floats
  let cpu = 12_345.67;
  make(300, T0, (_i, r) => [jitter(r), (cpu = Math.round((cpu + r() * 15) * 100) / 100)], 6); // CPU seconds
  make(
    130,
    T0,
    (i, r) => [jitter(r), i % 17 === 5 ? STALE_NAN : i % 23 === 3 ? NaN : i % 29 === 7 ? -0 : r() * 1e6],
    7,
  ); // stale markers, NaN, negative zero among floats
  make(
    140,
    -5_000_000,
    (i, r) => {
      const gaps = [1, 15_000, 16_000, 3_600_000, 9_000_000, 2 ** 33, 1, 7_777, 2 ** 24 + 3, 30_000];
      return [gaps[i % gaps.length] + Math.floor(r() * 3), [Infinity, -Infinity, 1e300, 5e-324, -1e-300, 2 ** 53][i % 6]];
    },
    8,
  ); // negative first timestamp, every delta-of-delta bucket, extreme values
  make(130, T0, (i) => [15_000, 2 ** 51 + i * 3], 9); // integers too large for the decimal mode
  make(130, T0, (i, r) => [15_000, Math.round(r() * 1e12) / 1e9 - i], 10); // nine decimal places
  make(130, T0, (_i, r) => [60_000, -Math.round(r() * 1e6)], 11); // negative integers
  make(1, T0, () => [0, 42], 12);
  make(2, T0, () => [15_000, 0.5], 13);
  return out;
}

function bitsOf(vs: Float64Array): Uint32Array {
  return new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
}

/** sha256 over each chunk's length (4 bytes BE) and bytes. */
function digest(chunks: Uint8Array[]): string {
  const h = createHash('sha256');
  const len = Buffer.alloc(4);
  for (const c of chunks) {
    len.writeUInt32BE(c.length);
    h.update(len);
    h.update(c);
  }
  return h.digest('hex');
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function xorChunks(series: Series[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of series) {
    // As the head builds them: one sample at a time, from float values, with the builder reused.
    const b = new XorChunkBuilder();
    for (let i = 0; i < s.ts.length; i++) {
      if (b.count === 120) {
        out.push(b.bytes().slice());
        b.reset();
      }
      b.append(s.ts[i], s.vs[i]);
    }
    out.push(b.bytes().slice());
    // As compaction re-encodes them: from raw value bits.
    for (const c of encodeChunks(s.ts, bitsOf(s.vs), 0, s.ts.length)) out.push(c.bytes);
  }
  return out;
}

function blockChunks(series: Series[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of series) {
    for (const c of encodeBlockChunks(s.ts, s.vs, 0, s.ts.length)) out.push(c.bytes);
    for (const c of encodeBlockChunks(s.ts, s.vs, 0, s.ts.length, 120)) out.push(c.bytes);
  }
  return out;
}

test('XOR (head) chunks: bytes identical to the fixture', () => {
  const chunks = xorChunks(fixtureSeries());
  assert.equal(chunks.length, 60);
  assert.equal(hex(chunks[chunks.length - 1]), '000280a0abfef9623fe0000000000000987500');
  assert.equal(digest(chunks), '7243f1695fadf3103087cdf2164afb5744d3b9cd399883f7b63947e1d09df1ef');
});

test('block chunks: bytes identical to the fixture', () => {
  const chunks = blockChunks(fixtureSeries());
  assert.equal(chunks.length, 49);
  assert.equal(hex(encodeBlockChunk(fixtureSeries()[3].ts, fixtureSeries()[3].vs, 0, 5)), '05033ba9804c1326d95e691c9e');
  assert.equal(hex(encodeBlockChunk(fixtureSeries()[4].ts, fixtureSeries()[4].vs, 0, 5)), '05003ba9807e94fd35b26e978fa3790381bdac30877182c9f19984b3fd7ae502bcee9f5cae514e28cea18b40');
  assert.equal(digest(chunks), 'c919d8250f1c8dcb8dc39f2d68614a3898bec982e8565803793522c702a9ca90');
});

test('fixture series round-trip bit-exactly through both encodings', () => {
  for (const s of fixtureSeries()) {
    const n = s.ts.length;
    const want = bitsOf(s.vs);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    let off = 0;
    for (const c of encodeChunks(s.ts, want, 0, n)) off += decodeChunk(c.bytes, ts, bitsOf(vs), off);
    assert.equal(off, n);
    assert.deepEqual(ts, s.ts);
    assert.deepEqual(bitsOf(vs), want);
    ts.fill(0);
    vs.fill(0);
    off = 0;
    for (const c of encodeBlockChunks(s.ts, s.vs, 0, n)) off += decodeBlockChunk(c.bytes, c.minT, ts, vs, off);
    assert.equal(off, n);
    assert.deepEqual(ts, s.ts);
    assert.deepEqual(bitsOf(vs), want);
  }
});
