/**
 * End to end with the real OpenTelemetry Node SDK: three instrumented services (frontend → cart → inventory,
 * each its own process, calling each other over HTTP) export to a real Sextant server. One run mixes the
 * OTLP exporters (http/protobuf, http/json, gRPC with gzip) so one trace is assembled from three protocols;
 * one run uses the Zipkin exporter everywhere. Asserts whole traces in the store (parent links across
 * processes, resource, scope, attributes, events, status), then span-metrics and service-graph series in the
 * metrics storage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestSextant, type TestSextant } from '../support/sextant.js';
import type { Span } from '../../src/traces/model.js';

const APP = join(dirname(fileURLToPath(import.meta.url)), 'app', 'service.cjs');

interface Svc {
  proc: ChildProcess;
  port: number;
}

function startService(env: Record<string, string>): Promise<Svc> {
  const proc = spawn(process.execPath, [APP], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${env.SERVICE_NAME} did not start`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.on('exit', (code) => reject(new Error(`${env.SERVICE_NAME} exited with ${code}`)));
  });
}

async function stopService(s: Svc): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

async function runApp(
  sextant: TestSextant,
  exporters: [string, string, string],
  endpoints: [string, string, string],
  path: string,
): Promise<string> {
  const svcs: Svc[] = [];
  try {
    const inventory = await startService({ SERVICE_NAME: 'inventory', EXPORTER: exporters[2], ENDPOINT: endpoints[2] });
    svcs.push(inventory);
    const cart = await startService({ SERVICE_NAME: 'cart', EXPORTER: exporters[1], ENDPOINT: endpoints[1], DOWNSTREAM: `http://127.0.0.1:${inventory.port}` });
    svcs.push(cart);
    const frontend = await startService({ SERVICE_NAME: 'frontend', EXPORTER: exporters[0], ENDPOINT: endpoints[0], DOWNSTREAM: `http://127.0.0.1:${cart.port}` });
    svcs.push(frontend);
    const res = await fetch(`http://127.0.0.1:${frontend.port}${path}`);
    const { traceId } = (await res.json()) as { traceId: string };
    assert.match(traceId, /^[0-9a-f]{32}$/);
    return traceId;
  } finally {
    // SIGTERM makes each SDK flush its exporter before exiting.
    await Promise.all(svcs.map(stopService));
  }
}

async function waitForTrace(sextant: TestSextant, traceId: string, spans: number): Promise<Span[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const t = await sextant.traces.getTrace(traceId);
    if (t && t.length >= spans) return t;
    if (Date.now() > deadline) assert.fail(`trace ${traceId}: ${t?.length ?? 0} of ${spans} spans arrived`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function checkTrace(spans: Span[], zipkin: boolean): void {
  // frontend server + client, cart server + client, inventory server + manual check-stock span.
  assert.equal(spans.length, 6);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const roots = spans.filter((s) => !s.parentSpanId);
  assert.equal(roots.length, 1);
  assert.equal(roots[0].serviceName, 'frontend');
  assert.equal(roots[0].kind, 'server');
  for (const s of spans) if (s !== roots[0]) assert.ok(byId.has(s.parentSpanId!), `parent of ${s.serviceName}/${s.name} is in the trace`);
  // Parent links cross processes: cart's server span is a child of frontend's client span.
  const cartServer = spans.find((s) => s.serviceName === 'cart' && s.kind === 'server')!;
  const parent = byId.get(cartServer.parentSpanId!)!;
  assert.equal(parent.serviceName, 'frontend');
  assert.equal(parent.kind, 'client');
  const manual = spans.find((s) => s.name === 'check-stock')!;
  assert.equal(manual.serviceName, 'inventory');
  assert.equal(byId.get(manual.parentSpanId!)!.kind, 'server');
  assert.equal(manual.status.code, 'error');
  assert.equal(manual.status.message, 'out of stock');
  assert.equal(manual.events[0].name, 'cache-miss');
  if (zipkin) {
    // Zipkin carries tags as strings (the JS exporter folds resource attributes into them) and no scope or
    // event attributes.
    assert.equal(manual.attributes['stock.count'], '7');
    assert.equal(manual.attributes['deployment.environment'], 'test');
  } else {
    assert.equal(manual.scope.name, 'test-app');
    assert.equal(manual.attributes['stock.count'], 7);
    assert.equal(manual.attributes['stock.item'], 'sku-42');
    assert.deepEqual(manual.events[0].attributes, { 'cache.key': 'sku-42' });
    assert.equal(manual.scope.version, '0.1.0');
    assert.equal(manual.resource['deployment.environment'], 'test');
    assert.equal(manual.resource['service.version'], '1.0.0');
    assert.ok(manual.endTimeUnixNano - manual.startTimeUnixNano >= 15_000_000n, 'the 20 ms sleep is in the duration');
  }
  const httpServer = spans.find((s) => s.serviceName === 'inventory' && s.kind === 'server')!;
  assert.equal(String(httpServer.attributes['http.status_code'] ?? httpServer.attributes['http.response.status_code']), '500');
}

async function metric(sextant: TestSextant, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const matchers = [{ type: '=' as const, name: '__name__', value: name }, ...Object.entries(labels).map(([n, v]) => ({ type: '=' as const, name: n, value: v }))];
  const res = await sextant.storage.querier().select(matchers, 0, Date.now() + 60_000);
  if (res.length === 0) return undefined;
  let sum = 0;
  for (const s of res) sum += s.values[s.values.length - 1];
  return sum;
}

test('real OTel SDK services export through OTLP http/protobuf, http/json, gRPC and Zipkin', { timeout: 180_000 }, async () => {
  const sextant = await startTestSextant({ otlpGrpcListen: '127.0.0.1:0', otlpHttpListen: '127.0.0.1:0' });
  try {
    const base = sextant.url;
    const grpc = `http://127.0.0.1:${sextant.otlpGrpcPort}`;
    // frontend: http/protobuf on the extra 4318-style listener; cart: http/json on the main port; inventory: gRPC.
    const mixed = await runApp(sextant, ['proto', 'json', 'grpc'], [sextant.otlpHttpUrl!, base, grpc], '/work?fail=1');
    checkTrace(await waitForTrace(sextant, mixed, 6), false);
    const zip = await runApp(sextant, ['zipkin', 'zipkin', 'zipkin'], [base, base, base], '/work?fail=1');
    checkTrace(await waitForTrace(sextant, zip, 6), true);

    const found = await sextant.traces.search({ start: 0n, end: 2n ** 62n, serviceName: 'inventory', spanName: 'check-stock', limit: 10 });
    assert.deepEqual(found.map((f) => f.traceId).sort(), [mixed, zip].sort());
    assert.equal(found[0].spanCount, 6);
    assert.equal(found[0].rootServiceName, 'frontend');

    await sextant.spanMetrics.flush();
    assert.equal(await metric(sextant, 'traces_spanmetrics_calls_total', { service: 'inventory', span_name: 'check-stock', status_code: 'STATUS_CODE_ERROR' }), 2);
    // Zipkin has no INTERNAL kind: the OTLP copy is INTERNAL, the Zipkin one UNSPECIFIED (as the collector maps it).
    assert.equal(await metric(sextant, 'traces_spanmetrics_calls_total', { service: 'inventory', span_name: 'check-stock', span_kind: 'SPAN_KIND_INTERNAL' }), 1);
    assert.equal(await metric(sextant, 'traces_spanmetrics_latency_count', { service: 'frontend', span_kind: 'SPAN_KIND_SERVER' }), 2);
    assert.equal(await metric(sextant, 'traces_spanmetrics_latency_bucket', { service: 'inventory', span_name: 'check-stock', le: '0.002' }), 0);
    assert.equal(await metric(sextant, 'traces_spanmetrics_latency_bucket', { service: 'inventory', span_name: 'check-stock', le: '+Inf' }), 2);
    assert.equal(await metric(sextant, 'traces_service_graph_request_total', { client: 'frontend', server: 'cart' }), 2);
    assert.equal(await metric(sextant, 'traces_service_graph_request_total', { client: 'cart', server: 'inventory' }), 2);
    assert.equal(await metric(sextant, 'traces_service_graph_request_failed_total', { client: 'cart', server: 'inventory' }), 2);
    assert.equal(await metric(sextant, 'traces_service_graph_request_server_seconds_count', { client: 'cart', server: 'inventory' }), 2);

    // The metrics are ordinary PromQL series, and exemplars link a bucket to a trace.
    const q = await fetch(`${base}/api/v1/query?query=${encodeURIComponent('sum by (client, server) (traces_service_graph_request_total)')}`);
    const qb = (await q.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(qb.data.result.length, 2);
    const ex = await fetch(`${base}/api/v1/query_exemplars?query=${encodeURIComponent('traces_spanmetrics_latency_bucket{span_name="check-stock"}')}`);
    const exb = (await ex.json()) as { data: { exemplars: { labels: { trace_id: string } }[] }[] };
    assert.ok(exb.data.length >= 1);
    assert.ok(exb.data.every((d) => [mixed, zip].includes(d.exemplars[0].labels.trace_id)));
  } finally {
    await sextant.stop();
  }
});
