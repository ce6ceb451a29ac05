import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTrace, formatMicros, traceLogQuery, visibleRows } from './trace-model.js';
import { layout } from './service-graph-layout.js';
import type { OtlpSpan, ResourceSpans } from './trace-api.js';

const T0 = 1_700_000_000_000_000_000n;
function span(id: string, parent: string | undefined, startMs: number, durMs: number, over: Partial<OtlpSpan> = {}): OtlpSpan {
  const s = T0 + BigInt(startMs) * 1_000_000n;
  return { traceId: 'ab'.repeat(16), spanId: id, parentSpanId: parent, name: id, kind: 1, startTimeUnixNano: String(s), endTimeUnixNano: String(s + BigInt(durMs) * 1_000_000n), ...over };
}
function batch(service: string, spans: OtlpSpan[]): ResourceSpans {
  return { resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ scope: { name: 'x' }, spans }] };
}

test('buildTrace: tree in start order, orphans at the top, relative µs times, errors', () => {
  const t = buildTrace('ab'.repeat(16), [
    batch('web', [span('root', undefined, 0, 100), span('b', 'root', 50, 40), span('a', 'root', 10, 30)]),
    batch('db', [span('q', 'a', 12, 20, { status: { code: 2, message: 'x' } }), span('orphan', 'missing', 5, 1)]),
  ]);
  assert.equal(t.duration, 100_000);
  assert.deepEqual(t.services, ['db', 'web']);
  assert.equal(t.errors, 1);
  assert.deepEqual(t.roots.map((r) => r.id), ['root', 'orphan']);
  assert.deepEqual(visibleRows(t, new Set()).map((s) => `${s.id}@${s.depth}`), ['root@0', 'a@1', 'q@2', 'b@1', 'orphan@0']);
  assert.deepEqual(visibleRows(t, new Set(['a'])).map((s) => s.id), ['root', 'a', 'b', 'orphan']);
  assert.equal(t.byId.get('q')!.start, 12_000);
});

test('critical path: the children the parent waited on, walking back from its end', () => {
  // root 0..100; c1 10..40 (with child g 15..35); c2 30..90 overlaps c1's end; c3 92..95 ends last.
  const t = buildTrace('ab'.repeat(16), [
    batch('s', [span('root', undefined, 0, 100), span('c1', 'root', 10, 30), span('g', 'c1', 15, 20), span('c2', 'root', 30, 60), span('c3', 'root', 92, 3)]),
  ]);
  // c3 ends last; before its start, c2 ends at 90; before c2's start (30) nothing else ends (c1 ends at 40).
  assert.deepEqual([...t.critical].sort(), ['c2', 'c3', 'root']);
});

test('traceLogQuery and formatMicros', () => {
  assert.equal(traceLogQuery('ab12', ['api', 'cart.v2']), '{service_name=~"api|cart\\\\.v2"} | trace_id="ab12"');
  assert.equal(traceLogQuery('ab12', []), '{service_name=~".+"} | trace_id="ab12"');
  assert.equal(formatMicros(420_000), '420 ms');
  assert.equal(formatMicros(1_500_000), '1.50 s');
  assert.equal(formatMicros(12), '12 µs');
});

test('service graph layout: layers by call depth, cycles terminate', () => {
  const e = (client: string, server: string) => ({ client, server, rate: 1, errorRate: 0, total: 1 });
  const l = layout([e('web', 'api'), e('api', 'db'), e('web', 'db'), e('api', 'cache')]);
  const at = Object.fromEntries(l.nodes.map((n) => [n.name, n.layer]));
  assert.deepEqual(at, { api: 1, cache: 2, db: 2, web: 0 });
  assert.equal(l.layers, 3);
  const c = layout([e('a', 'b'), e('b', 'a'), e('b', 'b')]);
  assert.equal(c.nodes.length, 2);
});
