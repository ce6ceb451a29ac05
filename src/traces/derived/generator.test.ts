import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { TSDB } from '../../metrics/tsdb/db.js';
import type { Storage } from '../../metrics/storage/interface.js';
import { makeSpan } from '../store/testdata/spans.js';
import type { Span } from '../model.js';
import { DerivedMetrics } from './generator.js';
import { registerExemplarRoutes } from './exemplars-api.js';
import { selfRegistry } from '../../metrics/collectors/self.js';

const T0 = 1_700_000_000_000;

async function withTsdb(fn: (db: Storage) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'derived-'));
  const db = await TSDB.open({ dir, retentionTimeMs: 0, retentionSizeBytes: 0, outOfOrderWindowMs: 0 });
  try {
    await fn(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function series(db: Storage, name: string, t: number): Promise<Map<string, number>> {
  const res = await db.querier().select([{ type: '=', name: '__name__', value: name }], t, t);
  const out = new Map<string, number>();
  for (const s of res) {
    const key = s.labels.filter((l) => l.name !== '__name__').map((l) => `${l.name}=${l.value}`).join(',');
    out.set(key, s.values[s.values.length - 1]);
  }
  return out;
}

function span(over: Partial<Span>): Span {
  return makeSpan(1, 1, { attributes: { 'http.method': 'GET' }, ...over });
}

test('span metrics: Tempo names, labels, default buckets, cumulative across flushes; dimensions', async () => {
  await withTsdb(async (db) => {
    let now = T0;
    const gen = new DerivedMetrics({ storage: db, now: () => now, flushIntervalMs: 0, dimensions: ['http.method'] });
    const s = (ms: number, code: Span['status']['code'] = 'unset'): Span => {
      const start = BigInt(T0) * 1_000_000n;
      return span({ serviceName: 'api', name: 'GET /x', kind: 'server', status: { code }, startTimeUnixNano: start, endTimeUnixNano: start + BigInt(ms * 1e6) });
    };
    gen.onSpans([s(3), s(100), s(20_000, 'error')]);
    await gen.flush();
    const calls = await series(db, 'traces_spanmetrics_calls_total', now);
    assert.equal(calls.get('http_method=GET,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /x,status_code=STATUS_CODE_UNSET'), 2);
    assert.equal(calls.get('http_method=GET,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /x,status_code=STATUS_CODE_ERROR'), 1);
    const buckets = await series(db, 'traces_spanmetrics_latency_bucket', now);
    const unset = 'http_method=GET,le=%s,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /x,status_code=STATUS_CODE_UNSET';
    assert.equal(buckets.get(unset.replace('%s', '0.002')), 0);
    assert.equal(buckets.get(unset.replace('%s', '0.004')), 1);
    assert.equal(buckets.get(unset.replace('%s', '0.128')), 2);
    assert.equal(buckets.get(unset.replace('%s', '16.384')), 2);
    assert.equal(buckets.get(unset.replace('%s', '+Inf')), 2);
    assert.equal(buckets.size, 2 * 15);
    const sums = await series(db, 'traces_spanmetrics_latency_sum', now);
    assert.ok(Math.abs(sums.get('http_method=GET,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /x,status_code=STATUS_CODE_UNSET')! - 0.103) < 1e-9);
    now += 15_000;
    gen.onSpans([s(1)]);
    await gen.flush();
    const later = await series(db, 'traces_spanmetrics_calls_total', now);
    assert.equal(later.get('http_method=GET,service=api,span_kind=SPAN_KIND_SERVER,span_name=GET /x,status_code=STATUS_CODE_UNSET'), 3, 'counters are cumulative');
  });
});

test('series limit drops new series and counts them', async () => {
  await withTsdb(async (db) => {
    const gen = new DerivedMetrics({ storage: db, now: () => T0, flushIntervalMs: 0, maxSeries: 4 });
    const before = (await selfRegistry.getSingleMetricAsString('sextant_spanmetrics_series_dropped_total')).match(/ (\d+)$/m)?.[1] ?? '0';
    gen.onSpans([span({ name: 'a', kind: 'internal' }), span({ name: 'b', kind: 'internal' }), span({ name: 'c', kind: 'internal' })]);
    await gen.flush();
    const calls = await series(db, 'traces_spanmetrics_calls_total', T0);
    assert.equal(calls.size, 2, 'calls + latency for a and b fill the 4 series');
    const after = (await selfRegistry.getSingleMetricAsString('sextant_spanmetrics_series_dropped_total')).match(/ (\d+)$/m)?.[1];
    assert.ok(Number(after) > Number(before));
  });
});

test('service graph pairs client and server spans across batches; unpaired ones expire', async () => {
  await withTsdb(async (db) => {
    let now = T0;
    const gen = new DerivedMetrics({ storage: db, now: () => now, flushIntervalMs: 0, serviceGraph: { waitMs: 10_000 } });
    const base = BigInt(T0) * 1_000_000n;
    const client = (t: number, ok = true): Span =>
      makeSpan(t, 1, { serviceName: 'frontend', kind: 'client', parentSpanId: undefined, status: { code: ok ? 'unset' : 'error' }, startTimeUnixNano: base, endTimeUnixNano: base + 300_000_000n });
    const server = (t: number): Span =>
      makeSpan(t, 2, { serviceName: 'cart', kind: 'server', status: { code: 'unset' }, parentSpanId: client(t).spanId, startTimeUnixNano: base + 1_000_000n, endTimeUnixNano: base + 250_000_000n });
    gen.onSpans([client(1), server(1), server(2)]);
    gen.onSpans([client(2, false)]);
    gen.onSpans([client(3)]); // its server never comes
    assert.equal(gen.stats().unpaired, 1);
    now += 11_000;
    await gen.flush();
    assert.equal(gen.stats().unpaired, 0, 'expired after the wait time');
    assert.equal((await series(db, 'traces_service_graph_request_total', now)).get('client=frontend,server=cart'), 2);
    assert.equal((await series(db, 'traces_service_graph_request_failed_total', now)).get('client=frontend,server=cart'), 1);
    const sb = await series(db, 'traces_service_graph_request_server_seconds_bucket', now);
    assert.equal(sb.get('client=frontend,le=0.2,server=cart'), 0);
    assert.equal(sb.get('client=frontend,le=0.4,server=cart'), 2);
    const cb = await series(db, 'traces_service_graph_request_client_seconds_count', now);
    assert.equal(cb.get('client=frontend,server=cart'), 2);
  });
});

test('query_exemplars returns the latest trace per latency bucket in Prometheus shape', async () => {
  await withTsdb(async (db) => {
    const gen = new DerivedMetrics({ storage: db, now: () => T0, flushIntervalMs: 0 });
    const start = BigInt(T0) * 1_000_000n;
    gen.onSpans([
      makeSpan(5, 0, { serviceName: 'api', name: 'op', kind: 'server', startTimeUnixNano: start, endTimeUnixNano: start + 300_000_000n }),
      makeSpan(6, 0, { serviceName: 'api', name: 'op', kind: 'server', startTimeUnixNano: start, endTimeUnixNano: start + 1_000_000n }),
    ]);
    const app = Fastify();
    registerExemplarRoutes(app, { exemplars: gen.exemplars });
    const res = await app.inject({ url: `/api/v1/query_exemplars?query=${encodeURIComponent('histogram_quantile(0.9, sum by (le) (rate(traces_spanmetrics_latency_bucket{service="api"}[5m])))')}&start=${T0 / 1000 - 60}&end=${T0 / 1000 + 60}` });
    assert.equal(res.statusCode, 200);
    const body = JSON.parse(res.body) as { status: string; data: { seriesLabels: Record<string, string>; exemplars: { labels: { trace_id: string }; value: string; timestamp: number }[] }[] };
    assert.equal(body.status, 'success');
    assert.equal(body.data.length, 2);
    const slow = body.data.find((d) => d.seriesLabels.le === '0.512')!;
    assert.equal(slow.seriesLabels.__name__, 'traces_spanmetrics_latency_bucket');
    assert.equal(slow.exemplars[0].labels.trace_id, makeSpan(5, 0).traceId);
    assert.equal(slow.exemplars[0].value, '0.3');
    const none = await app.inject({ url: `/api/v1/query_exemplars?query=up&start=0&end=${T0}` });
    assert.deepEqual(JSON.parse(none.body).data, []);
    const bad = await app.inject({ url: '/api/v1/query_exemplars?query=sum(' });
    assert.equal(bad.statusCode, 400);
    assert.equal(JSON.parse(bad.body).errorType, 'bad_data');
    await app.close();
  });
});
