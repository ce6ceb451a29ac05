import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.js';

test('Prometheus duration syntax', () => {
  const cases: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['15s', 15_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['1w', 7 * 86_400_000],
    ['1y', 365 * 86_400_000],
    ['1y2w3d4h5m6s7ms', 365 * 86_400_000 + 14 * 86_400_000 + 3 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000 + 7],
    ['90s', 90_000],
  ];
  for (const [s, ms] of cases) assert.equal(parseDuration(s), ms, s);
});

test('invalid durations are rejected with Prometheus messages', () => {
  for (const s of ['1x', '-1s', '1.5s', '30s1m', 's', '1 s', '1S', '1h ', '15']) {
    assert.throws(() => parseDuration(s), /not a valid duration string/, s);
  }
  assert.throws(() => parseDuration(''), /empty duration string/);
  assert.throws(() => parseDuration('300y'), /duration out of range/);
});

test('durations print as Prometheus prints them', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [15_000, '15s'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [7 * 86_400_000, '1w'],
    [8 * 86_400_000, '8d'],
    [500, '500ms'],
    [3_600_500, '1h500ms'],
  ];
  for (const [ms, s] of cases) assert.equal(formatDuration(ms), s, String(ms));
});
