/**
 * OTLP metrics ingest: the real OpenTelemetry JS SDK (MeterProvider + the OTLP protobuf and JSON exporters)
 * sending to /v1/metrics, then hand-written requests for the cases the SDK does not produce.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { createHttpServer } from '../../src/server/http.js';
import { registerOtlpMetricsRoutes } from '../../src/metrics/otlp/receive.js';
import { otlpMetricsRoot } from '../../src/metrics/remote/proto.js';
import { labelsToRecord } from '../../src/model/labels.js';
import { isStaleNaN } from '../../src/model/value.js';
import { TsdbTestStorage } from './tsdb-storage.js';

const logger = pino({ level: process.env.SEXTANT_TEST_LOG ?? 'silent' });
const root = otlpMetricsRoot();
const RequestType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
const ResponseType = root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');

function server(storage: TsdbTestStorage): FastifyInstance {
  const app = createHttpServer({ logger, bodyLimit: 4 << 20 });
  registerOtlpMetricsRoutes(app, { storage, logger });
  return app;
}

async function exportWithSdk(exporter: PushMetricExporter, instance: string): Promise<void> {
  const provider = new MeterProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': 'checkout',
        'service.namespace': 'shop',
        'service.instance.id': instance,
        'deployment.environment': 'test',
      }),
    ),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  });
  const meter = provider.getMeter('sextant-test', '1.0.0');
  meter.createCounter('http.requests', { unit: '{request}' }).add(3, { method: 'GET', 'http.status_code': 200 });
  const queue = meter.createUpDownCounter('queue.size', { unit: '{item}' });
  queue.add(5, { queue: 'a' });
  queue.add(-2, { queue: 'a' });
  const hist = meter.createHistogram('request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.25, 0.5, 1] } });
  for (const v of [0.1, 0.3, 2]) hist.record(v, { route: '/pay' });
  meter.createObservableGauge('cpu.utilization', { unit: '1' }).addCallback((r) => r.observe(0.42, { cpu: '0' }));
  await provider.forceFlush();
  await provider.shutdown();
}

async function checkSdkSeries(storage: TsdbTestStorage, instance: string): Promise<void> {
  const id = { job: 'shop/checkout', instance };
  const reqs = await storage.find('http_requests_total', id);
  assert.equal(reqs.length, 1, `${await storage.seriesCount()} series`);
  assert.deepEqual(labelsToRecord(reqs[0].labels), { __name__: 'http_requests_total', method: 'GET', http_status_code: '200', ...id });
  assert.equal(reqs[0].v.at(-1), 3);
  assert.ok(Math.abs(reqs[0].t.at(-1)! - Date.now()) < 60000, 'timestamp in ms near now');

  const q = await storage.find('queue_size', { ...id, queue: 'a' });
  assert.equal(q.length, 1, 'up-down counter becomes a gauge without _total');
  assert.equal(q[0].v.at(-1), 3);

  const bucket = async (le: string) => (await storage.find('request_duration_seconds_bucket', { ...id, route: '/pay', le }))[0]?.v.at(-1);
  assert.equal(await bucket('0.25'), 1);
  assert.equal(await bucket('0.5'), 2);
  assert.equal(await bucket('1'), 2);
  assert.equal(await bucket('+Inf'), 3);
  assert.ok(Math.abs((await storage.find('request_duration_seconds_sum', id))[0].v.at(-1)! - 2.4) < 1e-9);
  assert.equal((await storage.find('request_duration_seconds_count', id))[0].v.at(-1), 3);

  const cpu = await storage.find('cpu_utilization_ratio', { ...id, cpu: '0' });
  assert.equal(cpu.length, 1);
  assert.equal(cpu[0].v.at(-1), 0.42);

  const ti = await storage.find('target_info', id);
  assert.equal(ti.length, 1);
  const tl = labelsToRecord(ti[0].labels);
  assert.equal(tl.deployment_environment, 'test');
  assert.equal(tl.telemetry_sdk_language, 'nodejs');
  assert.equal(tl.service_name, undefined, 'identifying attributes are not repeated on target_info');
  assert.equal(ti[0].v.at(-1), 1);
}

describe('OTLP metrics from the real OpenTelemetry SDK', () => {
  let storage: TsdbTestStorage;
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    storage = await TsdbTestStorage.open();
    app = server(storage);
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/metrics`;
  });
  after(async () => {
    await app.close();
    await storage.close();
  });

  test('protobuf exporter', async () => {
    await exportWithSdk(new ProtoExporter({ url }), 'i-1');
    await checkSdkSeries(storage, 'i-1');
  });

  test('JSON exporter with gzip', async () => {
    // A different instance id keeps these series apart from the protobuf test's.
    await exportWithSdk(new JsonExporter({ url, compression: CompressionAlgorithm.GZIP }), 'i-2');
    await checkSdkSeries(storage, 'i-2');
  });
});

describe('OTLP metrics: hand-written requests', () => {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const ns = (offsetMs: number) => String(nowNs + BigInt(offsetMs) * 1_000_000n);
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] };
  const metrics = (list: unknown[]) => ({ resourceMetrics: [{ resource, scopeMetrics: [{ scope: { name: 's' }, metrics: list }] }] });

  test('JSON: delta and exponential histograms are rejected in partial_success, the rest stored', async () => {
    const storage = await TsdbTestStorage.open();
    const app = server(storage);
    const body = metrics([
      { name: 'ok.gauge', gauge: { dataPoints: [{ asDouble: 1.5, timeUnixNano: ns(0), attributes: [{ key: '1st', value: { intValue: '7' } }] }] } },
      { name: 'delta.count', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: '4', timeUnixNano: ns(0) }] } },
      {
        name: 'exp',
        exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ count: '1', timeUnixNano: ns(0), scale: 1 }] },
      },
      {
        name: 'lat',
        unit: 'ms',
        summary: {
          dataPoints: [{ count: '10', sum: 55, timeUnixNano: ns(0), quantileValues: [{ quantile: 0.5, value: 4 }, { quantile: 0.99, value: 9 }] }],
        },
      },
      {
        name: 'with.exemplar',
        sum: {
          aggregationTemporality: 2,
          isMonotonic: true,
          dataPoints: [
            {
              asInt: '9007199254740993',
              timeUnixNano: ns(0),
              exemplars: [{ asDouble: 1, timeUnixNano: ns(0), traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' }],
            },
          ],
        },
      },
      { name: 'gone', gauge: { dataPoints: [{ asDouble: 2, timeUnixNano: ns(0) }, { asDouble: 3, timeUnixNano: ns(1), flags: 1 }] } },
    ]);
    const res = await app.inject({ method: 'POST', url: '/v1/metrics', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const out = JSON.parse(res.body) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    assert.equal(out.partialSuccess.rejectedDataPoints, '2');
    assert.match(out.partialSuccess.errorMessage, /delta\.count/);
    assert.match(out.partialSuccess.errorMessage, /exponential histogram "exp"/);

    const g = await storage.find('ok_gauge', { job: 'svc' });
    assert.deepEqual(labelsToRecord(g[0].labels), { __name__: 'ok_gauge', job: 'svc', key_1st: '7' });
    assert.equal(g[0].t[0], Number(nowNs / 1_000_000n));
    assert.equal((await storage.find('delta_count_total')).length, 0);
    assert.equal((await storage.find('lat_milliseconds', { quantile: '0.99' }))[0].v[0], 9);
    assert.equal((await storage.find('lat_milliseconds_sum'))[0].v[0], 55);
    assert.equal((await storage.find('lat_milliseconds_count'))[0].v[0], 10);
    assert.equal((await storage.find('with_exemplar_total'))[0].v[0], 9007199254740992);
    const gone = (await storage.find('gone'))[0];
    assert.equal(gone.v[0], 2);
    assert.ok(isStaleNaN(gone.v[1]), 'NoRecordedValue becomes a stale marker');
    // No target_info: the resource has only identifying attributes.
    assert.equal((await storage.find('target_info')).length, 0);
    await app.close();
    await storage.close();
  });

  test('protobuf request gets a protobuf response; all-accepted has no partial_success', async () => {
    const storage = await TsdbTestStorage.open();
    const app = server(storage);
    const msg = RequestType.fromObject(
      metrics([{ name: 'x', gauge: { dataPoints: [{ asInt: 2, timeUnixNano: ns(0) }] } }]) as Record<string, unknown>,
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      payload: gzipSync(RequestType.encode(msg).finish()),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/x-protobuf');
    const decoded = ResponseType.toObject(ResponseType.decode(res.rawPayload)) as { partialSuccess?: unknown };
    assert.equal(decoded.partialSuccess, undefined);
    assert.equal((await storage.find('x', { job: 'svc' }))[0].v[0], 2);
    await app.close();
    await storage.close();
  });

  test('out-of-order points are counted as rejected data points', async () => {
    const storage = await TsdbTestStorage.open();
    const app = server(storage);
    const post = (offset: number) =>
      app.inject({
        method: 'POST',
        url: '/v1/metrics',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(metrics([{ name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [{ count: '1', sum: 1, bucketCounts: ['1', '0'], explicitBounds: [1], timeUnixNano: ns(offset) }] } }])),
      });
    assert.equal((await post(0)).body, '{}');
    const res = await post(-5000);
    const out = JSON.parse(res.body) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    assert.equal(out.partialSuccess.rejectedDataPoints, '1', 'one histogram point, though four samples were refused');
    assert.match(out.partialSuccess.errorMessage, /out of order/);
    await app.close();
    await storage.close();
  });

  test('malformed bodies get 400 with a Status in the request encoding', async () => {
    const storage = await TsdbTestStorage.open();
    const app = server(storage);
    const cases: [Record<string, string>, Buffer | string][] = [
      [{ 'content-type': 'application/json' }, '{not json'],
      [{ 'content-type': 'application/json' }, '[1,2]'],
      [{ 'content-type': 'application/json' }, JSON.stringify({ resourceMetrics: 'nope' })],
      [{ 'content-type': 'application/x-protobuf' }, Buffer.from([0x0a, 0x7f, 0x00])],
      [{ 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, Buffer.from('not gzip')],
    ];
    for (const [headers, payload] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/metrics', headers, payload });
      assert.equal(res.statusCode, 400, `${JSON.stringify(headers)} ${String(payload)}: ${res.body}`);
      if (headers['content-type'] === 'application/json') assert.equal((JSON.parse(res.body) as { code: number }).code, 3);
      else assert.equal(res.rawPayload[0], 0x08);
    }
    const bad = await app.inject({ method: 'POST', url: '/v1/metrics', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    assert.equal(bad.statusCode, 415);
    assert.equal(await storage.sampleCount(), 0);
    await app.close();
    await storage.close();
  });
});
