import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogQLParseError, parseJsonPath, parseLogQL } from './parse.js';
import { parseBytes, parseGoDuration } from './units.js';

test('binary operator precedence follows Loki, not the flat lezer tree', () => {
  const e = parseLogQL('1 + 2 * 3 > bool 2 or vector(1)');
  assert.equal(e.kind, 'binary');
  if (e.kind !== 'binary') return;
  assert.equal(e.op, 'or');
  assert.equal(e.lhs.kind === 'binary' && e.lhs.op, '>');
  const pow = parseLogQL('2 ^ 3 ^ 2');
  assert.ok(pow.kind === 'binary' && pow.rhs.kind === 'binary', '^ is right-associative');
});

test('pipeline stages in order with their parameters', () => {
  const e = parseLogQL('{app="a"} |= "x" or "y" | logfmt --strict --keep-empty | json a="b.c[0]" | level=~"e.*" or n > 2, d >= 1.5s | drop x | keep y="z" | decolorize');
  assert.equal(e.kind, 'log');
  if (e.kind !== 'log') return;
  assert.deepEqual(e.pipeline.map((s) => s.type), ['lineFilter', 'logfmt', 'json', 'labelFilter', 'drop', 'keep', 'decolorize']);
  assert.deepEqual(e.pipeline[0], { type: 'lineFilter', op: '|=', values: ['x', 'y'] });
  assert.deepEqual(e.pipeline[1], { type: 'logfmt', strict: true, keepEmpty: true, params: undefined });
  assert.deepEqual(e.pipeline[2], { type: 'json', params: [{ name: 'a', path: ['b', 'c', 0] }] });
  const lf = e.pipeline[3];
  assert.ok(lf.type === 'labelFilter' && lf.filter.type === 'or' && lf.filter.right.type === 'and');
});

const errors: [string, RegExp][] = [
  ['{job="x"} |= ', /^parse error at line 1, col 14: syntax error: unexpected end of query$/],
  ['rate({a="b"})', /^parse error at line 1, col 13: syntax error: unexpected "\)"$/],
  ['{a="b"}\n| json | x > 1zz', /^parse error at line 2, col 15: syntax error/],
  ['{job=~".*"}', /at least one regexp or equality matcher that does not have an empty-compatible value/],
  ['{a="b"} |~ "("', /error parsing regexp/],
  ['count_over_time({a="b"} | unwrap x [1m])', /invalid aggregation count_over_time with unwrap/],
  ['sum_over_time({a="b"}[1m])', /invalid aggregation sum_over_time without unwrap/],
  ['topk(0, rate({a="b"}[1m]))', /invalid parameter for topk/],
  ['1 > 2 and 3', /set operator and not allowed in binary scalar expression/],
  ['{a="b"} | regexp "(.*)"', /at least one named capture must be supplied/],
  ['{a="b"} | line_format "{{.a"', /^parse error at line 1, col 23: invalid template: template: line:1: unclosed action$/],
  ['{a="b"} | label_format x="{{ nofunc .a }}"', /invalid template/],
];
for (const [q, re] of errors) {
  test(`parse error: ${JSON.stringify(q)}`, () => {
    assert.throws(() => parseLogQL(q), (e: unknown) => e instanceof LogQLParseError && re.test(e.message));
  });
}

test('units: Go durations, humanize bytes, json paths', () => {
  assert.equal(parseGoDuration('1h2m3.5s'), 3723.5e9);
  assert.equal(parseGoDuration('250ms'), 250e6);
  assert.equal(parseGoDuration('1d'), 86400e9);
  assert.equal(parseGoDuration('abc'), undefined);
  assert.equal(parseBytes('1KB'), 1000);
  assert.equal(parseBytes('1KiB'), 1024);
  assert.equal(parseBytes('1.5 MB'), 1.5e6);
  assert.equal(parseBytes('12'), 12);
  assert.equal(parseBytes('1XB'), undefined);
  assert.deepEqual(parseJsonPath('a.b[2]["c d"]'), ['a', 'b', 2, 'c d']);
  assert.equal(parseJsonPath('a..b'), undefined);
});
