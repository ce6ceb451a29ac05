/*
 * One service of the small instrumented test app, run as its own process:
 *
 *   SERVICE_NAME=frontend DOWNSTREAM=http://127.0.0.1:P EXPORTER=proto|json|grpc|zipkin ENDPOINT=... node service.cjs
 *
 * Instrumented with the real OpenTelemetry Node SDK and its HTTP instrumentation; CommonJS so that the SDK
 * patches `http` when it is required (ESM would need the loader hook). GET /work calls DOWNSTREAM/work (if
 * set) and answers {traceId}; the last service adds a manual span with an event and, for ?fail=1, an error.
 * Prints "listening <port>" once ready; SIGTERM flushes the exporter and exits.
 */
'use strict';
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');

const name = process.env.SERVICE_NAME;
const endpoint = process.env.ENDPOINT;
function makeExporter(kind) {
  switch (kind) {
    case 'proto':
      return new (require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter)({ url: `${endpoint}/v1/traces` });
    case 'json':
      return new (require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter)({ url: `${endpoint}/v1/traces` });
    case 'grpc':
      return new (require('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter)({ url: endpoint, compression: 'gzip' });
    case 'zipkin':
      return new (require('@opentelemetry/exporter-zipkin').ZipkinExporter)({ url: `${endpoint}/api/v2/spans` });
    default:
      throw new Error(`unknown EXPORTER ${kind}`);
  }
}

const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': name, 'service.version': '1.0.0', 'deployment.environment': 'test' }),
  spanProcessors: [new BatchSpanProcessor(makeExporter(process.env.EXPORTER), { scheduledDelayMillis: 100 })],
  instrumentations: [new HttpInstrumentation()],
});
sdk.start();

const http = require('node:http');
const api = require('@opentelemetry/api');
const downstream = process.env.DOWNSTREAM;

function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      })
      .on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const traceId = api.trace.getActiveSpan()?.spanContext().traceId;
  const fail = url.searchParams.get('fail') === '1';
  try {
    if (downstream) {
      const r = await get(`${downstream}/work${fail ? '?fail=1' : ''}`);
      res.statusCode = r.status;
    } else {
      const tracer = api.trace.getTracer('test-app', '0.1.0');
      await tracer.startActiveSpan('check-stock', { attributes: { 'stock.item': 'sku-42', 'stock.count': 7 } }, async (span) => {
        await new Promise((r) => setTimeout(r, 20));
        span.addEvent('cache-miss', { 'cache.key': 'sku-42' });
        if (fail) {
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'out of stock' });
          res.statusCode = 500;
        }
        span.end();
      });
    }
  } catch (e) {
    res.statusCode = 502;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ traceId }));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  sdk.shutdown().finally(() => process.exit(0));
});
