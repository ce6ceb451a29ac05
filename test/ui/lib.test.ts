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
import { readFileSync } from 'node:fs';
import { formToTraceQL, logsCodec, parseQueryState, queryWindow, serializeQueryState, tracesCodec } from '../../src/ui/lib/query-state.js';
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

test('Logs links keep their parameters: query, range, end (ms) and limit; bad values fall back', () => {
  const old = '?query=%7Bjob%3D%22api%22%7D&range=15m&end=1767261600000&limit=5000';
  const s = logsCodec.parse(old);
  assert.deepEqual(s, { query: '{job="api"}', range: '15m', endMs: 1767261600000, limit: 5000 });
  assert.equal('?' + logsCodec.serialize(s), old);
  assert.deepEqual(logsCodec.parse('?query=x&range=soon&end=-5&limit=7'), { query: 'x', range: '1h', endMs: null, limit: 1000 });
  // Defaults stay out of the URL.
  assert.equal(logsCodec.serialize({ query: ' {a="b"} ', range: '1h', endMs: null, limit: 1000 }), 'query=%7Ba%3D%22b%22%7D&range=1h');
});

test('Traces links keep their parameters; a bare /traces is no search; end is optional', () => {
  const form = tracesCodec.parse('?service=frontend&minDuration=100ms&range=3h&limit=50');
  assert.equal(form.mode, 'form');
  assert.equal(form.service, 'frontend');
  assert.equal(form.minDuration, '100ms');
  assert.equal(form.range, '3h');
  assert.equal(form.limit, 50);
  assert.equal(form.endMs, null);
  assert.equal(form.searched, true);
  assert.equal(tracesCodec.serialize(form), 'service=frontend&minDuration=100ms&range=3h&limit=50');
  const ql = tracesCodec.parse('?mode=traceql&q=%7B+status+%3D+error+%7D&range=1h&end=1767261600000');
  assert.deepEqual([ql.mode, ql.q, ql.endMs], ['traceql', '{ status = error }', 1767261600000]);
  assert.equal(tracesCodec.parse('').searched, false);
  assert.equal(tracesCodec.parse('?limit=3').limit, 20);
});

test('formToTraceQL: one span satisfies every field; a malformed quoted tag does not throw', () => {
  assert.equal(
    formToTraceQL({ service: 'api', operation: 'GET /', tags: 'http.status_code=500 error=true', minDuration: '100ms', maxDuration: '' }),
    '{ resource.service.name = "api" && name = "GET /" && (.http.status_code = 500 || .http.status_code = "500") && status = error && duration >= 100ms }',
  );
  // \q is no JSON escape: the value is taken as written (the backslash then escaped for TraceQL).
  assert.equal(formToTraceQL({ service: '', operation: '', tags: 'path="a\\qb"', minDuration: '', maxDuration: '' }), '{ .path = "a\\\\qb" }');
});

test('queryWindow aligns both ends to the step: floor for graphs, ceil for buckets that must cover now', () => {
  const now = Date.parse('2026-01-01T10:00:07Z');
  assert.deepEqual(queryWindow({ range: '1m', endMs: null }, 5, now), { start: 1767261545, end: 1767261605 });
  assert.deepEqual(queryWindow({ range: '1m', endMs: null }, 5, now, 'ceil'), { start: 1767261550, end: 1767261610 });
  // A pinned end wins over now.
  assert.deepEqual(queryWindow({ range: '10s', endMs: Date.parse('2026-01-01T00:00:00Z') }, 1, now), { start: 1767225590, end: 1767225600 });
});

test('styles.css writes each colour variable once per theme, with no palette repeated for a media query', () => {
  const css = readFileSync(new URL('../../src/ui/styles.css', import.meta.url), 'utf8');
  assert.doesNotMatch(css, /prefers-color-scheme/);
  const counts = new Map<string, number>();
  for (const m of css.matchAll(/^\s*(--[a-z0-9-]+)\s*:/gm)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 2);
  assert.deepEqual(repeated, []);
  // Every dark colour overrides a light one: nothing exists only in the dark theme.
  const dark = css.slice(css.indexOf(":root[data-theme='dark']"));
  const darkBlock = dark.slice(0, dark.indexOf('}'));
  for (const m of darkBlock.matchAll(/(--[a-z0-9-]+)\s*:/g)) assert.equal(counts.get(m[1]!), 2, `${m[1]} is defined only for dark`);
});
