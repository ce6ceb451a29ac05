/** /metrics and /host/metrics over HTTP, checked by our strict reader and by a real Prometheus scraping them. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Counter } from 'prom-client';
import { createHttpServer } from '../../server/http.js';
import { startPrometheus } from '../../../test/peers/prometheus.js';
import type { Peer } from '../../../test/peers/process.js';
import { checkExposition } from './exposition-check.js';
import { TEXT_CONTENT_TYPE } from './exposition.js';
import { acceptsGzip, registerCollectorRoutes } from './routes.js';
import { selfRegistry } from './self.js';

let app: FastifyInstance;
let port: number;

const testCounter = new Counter({
  name: 'sextant_collectors_test_events_total',
  help: 'Events counted by the collectors route test.',
  labelNames: ['kind'],
  registers: [selfRegistry],
});

before(async () => {
  app = createHttpServer({ logger: pino({ level: 'silent' }), bodyLimit: 1 << 20 });
  registerCollectorRoutes(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
});

after(async () => {
  await app.close();
});

test('acceptsGzip honours q-values and wildcards', () => {
  assert.equal(acceptsGzip(undefined), false);
  assert.equal(acceptsGzip('gzip'), true);
  assert.equal(acceptsGzip('deflate, gzip;q=0.5'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip('*'), true);
  assert.equal(acceptsGzip(['br', 'GZIP']), true);
});

test('GET /metrics: prom-client content type, build info, defaults and counters registered by subsystems', async () => {
  testCounter.inc({ kind: 'a' }, 3);
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], selfRegistry.contentType);
  assert.equal(res.headers['content-encoding'], undefined);
  const check = checkExposition(res.body);
  assert.deepEqual(check.errors, []);
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const build = check.families.get('sextant_build_info')!.samples[0]!;
  assert.equal(build.labels['version'], version);
  assert.equal(build.labels['nodeversion'], process.version);
  // This test runs from a git checkout, so the revision is HEAD's commit id unless a release build set it.
  if (process.env['SEXTANT_REVISION']) assert.equal(build.labels['revision'], process.env['SEXTANT_REVISION']);
  else assert.match(build.labels['revision']!, /^[0-9a-f]{40}$/);
  assert.equal(build.value, 1);
  assert.ok(check.families.has('process_cpu_seconds_total'));
  assert.ok(check.families.has('nodejs_heap_size_used_bytes'));
  assert.equal(check.families.get('sextant_collectors_test_events_total')!.samples.find((s) => s.labels['kind'] === 'a')!.value, 3);
});

test('GET /metrics and /host/metrics gzip the body when asked to, and only then', async () => {
  for (const url of ['/metrics', '/host/metrics']) {
    const gz = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(gz.statusCode, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(String(gz.headers['vary']), /Accept-Encoding/i);
    const text = gunzipSync(gz.rawPayload).toString('utf8');
    assert.deepEqual(checkExposition(text).errors, []);
    const plain = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(checkExposition(plain.body).errors, []);
  }
});

test('GET /host/metrics: text format 0.0.4 with the host families', async () => {
  const res = await app.inject({ method: 'GET', url: '/host/metrics' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], TEXT_CONTENT_TYPE);
  const check = checkExposition(res.body);
  assert.deepEqual(check.errors, []);
  for (const name of ['node_cpu_seconds_total', 'node_memory_MemTotal_bytes', 'node_load1', 'node_uname_info']) {
    assert.ok(check.families.has(name), name);
  }
});

test('a real Prometheus scrapes both endpoints successfully', async () => {
  let prom: Peer | undefined;
  try {
    prom = await startPrometheus(
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: sextant',
        '    static_configs: [{ targets: ["127.0.0.1:' + port + '"] }]',
        '  - job_name: host',
        '    metrics_path: /host/metrics',
        '    static_configs: [{ targets: ["127.0.0.1:' + port + '"] }]',
        '',
      ].join('\n'),
    );
    const query = async (q: string) => {
      const r = await fetch(`${prom!.url}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await r.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.data.result;
    };
    const deadline = Date.now() + 30000;
    let up: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
    while (Date.now() < deadline) {
      up = await query('up');
      if (up.length === 2 && up.every((s) => s.value[1] === '1')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(
      up.map((s) => `${s.metric['job']}=${s.value[1]}`).sort(),
      ['host=1', 'sextant=1'],
      `targets not healthy: ${JSON.stringify(await (await fetch(prom.url + '/api/v1/targets')).json())}`,
    );
    const scraped = await query('scrape_samples_scraped{job="host"}');
    assert.ok(Number(scraped[0]!.value[1]) > 100, `host samples scraped: ${JSON.stringify(scraped)}`);
    const cpus = await query('count by (mode) (node_cpu_seconds_total{job="host"})');
    assert.ok(cpus.some((s) => s.metric['mode'] === 'idle'));
    const build = await query('sextant_build_info{job="sextant"}');
    assert.equal(build.length, 1);
  } finally {
    await prom?.stop();
  }
});
