/**
 * The Jaeger and Tempo query APIs end to end: spans made by the real OpenTelemetry SDK (two services, one
 * calling the other), exported with the real OTLP/HTTP protobuf exporter into the real ingest route and store,
 * then read back the way the Jaeger UI and Grafana's Jaeger and Tempo data sources read them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { context, trace, SpanKind, SpanStatusCode, type Span as OtelSpan } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createHttpServer } from '../../src/server/http.js';
import { openTraceStore, type EmbeddedTraceStore } from '../../src/traces/store/index.js';
import { registerTraceIngestRoutes, traceProtoTypes } from '../../src/traces/ingest/index.js';
import { registerTraceQueryRoutes } from '../../src/traces/api/index.js';

const logger = pino({ level: 'silent' });
let base = '';
let store: EmbeddedTraceStore;
let dir = '';
let app: ReturnType<typeof createHttpServer>;
let traceId = '';
const startSec = Math.floor(Date.now() / 1000) - 60;

function provider(service: string, url: string): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traces-query-'));
  store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
  app = createHttpServer({ logger, bodyLimit: 32 * 1024 * 1024 });
  registerTraceIngestRoutes(app, { store, logger });
  registerTraceQueryRoutes(app, { store, logger });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const front = provider('frontend', `${base}/v1/traces`);
  const back = provider('cart', `${base}/v1/traces`);
  const ft = front.getTracer('web', '1.0.0');
  const bt = back.getTracer('cart-lib');
  await new Promise<void>((resolve) => {
    ft.startActiveSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: { 'http.method': 'GET', 'http.status_code': 500 } }, (root: OtelSpan) => {
      traceId = root.spanContext().traceId;
      // No global context manager here: parents are passed explicitly.
      const client = ft.startSpan('call cart', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), root));
      const ctx = trace.setSpan(context.active(), client);
      const server = bt.startSpan('cart.get', { kind: SpanKind.SERVER, attributes: { 'http.status_code': 500, 'cart.items': 3, ratio: 0.25 } }, ctx);
      server.addEvent('cache miss', { key: 'user-1' });
      server.setStatus({ code: SpanStatusCode.ERROR, message: 'db down' });
      setTimeout(() => {
        server.end();
        client.end();
        root.setStatus({ code: SpanStatusCode.ERROR });
        root.end();
        resolve();
      }, 120);
    });
  });
  await front.forceFlush();
  await back.forceFlush();
  // A second, fast and healthy trace.
  const t2 = front.getTracer('web');
  t2.startSpan('GET /health', { kind: SpanKind.SERVER, attributes: { 'http.status_code': 200 } }).end();
  await front.forceFlush();
  await front.shutdown();
  await back.shutdown();
});

after(async () => {
  await app.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; raw: Response }> {
  const r = await fetch(base + path, { headers });
  const ct = r.headers.get('content-type') ?? '';
  const body = ct.includes('json') ? await r.json() : ct.includes('protobuf') ? new Uint8Array(await r.arrayBuffer()) : await r.text();
  return { status: r.status, body, raw: r };
}

test('Jaeger: services, operations, trace by id in the Jaeger JSON model', async () => {
  const s = await get('/jaeger/api/services');
  assert.deepEqual(s.body.data, ['cart', 'frontend']);
  assert.equal(s.body.errors, null);
  assert.deepEqual((await get('/jaeger/api/services/frontend/operations')).body.data, ['GET /checkout', 'GET /health', 'call cart']);
  const ops = await get('/jaeger/api/operations?service=frontend&spanKind=client');
  assert.deepEqual(ops.body.data, [{ name: 'call cart', spanKind: 'client' }]);
  const t = await get(`/jaeger/api/traces/${traceId}`);
  assert.equal(t.status, 200);
  const jt = t.body.data[0];
  assert.equal(jt.traceID, traceId);
  assert.equal(jt.spans.length, 3);
  const cart = jt.spans.find((x: any) => x.operationName === 'cart.get');
  const client = jt.spans.find((x: any) => x.operationName === 'call cart');
  assert.deepEqual(cart.references, [{ refType: 'CHILD_OF', traceID: traceId, spanID: client.spanID }]);
  assert.ok(cart.duration >= 100_000 && cart.duration < 5_000_000, `duration in µs: ${cart.duration}`);
  assert.ok(Math.abs(cart.startTime / 1000 - Date.now()) < 120_000, 'startTime in µs');
  assert.deepEqual(cart.tags.find((x: any) => x.key === 'cart.items'), { key: 'cart.items', type: 'int64', value: 3 });
  assert.deepEqual(cart.tags.find((x: any) => x.key === 'ratio'), { key: 'ratio', type: 'float64', value: 0.25 });
  assert.deepEqual(cart.tags.find((x: any) => x.key === 'error'), { key: 'error', type: 'bool', value: true });
  assert.deepEqual(cart.tags.find((x: any) => x.key === 'span.kind'), { key: 'span.kind', type: 'string', value: 'server' });
  assert.deepEqual(cart.logs[0].fields.slice(0, 2), [{ key: 'event', type: 'string', value: 'cache miss' }, { key: 'key', type: 'string', value: 'user-1' }]);
  assert.equal(jt.processes[cart.processID].serviceName, 'cart');
  assert.deepEqual(jt.processes[cart.processID].tags.find((x: any) => x.key === 'deployment.environment'), { key: 'deployment.environment', type: 'string', value: 'test' });
  const missing = await get(`/jaeger/api/traces/${'ab'.repeat(16)}`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.errors[0].code, 404);
  assert.equal((await get('/jaeger/api/traces/zz')).status, 400);
});

test('Jaeger: search by service, operation, tags (JSON and logfmt), duration; dependencies', async () => {
  const us = (ms: number): number => ms * 1000;
  const range = `start=${us(startSec * 1000)}&end=${us(Date.now() + 60_000)}`;
  const bySvc = await get(`/jaeger/api/traces?service=frontend&${range}&limit=20`);
  assert.equal(bySvc.body.data.length, 2);
  const tags = encodeURIComponent(JSON.stringify({ 'http.status_code': '500', error: 'true' }));
  const byTags = await get(`/jaeger/api/traces?service=cart&tags=${tags}&${range}`);
  assert.deepEqual(byTags.body.data.map((t: any) => t.traceID), [traceId]);
  const logfmt = await get(`/jaeger/api/traces?service=frontend&tags=${encodeURIComponent('http.status_code=200')}&${range}`);
  assert.equal(logfmt.body.data.length, 1);
  assert.equal(logfmt.body.data[0].spans[0].operationName, 'GET /health');
  assert.equal((await get(`/jaeger/api/traces?service=frontend&minDuration=100ms&${range}`)).body.data.length, 1);
  assert.equal((await get(`/jaeger/api/traces?service=frontend&operation=${encodeURIComponent('GET /health')}&maxDuration=50ms&${range}`)).body.data.length, 1);
  assert.equal((await get(`/jaeger/api/traces?service=frontend&lookback=1h`)).body.data.length, 2);
  const bad = await get(`/jaeger/api/traces?service=frontend&minDuration=fast`);
  assert.equal(bad.status, 400);
  assert.match(bad.body.errors[0].msg, /minDuration/);
  assert.equal((await get('/jaeger/api/traces')).status, 400);
  const deps = await get(`/jaeger/api/dependencies?endTs=${Date.now() + 1000}&lookback=3600000`);
  assert.deepEqual(deps.body.data, [{ parent: 'frontend', child: 'cart', callCount: 1 }]);
});

test('Tempo: trace by id as OTLP JSON (v1 and v2) and as protobuf', async () => {
  const v1 = await get(`/tempo/api/traces/${traceId}`);
  assert.equal(v1.status, 200);
  const services = v1.body.batches.map((b: any) => b.resource.attributes.find((a: any) => a.key === 'service.name').value.stringValue).sort();
  assert.deepEqual(services, ['cart', 'frontend']);
  const cartSpan = v1.body.batches.flatMap((b: any) => b.scopeSpans.flatMap((s: any) => s.spans)).find((s: any) => s.name === 'cart.get');
  assert.equal(cartSpan.kind, 2);
  assert.deepEqual(cartSpan.status, { code: 2, message: 'db down' });
  assert.equal(cartSpan.events[0].name, 'cache miss');
  assert.equal(cartSpan.traceId, traceId);
  const v2 = await get(`/tempo/api/v2/traces/${traceId}`);
  assert.equal(v2.body.trace.resourceSpans.length, 2);
  const pb = await get(`/tempo/api/traces/${traceId}`, { accept: 'application/protobuf' });
  assert.match(pb.raw.headers.get('content-type') ?? '', /protobuf/);
  const decoded = traceProtoTypes().request.decode(pb.body as Uint8Array) as unknown as { resourceSpans: { scopeSpans: { spans: { name: string; traceId: Uint8Array }[] }[] }[] };
  const names = decoded.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name))).sort();
  assert.deepEqual(names, ['GET /checkout', 'call cart', 'cart.get']);
  assert.equal(Buffer.from(decoded.resourceSpans[0].scopeSpans[0].spans[0].traceId).toString('hex'), traceId);
  assert.equal((await get(`/tempo/api/traces/${'cd'.repeat(16)}`)).status, 404);
  assert.equal((await get('/tempo/api/echo')).body, 'echo');
  assert.match((await get('/tempo/api/status/buildinfo')).body.version, /\d+\.\d+/);
});

test('Tempo: TraceQL and tag search, tag names and values; invalid TraceQL is a 400 with a position', async () => {
  const range = `start=${startSec}&end=${Math.ceil(Date.now() / 1000) + 60}`;
  const q = encodeURIComponent('{ resource.service.name = "cart" && span.http.status_code >= 500 && status = error }');
  const r = await get(`/tempo/api/search?q=${q}&${range}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.traces.length, 1);
  const t = r.body.traces[0];
  assert.equal(t.traceID, traceId);
  assert.equal(t.rootServiceName, 'frontend');
  assert.equal(t.rootTraceName, 'GET /checkout');
  assert.ok(t.durationMs >= 100, `durationMs ${t.durationMs}`);
  assert.ok(BigInt(t.startTimeUnixNano) > BigInt(startSec) * 1_000_000_000n);
  assert.equal(t.spanSets[0].matched, 1);
  assert.equal(t.spanSets[0].spans[0].name, 'cart.get');
  // The attributes the query names come back with each matched span.
  assert.deepEqual(
    [...t.spanSets[0].spans[0].attributes].sort((a: any, b: any) => (a.key < b.key ? -1 : 1)),
    [{ key: 'http.status_code', value: { intValue: '500' } }, { key: 'service.name', value: { stringValue: 'cart' } }],
  );
  assert.deepEqual(t.serviceStats, { frontend: { spanCount: 2, errorCount: 1 }, cart: { spanCount: 1, errorCount: 1 } });
  const structural = await get(`/tempo/api/search?q=${encodeURIComponent('{ resource.service.name = "frontend" } >> { status = error && kind = server }')}&${range}`);
  assert.equal(structural.body.traces.length, 1);
  const all = await get(`/tempo/api/search?${range}&limit=10`);
  assert.equal(all.body.traces.length, 2);
  const slow = await get(`/tempo/api/search?${range}&minDuration=100ms`);
  assert.deepEqual(slow.body.traces.map((x: any) => x.traceID), [traceId]);
  const tags = await get(`/tempo/api/search?tags=${encodeURIComponent('service.name=frontend http.status_code=200')}&${range}`);
  assert.equal(tags.body.traces.length, 1);
  assert.equal(tags.body.traces[0].rootTraceName, 'GET /health');
  // Legacy tag search matches values as case-insensitive substrings, as Tempo does.
  const sub = await get(`/tempo/api/search?tags=${encodeURIComponent('service.name=CAR')}&${range}`);
  assert.deepEqual(sub.body.traces.map((x: any) => x.traceID), [traceId]);
  const ci = await get(`/tempo/api/search?q=${encodeURIComponent('{ name =~ "(?i)get /HEALTH" }')}&${range}`);
  assert.equal(ci.body.traces.length, 1);
  const badRe = await get(`/tempo/api/search?q=${encodeURIComponent('{ name =~ "(" }')}`);
  assert.equal(badRe.status, 400);
  assert.match(badRe.body, /invalid regular expression/);
  const bad = await get(`/tempo/api/search?q=${encodeURIComponent('{ .a = }')}`);
  assert.equal(bad.status, 400);
  assert.match(bad.body, /position \d+/);
  const names = await get('/tempo/api/search/tags');
  assert.ok(names.body.tagNames.includes('http.status_code') && names.body.tagNames.includes('deployment.environment'));
  const v2 = await get('/tempo/api/v2/search/tags');
  assert.deepEqual(v2.body.scopes.map((s: any) => s.name), ['resource', 'span', 'intrinsic']);
  assert.ok(v2.body.scopes[0].tags.includes('service.name'));
  assert.ok(v2.body.scopes[2].tags.includes('duration'));
  assert.deepEqual((await get('/tempo/api/search/tag/service.name/values')).body.tagValues, ['cart', 'frontend']);
  const vals = await get('/tempo/api/v2/search/tag/resource.service.name/values');
  assert.deepEqual(vals.body.tagValues, [{ type: 'string', value: 'cart' }, { type: 'string', value: 'frontend' }]);
  const st = await get('/tempo/api/v2/search/tag/status/values');
  assert.deepEqual(st.body.tagValues.map((v: any) => v.type), ['keyword', 'keyword', 'keyword']);
});

test('Tempo tag names and values honour q and the time range (Grafana autocomplete)', async () => {
  const range = `start=${startSec}&end=${Math.ceil(Date.now() / 1000) + 60}`;
  const enc = encodeURIComponent;
  const cart = await get(`/tempo/api/v2/search/tag/resource.service.name/values?q=${enc('{ span.cart.items = 3 }')}&${range}`);
  assert.deepEqual(cart.body.tagValues, [{ type: 'string', value: 'cart' }]);
  const codes = await get(`/tempo/api/v2/search/tag/span.http.status_code/values?q=${enc('{ resource.service.name = "frontend" }')}&${range}`);
  assert.deepEqual(codes.body.tagValues, [{ type: 'int', value: '200' }, { type: 'int', value: '500' }]);
  const health = await get(`/tempo/api/v2/search/tags?q=${enc('{ name = "GET /health" }')}&${range}`);
  assert.deepEqual(health.body.scopes.find((s: any) => s.name === 'span').tags, ['http.status_code']);
  assert.deepEqual(health.body.scopes.find((s: any) => s.name === 'resource').tags, ['deployment.environment', 'service.name']);
  const cartTags = await get(`/tempo/api/v2/search/tags?scope=span&q=${enc('{ resource.service.name = "cart" }')}`);
  assert.deepEqual(cartTags.body.scopes, [{ name: 'span', tags: ['cart.items', 'http.status_code', 'ratio'] }]);
  // v1 forms, and a query being typed (unparsable) only narrows by time.
  assert.deepEqual((await get(`/tempo/api/search/tag/name/values?q=${enc('{ status = error && kind = server }')}`)).body.tagValues, ['GET /checkout', 'cart.get']);
  assert.deepEqual((await get(`/tempo/api/search/tag/service.name/values?q=${enc('{ resource.service.name = ')}&${range}`)).body.tagValues, ['cart', 'frontend']);
  // A time range with no spans has no tags.
  const past = 'start=1000000000&end=1000003600';
  assert.deepEqual((await get(`/tempo/api/v2/search/tag/resource.service.name/values?${past}`)).body.tagValues, []);
  assert.deepEqual((await get(`/tempo/api/v2/search/tags?scope=resource&${past}`)).body.scopes, [{ name: 'resource', tags: [] }]);
  // Without q and range: the catalog, as before.
  assert.deepEqual((await get('/tempo/api/search/tag/service.name/values')).body.tagValues, ['cart', 'frontend']);
});

test('a search cut short by its budget answers the matches found so far, marked partial (Tempo and Jaeger)', async () => {
  const d = await mkdtemp(join(tmpdir(), 'traces-partial-'));
  const small = await openTraceStore({ dir: d, maintenanceIntervalMs: 0, searchBudget: { maxBytes: 1 } });
  const a2 = createHttpServer({ logger, bodyLimit: 1024 * 1024 });
  registerTraceQueryRoutes(a2, { store: small, logger });
  try {
    const url = await a2.listen({ host: '127.0.0.1', port: 0 });
    const t0 = BigInt(Date.now() - 30_000) * 1_000_000n;
    const mk = (n: number, svc: string) => ({
      traceId: (n + 1).toString(16).padStart(32, '0'),
      spanId: (n + 1).toString(16).padStart(16, '0'),
      name: 'op',
      kind: 'server' as const,
      startTimeUnixNano: t0 + BigInt(n) * 1_000_000n,
      endTimeUnixNano: t0 + BigInt(n) * 1_000_000n + 1000n,
      attributes: {},
      events: [],
      links: [],
      status: { code: 'unset' as const },
      resource: { 'service.name': svc },
      scope: { name: 't' },
      serviceName: svc,
    });
    // The oldest block holds "old" traces, the next one "mid" traces, the head 5 "new" ones.
    for (const [from, svc] of [[0, 'old'], [200, 'mid']] as const) {
      await small.append(Array.from({ length: 200 }, (_, k) => mk(from + k, svc)));
      await small.flush();
    }
    await small.append(Array.from({ length: 5 }, (_, k) => mk(400 + k, 'new')));
    const r = await fetch(`${url}/tempo/api/search?q=${encodeURIComponent('{ rootServiceName =~ "old|new" }')}&limit=20`);
    const body = (await r.json()) as any;
    assert.equal(r.status, 200);
    assert.equal(body.partial, true);
    assert.match(body.warning, /partial result: search byte limit/);
    assert.ok(body.metrics.completedJobs < body.metrics.totalJobs);
    // The head's 5 matches; the "mid" block used up the byte budget before the "old" one was reached.
    assert.equal(body.traces.length, 5);
    const j = (await (await fetch(`${url}/jaeger/api/traces?service=old&limit=300`)).json()) as any;
    assert.equal(j.errors[0].code, 206);
    assert.ok(j.data.length < 300);
  } finally {
    await a2.close();
    await small.close();
    await rm(d, { recursive: true, force: true });
  }
});
