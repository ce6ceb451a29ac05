// OTLP logs ingest with the real OpenTelemetry JS logs SDK and its OTLP/HTTP exporters (protobuf and JSON).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { startIngestServer, labelsOf } from './ingest-helpers.js';

for (const kind of ['protobuf', 'json'] as const) {
  test(`real OTel SDK → /v1/logs (${kind}): resource → labels, body, severity, attributes, trace context`, async () => {
    const s = await startIngestServer();
    try {
      const url = `${s.url}/v1/logs`;
      const exporter = kind === 'protobuf' ? new ProtoExporter({ url }) : new JsonExporter({ url });
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({
          'service.name': 'checkout',
          'k8s.namespace.name': 'shop',
          'k8s.pod.name': 'checkout-5c7d',
          'k8s.container.name': 'app',
          'deployment.environment': 'prod',
          'host.arch': 'amd64',
        }),
        processors: [new BatchLogRecordProcessor({ exporter })],
      });
      const logger = provider.getLogger('payments', '1.2.3');
      const spanCtx = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };
      const ctx = trace.setSpanContext(context.active(), spanCtx);
      logger.emit({ body: 'payment accepted', severityNumber: SeverityNumber.INFO, severityText: 'INFO', attributes: { 'order.id': 42, 'http.route': '/pay' }, context: ctx, timestamp: 1714557600123 });
      logger.emit({ body: { event: 'refund', amount: 9.5 }, severityNumber: SeverityNumber.ERROR, timestamp: 1714557601000 });
      await provider.forceFlush();
      await provider.shutdown();
      const all = await s.all();
      assert.equal(all.length, 2);
      assert.deepEqual(labelsOf(all[0]), { container: 'app', deployment_environment: 'prod', namespace: 'shop', pod: 'checkout-5c7d', service_name: 'checkout' });
      assert.equal(all[0].line, 'payment accepted');
      assert.equal(all[0].ts, 1714557600123n * 1_000_000n);
      assert.equal(all[0].traceId, spanCtx.traceId);
      assert.equal(all[0].spanId, spanCtx.spanId);
      assert.equal(all[0].metadata?.level, 'info');
      assert.equal(all[0].metadata?.order_id, '42');
      assert.equal(all[0].metadata?.http_route, '/pay');
      assert.equal(all[0].metadata?.host_arch, 'amd64');
      assert.equal(all[0].metadata?.scope_name, 'payments');
      assert.deepEqual(JSON.parse(all[1].line), { event: 'refund', amount: 9.5 });
      assert.equal(all[1].metadata?.level, 'error');
      assert.equal(all[1].traceId, undefined);
    } finally {
      await s.close();
    }
  });
}

test('OTLP/JSON by hand: gzip, no service.name → unknown_service, partial_success for refused records, 400 on garbage', async () => {
  const s = await startIngestServer({ now: () => 1714557700000, rejectOlderThanMs: 60_000 });
  try {
    const req = {
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'k8s.namespace.name', value: { stringValue: 'ops' } }] },
          scopeLogs: [
            {
              logRecords: [
                { timeUnixNano: '1714557690000000000', body: { stringValue: 'fresh' }, severityText: 'Warning', traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' },
                { timeUnixNano: '1714550000000000000', body: { stringValue: 'stale' } },
              ],
            },
          ],
        },
      ],
    };
    const r = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(req)) });
    assert.equal(r.status, 200);
    const res = (await r.json()) as { partialSuccess?: { rejectedLogRecords: string; errorMessage: string } };
    assert.equal(res.partialSuccess?.rejectedLogRecords, '1');
    assert.match(res.partialSuccess?.errorMessage ?? '', /too old/);
    const all = await s.all();
    assert.deepEqual(all.map((e) => e.line), ['fresh']);
    assert.deepEqual(labelsOf(all[0]), { namespace: 'ops', service_name: 'unknown_service' });
    assert.equal(all[0].metadata?.level, 'warning');
    assert.equal(all[0].traceId, '5b8efff798038103d269b633813fc60c');

    let bad = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]) });
    assert.equal(bad.status, 400);
    bad = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"zz"}]}]}]}' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /not hex/);
    bad = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    assert.equal(bad.status, 415);
    assert.equal((await s.all()).length, 1);
  } finally {
    await s.close();
  }
});
