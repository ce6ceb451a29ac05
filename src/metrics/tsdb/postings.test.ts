import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gallop, intersect, subtract, union } from './postings.js';

/** Deterministic PRNG so a failure is reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function sortedSample(r: () => number, n: number, max: number): number[] {
  const set = new Set<number>();
  while (set.size < n) set.add(Math.floor(r() * max));
  return [...set].sort((x, y) => x - y);
}

test('gallop finds the first index whose value is >= x, from any start', () => {
  const a = [1, 3, 5, 7, 9, 11, 13, 15, 17];
  assert.equal(gallop(a, 0, 0), 0);
  assert.equal(gallop(a, 0, 1), 0);
  assert.equal(gallop(a, 0, 2), 1);
  assert.equal(gallop(a, 0, 16), 8);
  assert.equal(gallop(a, 0, 17), 8);
  assert.equal(gallop(a, 0, 18), 9);
  assert.equal(gallop(a, 4, 3), 4);
  assert.equal(gallop(a, 4, 12), 6);
  assert.equal(gallop([], 0, 5), 0);
});

test('intersect and subtract agree with set semantics for balanced and very unbalanced lists', () => {
  const r = rng(42);
  for (let round = 0; round < 300; round++) {
    const max = 1 + Math.floor(r() * 5000);
    const na = Math.floor(r() * Math.min(max, round % 3 === 0 ? 20 : 2000));
    const nb = Math.floor(r() * Math.min(max, round % 3 === 1 ? 20 : 2000));
    const a = sortedSample(r, na, max);
    const b = sortedSample(r, nb, max);
    const bs = new Set(b);
    const as = new Set(a);
    const inter = a.filter((x) => bs.has(x));
    assert.deepEqual(Array.from(intersect(a, b)), inter, `intersect round ${round}`);
    assert.deepEqual(Array.from(intersect(b, a)), inter, `intersect swapped round ${round}`);
    assert.deepEqual(Array.from(subtract(a, b)), a.filter((x) => !bs.has(x)), `a-b round ${round}`);
    assert.deepEqual(Array.from(subtract(b, a)), b.filter((x) => !as.has(x)), `b-a round ${round}`);
    assert.deepEqual(Array.from(intersect(Int32Array.from(a), Int32Array.from(b))), inter);
  }
});

test('one small list against 100,000 postings: galloping result matches, both directions', () => {
  const big = Array.from({ length: 100_000 }, (_, i) => i * 2);
  const small = [0, 1, 2, 999, 1000, 50_000, 199_998, 199_999, 300_000];
  assert.deepEqual(Array.from(intersect(big, small)), [0, 2, 1000, 50_000, 199_998]);
  assert.deepEqual(Array.from(subtract(small, big)), [1, 999, 199_999, 300_000]);
  const rest = subtract(big, small);
  assert.equal(rest.length, 100_000 - 5);
  assert.equal(rest[0], 4);
  assert.ok(!Array.from(rest).includes(50_000));
  assert.equal(rest[rest.length - 1], 199_996);
});

test('union of several lists deduplicates and sorts', () => {
  assert.deepEqual(Array.from(union([[1, 4], [2, 4, 9], [0]])), [0, 1, 2, 4, 9]);
  assert.deepEqual(Array.from(union([[1, 3], [3, 5]])), [1, 3, 5]);
});
