import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactionRanges, mergeChunkLists, planCompaction } from './compact.js';
import { decodeChunkArrays, encodeChunks } from './chunk.js';
import type { BlockMeta } from './block.js';

function meta(ulid: string, minTime: number, maxTime: number, level = 1): BlockMeta {
  return { ulid, minTime, maxTime, stats: { numSamples: 0, numSeries: 0, numChunks: 0 }, compaction: { level, sources: [ulid] }, version: 1 };
}

test('compaction ranges grow by 3x up to the cap', () => {
  assert.deepEqual(compactionRanges(2, 60), [2, 6, 18, 54]);
});

test('planner: overlapping blocks first, then complete aligned windows only', () => {
  const ranges = [10, 30, 90];
  assert.equal(planCompaction([meta('a', 0, 10), meta('b', 10, 20)], ranges), undefined, 'window [0,30) not complete');
  assert.deepEqual(
    planCompaction([meta('a', 0, 10), meta('b', 10, 20), meta('c', 20, 30)], ranges)?.map((m) => m.ulid),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    planCompaction([meta('a', 0, 10), meta('b', 10, 20), meta('c', 30, 40)], ranges)?.map((m) => m.ulid),
    ['a', 'b'],
  );
  assert.deepEqual(
    planCompaction([meta('x', 0, 30, 2), meta('c', 30, 40), meta('o', 5, 12)], ranges)?.map((m) => m.ulid),
    ['x', 'o'],
    'overlap wins',
  );
  assert.equal(planCompaction([meta('x', 0, 30, 2), meta('y', 30, 60, 2)], ranges), undefined);
  assert.deepEqual(
    planCompaction([meta('x', 0, 30, 2), meta('y', 30, 60, 2), meta('z', 60, 90, 2)], ranges)?.map((m) => m.ulid),
    ['x', 'y', 'z'],
  );
});

function chunks(ts: number[], vs: number[]) {
  const t = Float64Array.from(ts);
  const v = Float64Array.from(vs);
  return encodeChunks(t, new Uint32Array(v.buffer), 0, ts.length);
}

test('mergeChunkLists: disjoint chunks are reused, overlapping ones merged with the first list winning', () => {
  const a = chunks([1, 2, 3], [10, 20, 30]);
  const b = chunks([5, 6], [50, 60]);
  const disjoint = mergeChunkLists([b, a]);
  assert.equal(disjoint[0], a[0]);
  assert.equal(disjoint[1], b[0]);
  const c = chunks([2, 4, 6, 8], [-2, -4, -6, -8]);
  const merged = mergeChunkLists([c, a, b]);
  const all = merged.map((m) => decodeChunkArrays(m.bytes));
  assert.deepEqual(all.flatMap((x) => Array.from(x.ts)), [1, 2, 3, 4, 5, 6, 8]);
  assert.deepEqual(all.flatMap((x) => Array.from(x.vs)), [10, -2, 30, -4, 50, -6, -8]);
});
