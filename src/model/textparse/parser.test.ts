import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsToRecord } from '../labels.js';
import { formatFromContentType, parseExposition, parseExpositionFloat, parseSeriesLabels, scanExposition } from './parser.js';
import { ParseError, type ParsedSample } from './types.js';

function rec(s: ParsedSample): Record<string, string> {
  return labelsToRecord(s.labels);
}

function parseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ParseError, `expected ParseError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ParseError');
}

test('text format: every type, HELP/TYPE metadata, untyped as unknown', () => {
  const body = [
    '# HELP http_requests_total The total number of HTTP requests.',
    '# TYPE http_requests_total counter',
    'http_requests_total{method="post",code="200"} 1027 1395066363000',
    'http_requests_total{method="post",code="400"}    3 1395066363000',
    '',
    '# A free comment is ignored',
    '# TYPE temp gauge',
    'temp 21.5',
    '# TYPE rpc_duration_seconds summary',
    'rpc_duration_seconds{quantile="0.5"} 4773',
    'rpc_duration_seconds_sum 1.7560473e+07',
    'rpc_duration_seconds_count 2693',
    '# TYPE http_request_duration_seconds histogram',
    'http_request_duration_seconds_bucket{le="0.05"} 24054',
    'http_request_duration_seconds_bucket{le="+Inf"} 144320',
    'http_request_duration_seconds_sum 53423',
    'http_request_duration_seconds_count 144320',
    '# TYPE misc untyped',
    'misc{} 1e-3',
    'no_type_at_all -Inf',
    '',
  ].join('\n');
  const r = parseExposition(body);
  assert.equal(r.samples.length, 12);
  const first = r.samples[0];
  assert.deepEqual(first.labels.map((l) => l.name), ['__name__', 'code', 'method'], 'labels sorted');
  assert.deepEqual(rec(first), { __name__: 'http_requests_total', code: '200', method: 'post' });
  assert.equal(first.v, 1027);
  assert.equal(first.t, 1395066363000);
  assert.equal(first.series, 'http_requests_total{method="post",code="200"}');
  assert.equal(first.line, 3);
  assert.equal(r.samples[2].t, undefined);
  assert.equal(r.samples[4].v, 17560473);
  assert.equal(r.samples[10].v, 0.001);
  assert.equal(r.samples[11].v, -Infinity);
  const meta = Object.fromEntries(r.metadata.map((m) => [m.name, m]));
  assert.deepEqual(meta.http_requests_total, {
    name: 'http_requests_total',
    type: 'counter',
    help: 'The total number of HTTP requests.',
    unit: '',
  });
  assert.equal(meta.temp.type, 'gauge');
  assert.equal(meta.rpc_duration_seconds.type, 'summary');
  assert.equal(meta.http_request_duration_seconds.type, 'histogram');
  assert.equal(meta.misc.type, 'unknown');
  assert.equal(meta.no_type_at_all, undefined);
});

test('label value and HELP escaping, trailing comma, NaN and infinities, exponents', () => {
  const body =
    '# HELP esc A \\\\ backslash and a\\nnewline\n' +
    'esc{path="C:\\\\dir\\\\",quote="say \\"hi\\"",nl="a\\nb",odd="\\t",} NaN\n' +
    'x{a="1"} +Inf\n' +
    'y -Inf\n' +
    'z 1.5E+3\n' +
    'w -2e-2\n' +
    'v +Infinity\n';
  const r = parseExposition(body);
  assert.deepEqual(rec(r.samples[0]), {
    __name__: 'esc',
    path: 'C:\\dir\\',
    quote: 'say "hi"',
    nl: 'a\nb',
    odd: '\\t',
  });
  assert.ok(Number.isNaN(r.samples[0].v));
  assert.equal(r.samples[1].v, Infinity);
  assert.equal(r.samples[2].v, -Infinity);
  assert.equal(r.samples[3].v, 1500);
  assert.equal(r.samples[4].v, -0.02);
  assert.equal(r.samples[5].v, Infinity);
  assert.equal(r.metadata[0].help, 'A \\ backslash and a\nnewline');
});

test('labels written out of order are sorted; uppercase names sort before __name__', () => {
  const r = parseExposition('m{zeta="1",Alpha="2",beta="3"} 1\n');
  assert.deepEqual(r.samples[0].labels.map((l) => l.name), ['Alpha', '__name__', 'beta', 'zeta']);
});

test('text format errors carry line numbers', () => {
  const cases: [string, number, RegExp][] = [
    ['ok 1\nok 2\nbad INVALID\n', 3, /^line 3: expected value after metric, got "INVALID"$/],
    ['a 1\nb{x="1" 2\n', 2, /expected comma or brace close/],
    ['c{x=1} 2\n', 1, /expected label value, got "1/],
    ['d{x="open} 1\n', 1, /unterminated label value/],
    ['e 1 notatime\n', 1, /expected timestamp, got "notatime"/],
    ['f 1 123 extra\n', 1, /expected next entry after timestamp, got "extra"/],
    ['# TYPE g flavour\n', 1, /invalid metric type "flavour"/],
    ['{x="1"} 1\n', 1, /expected a valid start token/],
    ['h\n', 1, /expected value after metric, got end of line/],
    ['i{a="1",a="2"} 1\n', 1, /duplicate label name "a"/],
    ['j{1a="x"} 1\n', 1, /expected label name/],
    ['k 1 # {a="b"} 1\n', 1, /expected timestamp, got "#"/],
  ];
  for (const [body, line, re] of cases) {
    const e = parseError(() => parseExposition(body));
    assert.equal(e.line, line, body);
    assert.match(e.message, re, body);
  }
});

test('OpenMetrics: types, UNIT, exemplars, float-second timestamps, _created kept as series', () => {
  const body = [
    '# TYPE acme_http_router_request_seconds summary',
    '# UNIT acme_http_router_request_seconds seconds',
    '# HELP acme_http_router_request_seconds Latency though all of ACME\'s \\"global\\" router.',
    'acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32',
    'acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0',
    'acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0',
    '# TYPE foo counter',
    'foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67 1520879602.3',
    'foo_created 1520872607.123',
    '# TYPE hist histogram',
    'hist_bucket{le="0.01"} 0',
    'hist_bucket{le="+Inf"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 ',
    'hist_count 17',
    'hist_sum 324789.3',
    '# TYPE gh gaugehistogram',
    'gh_bucket{le="+Inf"} 3',
    'gh_gcount 3',
    'gh_gsum 2',
    '# TYPE build info',
    'build_info{version="1.2"} 1',
    '# TYPE state stateset',
    'state{state="a"} 1',
    'state{state="bb"} 0',
    '# TYPE mystery unknown',
    'mystery 1',
    '# EOF',
    '',
  ].join('\n');
  const r = parseExposition(body, 'openmetrics');
  const byName = new Map(r.samples.map((s) => [s.series, s]));
  const foo = byName.get('foo_total');
  assert.ok(foo);
  assert.equal(foo.v, 17);
  assert.equal(foo.t, 1520879607789);
  assert.deepEqual(foo.exemplar, {
    labels: [{ name: 'trace_id', value: 'KOO5S4vxi0o' }],
    value: 0.67,
    t: 1520879602300,
  });
  assert.equal(byName.get('foo_created')?.v, 1520872607.123, '_created is an ordinary series, as in Prometheus 2.42');
  assert.equal(byName.get('hist_bucket{le="+Inf"}')?.exemplar?.value, 9.8);
  assert.equal(byName.get('hist_bucket{le="+Inf"}')?.exemplar?.t, undefined);
  assert.equal(r.samples.length, 16);
  const meta = Object.fromEntries(r.metadata.map((m) => [m.name, m]));
  assert.deepEqual(meta.acme_http_router_request_seconds, {
    name: 'acme_http_router_request_seconds',
    type: 'summary',
    unit: 'seconds',
    help: 'Latency though all of ACME\'s "global" router.',
  });
  assert.equal(meta.gh.type, 'gaugehistogram');
  assert.equal(meta.build.type, 'info');
  assert.equal(meta.state.type, 'stateset');
  assert.equal(meta.mystery.type, 'unknown');
});

test('OpenMetrics errors: EOF required, nothing after it, no free comments or blank lines', () => {
  const cases: [string, number, RegExp][] = [
    ['a 1\n', 1, /data does not end with # EOF/],
    ['a 1\n# EOF\nb 2\n', 3, /unexpected data after # EOF/],
    ['a 1\n# a comment\n# EOF\n', 2, /expected a valid start token/],
    ['a 1\n\n# EOF\n', 2, /unexpected empty line/],
    ['# TYPE a untyped\n# EOF\n', 1, /invalid metric type "untyped"/],
    ['# UNIT a_bytes seconds\n# EOF\n', 1, /unit "seconds" not a suffix of metric "a_bytes"/],
    ['a 1 NaN\n# EOF\n', 1, /invalid timestamp/],
    ['a 1 # {x="y"}\n# EOF\n', 1, /expected value after exemplar labels/],
    ['a 1 # x\n# EOF\n', 1, /expected exemplar labels/],
  ];
  for (const [body, line, re] of cases) {
    const e = parseError(() => parseExposition(body, 'openmetrics'));
    assert.equal(e.line, line, body);
    assert.match(e.message, re, body);
  }
  // An EOF without a trailing newline is fine.
  assert.equal(parseExposition('a 1\n# EOF', 'openmetrics').samples.length, 1);
});

test('float parsing follows Go ParseFloat for the forms exporters use', () => {
  assert.equal(parseExpositionFloat('1'), 1);
  assert.equal(parseExpositionFloat('-1.5e3'), -1500);
  assert.equal(parseExpositionFloat('.5'), 0.5);
  assert.equal(parseExpositionFloat('Inf'), Infinity);
  assert.ok(Number.isNaN(parseExpositionFloat('nan') as number));
  assert.equal(parseExpositionFloat(''), undefined);
  assert.equal(parseExpositionFloat('1e'), undefined);
  assert.equal(parseExpositionFloat('0x10'), undefined);
  assert.equal(parseExpositionFloat('1_000'), undefined);
  assert.equal(parseExpositionFloat('Infinityy'), undefined);
});

test('content type selects the parser as Prometheus 2.42 does', () => {
  assert.equal(formatFromContentType('application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics');
  assert.equal(formatFromContentType('text/plain; version=0.0.4; charset=utf-8'), 'text');
  assert.equal(formatFromContentType(''), 'text');
  assert.equal(formatFromContentType(undefined), 'text');
});

test('scanExposition visits the same samples without building labels; parseSeriesLabels builds them on demand', () => {
  const body = '# TYPE a counter\na_total{x="1",b="q\\"z"} 3 1000\n# HELP a help\nb 4\nc{} NaN\n';
  const eager = parseExposition(body);
  const seen: { series: string; v: number; t?: number; line: number }[] = [];
  const meta = scanExposition(body, 'text', (series, v, t, _e, line) => seen.push({ series, v, t, line }));
  assert.deepEqual(meta, eager.metadata);
  assert.equal(seen.length, eager.samples.length);
  for (let i = 0; i < seen.length; i++) {
    assert.equal(seen[i].series, eager.samples[i].series);
    assert.equal(seen[i].line, eager.samples[i].line);
    assert.deepEqual(parseSeriesLabels(seen[i].series, seen[i].line), eager.samples[i].labels);
  }
  assert.equal(seen[0].t, 1000);
  // Syntax errors are found by the scan too; duplicate names only when labels are built.
  assert.match(parseError(() => scanExposition('a 1\nb{x="1" 2\n', 'text', () => {})).message, /^line 2: expected comma or brace close/);
  assert.equal(parseError(() => parseSeriesLabels('d{a="1",a="2"}', 7)).message, 'line 7: duplicate label name "a"');
});

test('mangled input only ever yields results or ParseError, in both formats and both entry points', () => {
  const base =
    '# HELP a_total Things \\\\ done.\n# TYPE a_total counter\na_total{x="1",y="a\\"b"} 1 1000\n' +
    '# TYPE h histogram\nh_bucket{le="+Inf"} 3 # {t="x"} 1 2.5\nh_count 3\nu{a="\\n"} NaN\n# EOF\n';
  const alphabet = ['{', '}', '"', '\\', ',', '=', ' ', '\n', '#', 'e', '1', '.', '+', '-', 'x', '\t', '\r', 'é'];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let parsedOk = 0;
  for (let i = 0; i < 3000; i++) {
    let s = base;
    const edits = 1 + rand(3);
    for (let k = 0; k < edits; k++) {
      const at = rand(s.length);
      const op = rand(3);
      if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
      else if (op === 1) s = s.slice(0, at) + alphabet[rand(alphabet.length)] + s.slice(at);
      else s = s.slice(0, at) + alphabet[rand(alphabet.length)] + s.slice(at + 1);
    }
    for (const format of ['text', 'openmetrics'] as const) {
      let eager: string | undefined;
      try {
        const r = parseExposition(s, format);
        for (const sample of r.samples) assert.equal(typeof sample.v, 'number');
        parsedOk++;
      } catch (e) {
        assert.ok(e instanceof ParseError, `non-ParseError on ${JSON.stringify(s)}: ${String(e)}`);
        assert.ok(e.line >= 1);
        eager = e.message;
      }
      let lazy: string | undefined;
      try {
        scanExposition(s, format, (series, _v, _t, _e, line) => parseSeriesLabels(series, line));
      } catch (e) {
        assert.ok(e instanceof ParseError, `non-ParseError from scan on ${JSON.stringify(s)}: ${String(e)}`);
        lazy = e.message;
      }
      assert.equal(lazy, eager, `both entry points agree on ${JSON.stringify(s)}`);
    }
  }
  assert.ok(parsedOk > 100, 'some mutations stay valid');
});
