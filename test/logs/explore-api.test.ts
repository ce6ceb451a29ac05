/**
 * The endpoints Grafana's Loki data source, Explore and Logs Drilldown call beyond queries: index/volume,
 * index/volume_range, detected_labels, detected_fields, detected_field/<name>/values — against the real
 * store, fed through the real push API, with Loki's request parameters and JSON shapes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/server/http.js';
import { openLogStore } from '../../src/logs/store/index.js';
import type { LogStore } from '../../src/logs/store/interface.js';
import { registerLogIngestRoutes } from '../../src/logs/ingest/routes.js';
import { registerLokiQueryRoutes } from '../../src/logs/api/routes.js';
import { tempDir } from '../peers/process.js';

const MIN = 60_000;
// A whole minute 30 minutes ago: volume_range buckets align to multiples of the step.
const T0 = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;
const ns = (ms: number): string => String(BigInt(ms) * 1000000n);

let app: FastifyInstance;
let store: LogStore;
let dir: string;
let base: string;

before(async () => {
  dir = tempDir('logs-explore-api');
  const logger = pino({ level: 'silent' });
  // Every append is flushed to a Parquet file: volumes and fields come from the columnar files, not the head.
  store = await openLogStore({ dir, maxHeadBytes: 1 });
  app = createHttpServer({ logger, bodyLimit: 1 << 24 });
  registerLogIngestRoutes(app, { store, logger });
  registerLokiQueryRoutes(app, { store, logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const res = await fetch(`${base}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      streams: [
        // 10-byte lines: volumes are easy to check.
        { stream: { job: 'api', env: 'prod', team: 'a', req_id: '1234' }, values: [[ns(T0 + 1000), '0123456789'], [ns(T0 + MIN + 1000), '0123456789']] },
        { stream: { job: 'api', env: 'dev', team: 'a', req_id: '5678' }, values: [[ns(T0 + 2000), '01234']] },
        { stream: { job: 'web', env: 'prod', team: 'b', req_id: '9999' }, values: [[ns(T0 + 3000), '0123456789012345678901234567890123456789']] },
        {
          stream: { job: 'app', namespace: '42' },
          values: [
            [ns(T0 + 4000), '{"level":"info","status":200,"latency":"15ms","user":{"id":"u1","admin":true},"size":"2KB","ratio":0.5}', { trace_id: 'abc' }],
            [ns(T0 + 5000), '{"level":"error","status":500,"latency":"1.5s","user":{"id":"u2","admin":false},"size":"10MB","ratio":1.25}', { trace_id: 'def' }],
          ],
        },
        { stream: { job: 'fmt' }, values: [[ns(T0 + 6000), 'level=warn msg="slow query" took=2s'], [ns(T0 + 7000), 'plain words only']] },
        {
          stream: { job: 'http' },
          values: [
            [ns(T0 + 1000), 'GET /api/users 200 15ms'],
            [ns(T0 + 2000), 'GET /api/orders 200 7ms'],
            [ns(T0 + 3000), 'GET /api/users 404 2ms'],
            [ns(T0 + MIN + 1000), 'GET /api/users 200 9ms'],
            [ns(T0 + MIN + 2000), 'worker finished job 17 in 3s'],
            [ns(T0 + MIN + 3000), 'worker finished job 18 in 4s'],
          ],
        },
      ],
    }),
  });
  assert.equal(res.status, 204, await res.text());
});

after(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, params: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`);
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

const window = { start: ns(T0 - MIN), end: ns(T0 + 10 * MIN) };

test('index/volume: vector of bytes per series of the selector labels, largest first, limit', async () => {
  const r = await get('/loki/api/v1/index/volume', { query: '{job=~"api|web", env=~".+"}', ...window });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'success');
  assert.equal(r.body.data.resultType, 'vector');
  const end = Number(BigInt(window.end) / 1000000n) / 1000;
  assert.deepEqual(r.body.data.result, [
    { metric: { job: 'web', env: 'prod' }, value: [end, '40'] },
    { metric: { job: 'api', env: 'prod' }, value: [end, '20'] },
    { metric: { job: 'api', env: 'dev' }, value: [end, '5'] },
  ]);
  const limited = await get('/loki/api/v1/index/volume', { query: '{job=~"api|web", env=~".+"}', limit: '1', ...window });
  assert.deepEqual(limited.body.data.result.map((x: { metric: unknown }) => x.metric), [{ job: 'web', env: 'prod' }]);
});

test('index/volume: targetLabels and aggregateBy=labels', async () => {
  const byTeam = await get('/loki/api/v1/index/volume', { query: '{env="prod"}', targetLabels: 'team', ...window });
  assert.deepEqual(
    byTeam.body.data.result.map((x: { metric: unknown; value: [number, string] }) => [x.metric, x.value[1]]),
    [[{ team: 'b' }, '40'], [{ team: 'a' }, '20']],
  );
  const byLabel = await get('/loki/api/v1/index/volume', { query: '{job=~"api|web"}', aggregateBy: 'labels', ...window });
  assert.deepEqual(
    byLabel.body.data.result.map((x: { metric: unknown; value: [number, string] }) => [x.metric, x.value[1]]),
    [[{ env: '' }, '65'], [{ job: '' }, '65'], [{ req_id: '' }, '65'], [{ team: '' }, '65']],
  );
  const bad = await get('/loki/api/v1/index/volume', { query: '{job="api"}', aggregateBy: 'pods', ...window });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /invalid aggregateBy/);
  const all = await get('/loki/api/v1/index/volume', { query: '{}', ...window });
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.equal(all.body.data.result.length, 6, 'match-all keeps every label: one series per stream');
});

test('index/volume_range: a matrix of per-step bytes at step boundaries', async () => {
  const r = await get('/loki/api/v1/index/volume_range', { query: '{job="api", env="prod"}', start: ns(T0), end: ns(T0 + 3 * MIN), step: '60s' });
  assert.equal(r.status, 200);
  assert.equal(r.body.data.resultType, 'matrix');
  const at = (ms: number): number => ms / 1000;
  assert.deepEqual(r.body.data.result, [{ metric: { job: 'api', env: 'prod' }, values: [[at(T0 + MIN - 1), '10'], [at(T0 + 2 * MIN - 1), '10']] }]);
});

test('detected_labels: labels with cardinality; all-ID labels left out unless static', async () => {
  const r = await get('/loki/api/v1/detected_labels', { query: '{job=~".+"}', ...window });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    detectedLabels: [
      { label: 'env', cardinality: 2 },
      { label: 'job', cardinality: 5 },
      { label: 'namespace', cardinality: 1 }, // all numeric but static
      { label: 'team', cardinality: 2 },
    ],
  });
  const one = await get('/loki/api/v1/detected_labels', { query: '{job="web"}', ...window });
  assert.deepEqual(one.body.detectedLabels.map((l: { label: string }) => l.label), ['env', 'job', 'team']);
});

test('detected_fields: structured metadata and json/logfmt fields with Loki types, parsers and JSON paths', async () => {
  const r = await get('/loki/api/v1/detected_fields', { query: '{job=~"app|fmt"}', ...window });
  assert.equal(r.status, 200);
  const byName = Object.fromEntries((r.body.fields as { label: string; type: string; cardinality: number; parsers: string[] | null }[]).map((f) => [f.label, f]));
  assert.equal(r.body.limit, 1000);
  assert.deepEqual(byName.trace_id, { label: 'trace_id', type: 'string', cardinality: 2, parsers: null });
  assert.deepEqual(byName.status, { label: 'status', type: 'int', cardinality: 2, parsers: ['json'], jsonPath: ['status'] });
  assert.deepEqual(byName.user_id, { label: 'user_id', type: 'string', cardinality: 2, parsers: ['json'], jsonPath: ['user', 'id'] });
  assert.equal(byName.user_admin.type, 'boolean');
  assert.equal(byName.ratio.type, 'float');
  assert.equal(byName.latency.type, 'duration');
  assert.equal(byName.size.type, 'bytes');
  assert.deepEqual(byName.level.parsers?.sort(), ['json', 'logfmt']);
  assert.equal(byName.level.cardinality, 3);
  assert.deepEqual(byName.took, { label: 'took', type: 'duration', cardinality: 1, parsers: ['logfmt'] });
  assert.equal(byName.plain, undefined, 'bare words of a plain line are not fields');
  const limited = await get('/loki/api/v1/detected_fields', { query: '{job="app"}', limit: '2', ...window });
  assert.equal(limited.body.fields.length, 2);
  const none = await get('/loki/api/v1/detected_fields', { query: '{job="nothing"}', ...window });
  assert.deepEqual(none.body, {});
  const bad = await get('/loki/api/v1/detected_fields', { query: 'rate({job="app"}[1m])', ...window });
  assert.equal(bad.status, 400);
});

test('detected_field/<name>/values: distinct values of one field', async () => {
  const r = await get('/loki/api/v1/detected_field/level/values', { query: '{job=~"app|fmt"}', ...window });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { values: ['error', 'info', 'warn'], limit: 1000 });
});

test('patterns: templates with <_> and counts per step, usable as |> filters', async () => {
  const r = await get('/loki/api/v1/patterns', { query: '{job="http"}', start: ns(T0), end: ns(T0 + 3 * MIN), step: '60s' });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'success');
  const at = (ms: number): number => ms / 1000;
  assert.deepEqual(r.body.data, [
    { pattern: 'GET <_> <_> <_>', samples: [[at(T0), 3], [at(T0 + MIN), 1]] },
    { pattern: 'worker finished job <_> in <_>', samples: [[at(T0 + MIN), 2]] },
  ]);
  for (const { pattern } of r.body.data as { pattern: string }[]) {
    const q = await get('/loki/api/v1/query_range', { query: `{job="http"} |> ${JSON.stringify(pattern)}`, start: ns(T0), end: ns(T0 + 3 * MIN), limit: '100' });
    const n = (q.body.data.result as { values: unknown[] }[]).reduce((a, s) => a + s.values.length, 0);
    assert.equal(n, pattern.startsWith('GET') ? 4 : 2, pattern);
  }
});
