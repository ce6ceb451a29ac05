import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFields, detectLevel, findTraceId, formatTimestamp, selectorFor, traceSearchQuery } from './detect.js';

test('level from labels first, then from the line', () => {
  assert.equal(detectLevel({ level: 'WARNING' }, 'x'), 'warn');
  assert.equal(detectLevel({ detected_level: 'err' }, 'INFO x'), 'error');
  assert.equal(detectLevel({}, '{"level":"debug","msg":"x"}'), 'debug');
  assert.equal(detectLevel({}, 'ts=1 level=error msg=boom'), 'error');
  assert.equal(detectLevel({}, '2024-01-01 FATAL disk gone'), 'critical');
  assert.equal(detectLevel({}, 'GET /index.html 200'), 'unknown');
});

test('fields of JSON (flattened like | json) and logfmt lines', () => {
  assert.deepEqual(detectFields('{"a":1,"b":{"c":"d"},"e":[1]}'), { format: 'json', fields: { a: '1', b_c: 'd', e: '[1]' } });
  assert.deepEqual(detectFields('level=info msg="hello world" n=3'), { format: 'logfmt', fields: { level: 'info', msg: 'hello world', n: '3' } });
  assert.deepEqual(detectFields('plain text'), { format: 'none', fields: {} });
  assert.equal(detectFields('{not json} a=b').format, 'logfmt');
});

test('trace ids: 16 or 32 hex digits under the usual keys', () => {
  assert.equal(findTraceId({}, { traceId: '0AF7651916CD43DD8448EB211C80319C' }), '0af7651916cd43dd8448eb211c80319c');
  assert.equal(findTraceId({ trace_id: 'not-hex' }), undefined);
  assert.equal(findTraceId({ trace_id: '00f067aa0ba902b7' }), '00f067aa0ba902b7');
});

test('selector and timestamp formatting', () => {
  assert.equal(selectorFor({ pod: 'a"b', app: 'x' }), '{app="x", pod="a\\"b"}');
  assert.match(formatTimestamp('1700000000123456789'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.123$/);
});

test('trace search: label filter for metadata ids, line filter for ids in the text', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  assert.deepEqual(traceSearchQuery({ job: 'a' }, { trace_id: id }, 'x'), { id, query: `{job="a"} | trace_id="${id}"` });
  assert.deepEqual(traceSearchQuery({ job: 'a' }, {}, `{"traceId":"${id.toUpperCase()}"}`), { id, query: `{job="a"} |= "${id.toUpperCase()}"` });
  assert.equal(traceSearchQuery({ job: 'a' }, {}, 'no id'), undefined);
});
