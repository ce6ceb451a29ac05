/**
 * The ingest endpoints with hand-made requests: OTLP protobuf / JSON / gzip, partial success for refused
 * spans, malformed bodies (nothing stored), size limits, Zipkin v2 (and v1 refused), gRPC INVALID_ARGUMENT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { createHttpServer } from '../../src/server/http.js';
import { openTraceStore, type EmbeddedTraceStore } from '../../src/traces/store/index.js';
import { registerTraceIngestRoutes, startOtlpGrpcServer, traceProtoTypes } from '../../src/traces/ingest/index.js';
import type { Span } from '../../src/traces/model.js';
import { selfRegistry } from '../../src/metrics/collectors/self.js';

const logger = pino({ level: 'silent' });
const TRACE = '5b8efff798038103d269b633813fc60c';
const now = BigInt(Date.now()) * 1_000_000n;

function otlpObject(spans: object[]): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'k8s.pod.name', value: { stringValue: 'p-1' } }] },
        scopeSpans: [{ scope: { name: 'my.lib', version: '1.2.3' }, spans }],
      },
    ],
  };
}

function jsonSpan(spanId: string, over: object = {}): object {
  return {
    traceId: TRACE,
    spanId,
    name: 'GET /cart',
    kind: 2,
    startTimeUnixNano: String(now),
    endTimeUnixNano: String(now + 5_000_000n),
    attributes: [
      { key: 'http.status_code', value: { intValue: '503' } },
      { key: 'big', value: { intValue: '9223372036854775807' } },
      { key: 'ratio', value: { doubleValue: 0.5 } },
      { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { boolValue: true }] } } },
      { key: 'nested', value: { kvlistValue: { values: [{ key: 'x', value: { stringValue: 'y' } }] } } },
    ],
    events: [{ timeUnixNano: String(now + 1000n), name: 'retry', attributes: [{ key: 'n', value: { intValue: 2 } }] }],
    links: [{ traceId: 'aa'.repeat(16), spanId: 'bb'.repeat(8), attributes: [] }],
    status: { code: 2, message: 'upstream down' },
    ...over,
  };
}

async function setup(): Promise<{ app: ReturnType<typeof createHttpServer>; store: EmbeddedTraceStore; seen: Span[]; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'traces-ingest-'));
  const store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
  const app = createHttpServer({ logger, bodyLimit: 32 * 1024 * 1024 });
  const seen: Span[] = [];
  registerTraceIngestRoutes(app, { store, logger, onSpans: (s) => seen.push(...s) });
  await app.ready();
  return {
    app,
    store,
    seen,
    done: async () => {
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('OTLP/JSON: all fields kept; invalid spans refused with partial success; gzip', async () => {
  const { app, store, seen, done } = await setup();
  try {
    const body = otlpObject([
      jsonSpan('1111111111111111'),
      jsonSpan('2222222222222222', { parentSpanId: '1111111111111111', kind: 'SPAN_KIND_CLIENT', status: {} }),
      jsonSpan('0000000000000000'),
      jsonSpan('33', {}),
      jsonSpan('4444444444444444', { endTimeUnixNano: '1' }),
    ]);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify(body)),
    });
    assert.equal(res.statusCode, 200, res.body);
    const out = JSON.parse(res.body) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(out.partialSuccess.rejectedSpans, '3');
    assert.match(out.partialSuccess.errorMessage, /invalid span id.*end time before start time/);
    const spans = (await store.getTrace(TRACE))!;
    assert.equal(spans.length, 2);
    const root = spans.find((s) => s.spanId === '1111111111111111')!;
    assert.equal(root.serviceName, 'checkout');
    assert.equal(root.kind, 'server');
    assert.deepEqual(root.status, { code: 'error', message: 'upstream down' });
    assert.equal(root.attributes['http.status_code'], 503);
    assert.equal(root.attributes.big, 9223372036854775807n);
    assert.deepEqual(root.attributes.tags, ['a', true]);
    assert.deepEqual(root.attributes.nested, { x: 'y' });
    assert.equal(root.events[0].name, 'retry');
    assert.equal(root.events[0].attributes.n, 2);
    assert.equal(root.links[0].traceId, 'aa'.repeat(16));
    assert.deepEqual(root.scope, { name: 'my.lib', version: '1.2.3' });
    assert.equal(root.resource['k8s.pod.name'], 'p-1');
    const child = spans.find((s) => s.spanId === '2222222222222222')!;
    assert.equal(child.parentSpanId, '1111111111111111');
    assert.equal(child.kind, 'client');
    assert.equal(seen.length, 2, 'the derived-metrics hook sees exactly the stored spans');
    const metrics = await selfRegistry.metrics();
    assert.match(metrics, /sextant_traces_rejected_spans_total\{protocol="otlp_http",reason="end_before_start"\} 1/);
  } finally {
    await done();
  }
});

test('OTLP protobuf round trip, oversized attributes cut, malformed bodies stored nothing', async () => {
  const { app, store, done } = await setup();
  try {
    const t = traceProtoTypes().request;
    const huge = 'x'.repeat(100 * 1024);
    const attrs = Array.from({ length: 200 }, (_, i) => ({ key: `a${i}`, value: { stringValue: i === 0 ? huge : 'v' } }));
    const msg = t.fromObject({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'pb' } }] },
          scopeSpans: [
            {
              scope: { name: 's' },
              spans: [
                {
                  traceId: Buffer.from(TRACE, 'hex'),
                  spanId: Buffer.from('0102030405060708', 'hex'),
                  name: 'op',
                  kind: 3,
                  startTimeUnixNano: String(now),
                  endTimeUnixNano: String(now + 7n),
                  attributes: attrs,
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from(t.encode(msg).finish()) });
    assert.equal(res.statusCode, 200);
    const resp = traceProtoTypes().response.decode(res.rawPayload) as unknown as { partialSuccess?: unknown };
    assert.equal(resp.partialSuccess, null);
    const [span] = (await store.getTrace(TRACE))!;
    assert.equal(span.endTimeUnixNano - span.startTimeUnixNano, 7n, 'nanosecond times exact');
    assert.equal(Object.keys(span.attributes).length, 128);
    assert.equal(Buffer.byteLength(span.attributes.a0 as string), 64 * 1024);
    assert.equal(span.status.code, 'ok');

    const bad = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from([0x0a, 0xff, 0x01, 0x02]) });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.rawPayload.subarray(4).toString(), /invalid protobuf/);
    const badJson = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: '{"resourceSpans":[{"scopeSpans":[{"spans":[' + JSON.stringify(jsonSpan('9999999999999999')) + ',"x"]}]}]}' });
    assert.equal(badJson.statusCode, 400);
    assert.match(JSON.parse(badJson.body).message, /must hold objects/);
    const badGzip = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: 'not gzip' });
    assert.equal(badGzip.statusCode, 400);
    assert.equal((await store.getTrace(TRACE))!.length, 1, 'the valid span next to the malformed one was not stored');
  } finally {
    await done();
  }
});

test('Zipkin v2 JSON stored as spans; v1 and bad ids refused whole', async () => {
  const { app, store, done } = await setup();
  try {
    const ts = Date.now() * 1000;
    const spans = [
      { traceId: '463ac35c9f6413ad', id: 'a2fb4a1d1a96d312', name: 'get /api', kind: 'SERVER', timestamp: ts, duration: 2500, localEndpoint: { serviceName: 'frontend', ipv4: '10.0.0.1' }, tags: { 'http.method': 'GET', error: 'boom' }, annotations: [{ timestamp: ts + 10, value: 'wr' }] },
      { traceId: '463ac35c9f6413ad', id: 'b2fb4a1d1a96d312', parentId: 'a2fb4a1d1a96d312', name: 'select', kind: 'CLIENT', timestamp: ts + 100, duration: 900, localEndpoint: { serviceName: 'frontend' }, remoteEndpoint: { serviceName: 'mysql', port: 3306 }, tags: { 'otel.scope.name': 'db' } },
    ];
    const res = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(spans) });
    assert.equal(res.statusCode, 202, res.body);
    const got = (await store.getTrace('0000000000000000463ac35c9f6413ad'))!;
    assert.equal(got.length, 2);
    const server = got.find((s) => s.kind === 'server')!;
    assert.equal(server.serviceName, 'frontend');
    assert.deepEqual(server.status, { code: 'error', message: 'boom' });
    assert.equal(server.endTimeUnixNano - server.startTimeUnixNano, 2_500_000n);
    assert.equal(server.events[0].name, 'wr');
    const client = got.find((s) => s.kind === 'client')!;
    assert.equal(client.parentSpanId, 'a2fb4a1d1a96d312');
    assert.equal(client.attributes['peer.service'], 'mysql');
    assert.equal(client.scope.name, 'db');

    const v1 = [{ traceId: '463ac35c9f6413ad', id: 'c2fb4a1d1a96d312', name: 'x', timestamp: ts, binaryAnnotations: [] }];
    const r1 = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(v1) });
    assert.equal(r1.statusCode, 400);
    assert.match(r1.body, /v1/);
    const badId = [{ ...spans[0], id: 'd2fb4a1d1a96d312' }, { ...spans[0], id: 'zz' }];
    const r2 = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(badId) });
    assert.equal(r2.statusCode, 400);
    assert.equal((await store.getTrace('0000000000000000463ac35c9f6413ad'))!.length, 2, 'nothing of the refused request stored');
    const thrift = await app.inject({ method: 'POST', url: '/api/v2/spans', headers: { 'content-type': 'application/x-thrift' }, payload: 'x' });
    assert.equal(thrift.statusCode, 400);
  } finally {
    await done();
  }
});

test('gRPC: malformed message is INVALID_ARGUMENT, a good one is stored, gzip accepted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'traces-grpc-'));
  const store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
  const srv = await startOtlpGrpcServer({ listen: '127.0.0.1:0', store, logger });
  const Client = grpc.makeGenericClientConstructor(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    'TraceService',
  );
  const client = new Client(`127.0.0.1:${srv.port}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
  const call = (payload: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      (client as unknown as { Export(b: Buffer, cb: (e: grpc.ServiceError | null, r: Buffer) => void): void }).Export(payload, (e, r) => (e ? reject(e) : resolve(r)));
    });
  try {
    await assert.rejects(call(Buffer.from([0x0a, 0xff, 0x01])), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
      assert.match(e.details, /invalid protobuf/);
      return true;
    });
    const t = traceProtoTypes().request;
    const msg = t.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(TRACE, 'hex'), spanId: Buffer.from('0102030405060708', 'hex'), name: 'g', startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1n) }, { traceId: Buffer.alloc(16), spanId: Buffer.from('0102030405060709', 'hex'), startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }],
    });
    const resp = traceProtoTypes().response.decode(await call(Buffer.from(t.encode(msg).finish()))) as unknown as { partialSuccess: { rejectedSpans: { toString(): string } } };
    assert.equal(resp.partialSuccess.rejectedSpans.toString(), '1');
    const got = (await store.getTrace(TRACE))!;
    assert.equal(got.length, 1);
    assert.equal(got[0].serviceName, 'unknown_service');
  } finally {
    client.close();
    await srv.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
