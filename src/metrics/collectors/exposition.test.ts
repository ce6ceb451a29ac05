import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHelp, escapeLabelValue, formatFloatG, writeFamilies, writeFamily } from './exposition.js';
import { checkExposition } from './exposition-check.js';

test('formatFloatG matches Go strconv.FormatFloat(v, g, -1, 64) as client_golang writes it', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [1, '1'],
    [-1, '-1'],
    [-0, '-0'],
    [793082, '793082'],
    [999999, '999999'],
    [1000000, '1e+06'],
    [3281872, '3.281872e+06'],
    [2466186, '2.466186e+06'],
    [1795241037.9902658, '1.7952410379902658e+09'],
    [2.5276510208e10, '2.5276510208e+10'],
    [123456.7, '123456.7'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [-2.5e-5, '-2.5e-05'],
    [1e21, '1e+21'],
    [1e100, '1e+100'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [362.32, '362.32'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  for (const [v, want] of cases) assert.equal(formatFloatG(v), want, `formatFloatG(${v})`);
});

test('escaping: HELP escapes backslash and newline only; label values also escape double quotes', () => {
  assert.equal(escapeHelp('a\\b\n"c"'), 'a\\\\b\\n"c"');
  assert.equal(escapeLabelValue('a\\b\n"c"'), 'a\\\\b\\n\\"c\\"');
});

test('writeFamily writes HELP, TYPE and samples with labels, suffixes and timestamps', () => {
  const out = writeFamily('http_request_duration_seconds', 'histogram', 'Request latency.\nSecond line', [
    { suffix: '_bucket', labels: { le: '0.1', path: '/a "b"' }, value: 3 },
    { suffix: '_bucket', labels: { le: '+Inf', path: '/a "b"' }, value: 4 },
    { suffix: '_sum', labels: { path: '/a "b"' }, value: 0.35 },
    { suffix: '_count', labels: { path: '/a "b"' }, value: 4, timestampMs: 1700000000123 },
  ]);
  assert.equal(
    out,
    '# HELP http_request_duration_seconds Request latency.\\nSecond line\n' +
      '# TYPE http_request_duration_seconds histogram\n' +
      'http_request_duration_seconds_bucket{le="0.1",path="/a \\"b\\""} 3\n' +
      'http_request_duration_seconds_bucket{le="+Inf",path="/a \\"b\\""} 4\n' +
      'http_request_duration_seconds_sum{path="/a \\"b\\""} 0.35\n' +
      'http_request_duration_seconds_count{path="/a \\"b\\""} 4 1700000000123\n',
  );
  const check = checkExposition(out);
  assert.deepEqual(check.errors, []);
  const fam = check.families.get('http_request_duration_seconds')!;
  assert.equal(fam.help, 'Request latency.\nSecond line');
  assert.equal(fam.samples[0]!.labels['path'], '/a "b"');
});

test('writeFamily rejects invalid metric and label names instead of writing an unparsable line', () => {
  assert.throws(() => writeFamily('1abc', 'gauge', 'x', []), /invalid metric name/);
  assert.throws(() => writeFamily('ok', 'gauge', 'x', [{ labels: { 'a-b': '1' }, value: 1 }]), /invalid label name/);
  assert.throws(() => writeFamily('ok', 'gauge', 'x', [{ labels: { __name__: 'x' }, value: 1 }]), /invalid label name/);
});

test('writeFamilies sorts by name, merges repeated names, and drops empty families', () => {
  const out = writeFamilies([
    { name: 'b', type: 'gauge', help: 'B.', samples: [{ labels: { d: '1' }, value: 1 }] },
    { name: 'a', type: 'counter', help: 'A.', samples: [{ value: 2 }] },
    { name: 'empty', type: 'gauge', help: 'E.', samples: [] },
    { name: 'b', type: 'gauge', help: 'B again.', samples: [{ labels: { d: '2' }, value: NaN }] },
  ]);
  assert.equal(out, '# HELP a A.\n# TYPE a counter\na 2\n# HELP b B.\n# TYPE b gauge\nb{d="1"} 1\nb{d="2"} NaN\n');
});

test('checkExposition finds undeclared samples, duplicates, interleaving and bad values', () => {
  const bad = [
    '# TYPE a gauge',
    'a 1',
    'orphan 2',
    '# TYPE b counter',
    'b{x="1"} 1',
    'b{x="1"} 2',
    'a 3',
    'b{x="2"} one',
    'b{x="3",x="4"} 1',
    '',
  ].join('\n');
  const { errors } = checkExposition(bad);
  const has = (re: RegExp) => assert.ok(errors.some((e) => re.test(e)), `expected ${re} in ${JSON.stringify(errors)}`);
  has(/orphan has no declared family/);
  has(/duplicate series b\{x="1"\}/);
  has(/family a continues after another family started/);
  has(/invalid value "one"/);
  has(/duplicate label x/);
});
