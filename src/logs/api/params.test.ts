import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequest, defaultStepMs, parseDirection, parseLimit, parseLokiDurationMs, parseLokiTime } from './params.js';

test('timestamps: ns, s (≤10 digits), float seconds, RFC 3339 with nanoseconds', () => {
  assert.equal(parseLokiTime('1700000000000000000', 0n), 1700000000000000000n);
  assert.equal(parseLokiTime('1700000000', 0n), 1700000000000000000n);
  assert.equal(parseLokiTime('1700000000.25', 0n), 1700000000250000000n);
  assert.equal(parseLokiTime('2023-11-14T22:13:20.123456789Z', 0n), 1700000000123456789n);
  assert.equal(parseLokiTime('2023-11-15T00:13:20+02:00', 0n), 1700000000000000000n);
  assert.equal(parseLokiTime(undefined, 42n), 42n);
  assert.throws(() => parseLokiTime('yesterday', 0n), BadRequest);
});

test('durations, default step, direction, limit', () => {
  assert.equal(parseLokiDurationMs('15', 'step'), 15000);
  assert.equal(parseLokiDurationMs('1m30s', 'step'), 90000);
  assert.equal(parseLokiDurationMs('0.5', 'step'), 500);
  assert.equal(defaultStepMs(0n, 3600n * 1000000000n), 14000);
  assert.equal(defaultStepMs(0n, 60n * 1000000000n), 1000);
  assert.equal(parseDirection('FORWARD'), 'forward');
  assert.equal(parseDirection(undefined), 'backward');
  assert.throws(() => parseDirection('up'), BadRequest);
  assert.equal(parseLimit(undefined), 100);
  assert.throws(() => parseLimit('0'), BadRequest);
  assert.throws(() => parseLimit('6000'), /max entries limit/);
});
