/** Unit tests for the UI's pure helpers (formatting, URL state, series alignment). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  autoStepSeconds,
  formatBytes,
  formatCount,
  formatDuration,
  formatSeriesName,
  formatValue,
  humanizeSeconds,
  parseDuration,
  parseSampleValue,
  relativeTime,
} from '../../src/ui/lib/format.js';
import { parseQueryState, serializeQueryState } from '../../src/ui/lib/query-state.js';
import { alignMatrix } from '../../src/ui/lib/series.js';

test('formatSeriesName puts the name first, sorts labels and escapes values', () => {
  assert.equal(formatSeriesName({ job: 'a', __name__: 'up', instance: 'h:1' }), 'up{instance="h:1", job="a"}');
  assert.equal(formatSeriesName({ __name__: 'up' }), 'up');
  assert.equal(formatSeriesName({}), '{}');
  assert.equal(formatSeriesName({ job: 'x' }), '{job="x"}');
  assert.equal(formatSeriesName({ path: 'C:\\x "y"\n' }), '{path="C:\\\\x \\"y\\"\\n"}');
});

test('parseSampleValue understands Prometheus special values', () => {
  assert.equal(parseSampleValue('+Inf'), Infinity);
  assert.equal(parseSampleValue('-Inf'), -Infinity);
  assert.ok(Number.isNaN(parseSampleValue('NaN')));
  assert.equal(parseSampleValue('1.5e3'), 1500);
});

test('formatValue uses SI prefixes', () => {
  assert.equal(formatValue(0), '0');
  assert.equal(formatValue(1234567), '1.23M');
  assert.equal(formatValue(-2500), '-2.5k');
  assert.equal(formatValue(0.00042), '420µ');
  assert.equal(formatValue(0.25), '250m');
  assert.equal(formatValue(42), '42');
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(1e-12), '1.00e-12');
});

test('durations parse and format like Prometheus', () => {
  assert.equal(parseDuration('1h30m'), 5400_000);
  assert.equal(parseDuration('7d'), 7 * 86400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1x'), null);
  assert.equal(parseDuration(''), null);
  assert.equal(parseDuration('h'), null);
  assert.equal(formatDuration(5400_000), '1h30m');
  assert.equal(formatDuration(2 * 86400_000), '2d');
});

test('autoStepSeconds targets about 250 points, at least 1s', () => {
  assert.equal(autoStepSeconds(3600_000), 14);
  assert.equal(autoStepSeconds(5 * 60_000), 1);
  assert.equal(autoStepSeconds(60_000), 1);
  assert.equal(autoStepSeconds(7 * 86400_000), 2419);
});

test('humanizeSeconds, relativeTime, formatBytes, formatCount', () => {
  assert.equal(humanizeSeconds(0.0123), '12.3ms');
  assert.equal(humanizeSeconds(0.000004), '4µs');
  assert.equal(humanizeSeconds(75), '1m 15s');
  const now = Date.parse('2026-01-01T00:01:00Z');
  assert.equal(relativeTime('2026-01-01T00:00:48Z', now), '12s ago');
  assert.equal(relativeTime('2026-01-01T00:00:59.7Z', now), 'just now');
  assert.equal(relativeTime('0001-01-01T00:00:00Z', now), 'never');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatCount(1234567), '1,234,567');
});

test('query state round-trips through the URL, Prometheus-style', () => {
  const s = { expr: 'rate(x[5m]) > 0 & y', range: '3h', endMs: Date.parse('2026-01-01T10:00:00Z'), stepSeconds: 30, tab: 'table' as const };
  assert.deepEqual(parseQueryState('?' + serializeQueryState(s)), s);
  // Links from Prometheus' own UI.
  const p = parseQueryState('?g0.expr=up&g0.tab=0&g0.range_input=15m');
  assert.deepEqual(p, { expr: 'up', range: '15m', endMs: null, stepSeconds: null, tab: 'graph' });
  // Garbage falls back to defaults instead of breaking the page.
  assert.deepEqual(parseQueryState('?g0.range_input=banana&g0.end_input=nope&g0.step_input=-3'), {
    expr: '',
    range: '1h',
    endMs: null,
    stepSeconds: null,
    tab: 'graph',
  });
});

test('alignMatrix puts series on one step grid with gaps as null', () => {
  const a = alignMatrix(
    [
      { metric: { __name__: 'a' }, values: [[100, '1'], [110, '2'], [130, 'NaN']] },
      { metric: { __name__: 'b', x: 'y' }, values: [[120, '+Inf'], [130, '4']] },
    ],
    100,
    130,
    10,
  );
  assert.deepEqual(a.times, [100, 110, 120, 130]);
  assert.deepEqual(a.columns, [
    [1, 2, null, null],
    [null, null, null, 4],
  ]);
  assert.deepEqual(a.names, ['a', 'b{x="y"}']);
});
