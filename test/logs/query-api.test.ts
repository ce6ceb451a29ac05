/**
 * Loki query API against the real log store, with entries pushed through the real Loki push API: JSON shapes,
 * parameters, error codes, tail over WebSocket.
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

const NOW = Date.now();
const T0 = NOW - 10 * 60_000; // entries 10 minutes ago
const ns = (ms: number): string => String(BigInt(ms) * 1000000n);

let app: FastifyInstance;
let store: LogStore;
let dir: string;
let base: string;

before(async () => {
  dir = tempDir('logs-query-api');
  const logger = pino({ level: 'silent' });
  store = await openLogStore({ dir });
  app = createHttpServer({ logger, bodyLimit: 1 << 24 });
  registerLogIngestRoutes(app, { store, logger });
  registerLokiQueryRoutes(app, { store, logger, tailPollMs: 100 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const values = (job: string): [string, string][] =>
    Array.from({ length: 20 }, (_, i) => [ns(T0 + i * 1000), JSON.stringify({ level: i % 4 === 0 ? 'error' : 'info', i, msg: `${job} line ${i}` })]);
  const res = await fetch(`${base}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      streams: [
        { stream: { job: 'api', pod: 'p1' }, values: values('api') },
        { stream: { job: 'web', pod: 'p2' }, values: [[ns(T0 + 500), 'GET /x 200', { trace_id: '0af7651916cd43dd8448eb211c80319c' }]] },
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

async function get(path: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; text: string; type: string }> {
  const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`, { headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text, type: res.headers.get('content-type') ?? '' };
}

interface TestSocket {
  onmessage: (ev: { data: unknown }) => void;
  onerror: () => void;
  onopen: () => void;
  close(): void;
}

const range = { start: ns(T0 - 1000), end: ns(T0 + 60_000) };

test('query_range: streams result in Loki shape, backward by default, limit', async () => {
  const r = await get('/loki/api/v1/query_range', { query: '{job="api"} |= "line 1"', limit: '3', ...range });
  assert.equal(r.status, 200, r.text);
  const b = r.body as { status: string; data: { resultType: string; result: { stream: Record<string, string>; values: [string, string][] }[]; stats: { summary: Record<string, number> } } };
  assert.equal(b.status, 'success');
  assert.equal(b.data.resultType, 'streams');
  assert.deepEqual(b.data.result[0].stream, { job: 'api', pod: 'p1' });
  const vals = b.data.result.flatMap((s) => s.values);
  assert.equal(vals.length, 3);
  // Newest first: lines 19, 18, 17 contain "line 1".
  assert.deepEqual(vals.map((v) => JSON.parse(v[1]).i), [19, 18, 17]);
  assert.equal(vals[0][0], ns(T0 + 19000));
  assert.equal(typeof b.data.stats.summary.totalLinesProcessed, 'number');
});

test('query_range: forward direction, RFC 3339 and float-second times', async () => {
  const r = await get('/loki/api/v1/query_range', {
    query: '{job="api"} | json | level="error"',
    direction: 'forward',
    start: new Date(T0 - 1000).toISOString(),
    end: String((T0 + 60_000) / 1000 + 0.5),
  });
  assert.equal(r.status, 200, r.text);
  const b = r.body as { data: { result: { stream: Record<string, string>; values: [string, string][] }[] } };
  const vals = b.data.result.flatMap((s) => s.values);
  assert.deepEqual(vals.map((v) => JSON.parse(v[1]).i), [0, 4, 8, 12, 16]);
  assert.equal(b.data.result[0].stream.level, 'error', 'parsed labels are part of the stream');
});

test('query_range: metric query → matrix with [seconds, "value"] points at each step', async () => {
  const r = await get('/loki/api/v1/query_range', {
    query: 'sum by (level) (count_over_time({job="api"} | json [10s]))',
    start: ns(T0 + 10_000),
    end: ns(T0 + 20_000),
    step: '10s',
  });
  assert.equal(r.status, 200, r.text);
  const b = r.body as { data: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] } };
  assert.equal(b.data.resultType, 'matrix');
  const byLevel = Object.fromEntries(b.data.result.map((s) => [s.metric.level, s.values]));
  // (T0, T0+10s]: i=1..10 → errors at 4, 8 → 2; infos 8.  (T0+10s, T0+20s]: i=11..19 → errors 12, 16 → 2; infos 7.
  assert.deepEqual(byLevel.error, [[(T0 + 10_000) / 1000, '2'], [(T0 + 20_000) / 1000, '2']]);
  assert.deepEqual(byLevel.info, [[(T0 + 10_000) / 1000, '8'], [(T0 + 20_000) / 1000, '7']]);
});

test('query (instant): vector and scalar results; Grafana health check vector(1)+vector(1)', async () => {
  const r = await get('/loki/api/v1/query', { query: 'count_over_time({job="api"}[1h])', time: ns(T0 + 60_000) });
  assert.equal(r.status, 200, r.text);
  const b = r.body as { data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  assert.equal(b.data.resultType, 'vector');
  assert.deepEqual(b.data.result, [{ metric: { job: 'api', pod: 'p1' }, value: [(T0 + 60_000) / 1000, '20'] }]);
  const h = await get('/loki/api/v1/query', { query: 'vector(1)+vector(1)', time: '1700000000' });
  assert.deepEqual((h.body as { data: { result: unknown } }).data.result, [{ metric: {}, value: [1700000000, '2'] }]);
  const s = await get('/loki/api/v1/query', { query: '1 + 1', time: '1700000000' });
  assert.deepEqual((s.body as { data: unknown }).data, { resultType: 'scalar', result: [1700000000, '2'], stats: (s.body as { data: { stats: unknown } }).data.stats });
});

test('invalid query → 400 plain text with the parse position', async () => {
  const r = await get('/loki/api/v1/query_range', { query: '{job="api"} |= ', ...range });
  assert.equal(r.status, 400);
  assert.match(r.type, /text\/plain/);
  assert.equal(r.text, 'parse error at line 1, col 16: syntax error: unexpected end of query');
  const r2 = await get('/loki/api/v1/query', { query: 'sum(rate({job="api"}[1m]) by' });
  assert.equal(r2.status, 400);
  assert.match(r2.text, /^parse error at line 1, col \d+: syntax error/);
  const r3 = await get('/loki/api/v1/query_range', { query: '{job="api"}', direction: 'sideways', ...range });
  assert.equal(r3.status, 400);
  const r6 = await get('/loki/api/v1/query_range', { query: '{job="api"}', limit: '5001', ...range });
  assert.equal(r6.status, 400);
  assert.match(r6.text, /max entries limit per query exceeded/);
  const r4 = await get('/loki/api/v1/query_range', { query: 'count_over_time({job="api"}[1m])', start: ns(T0), end: ns(T0 + 86_400_000), step: '1s' });
  assert.equal(r4.status, 400);
  assert.match(r4.text, /maximum resolution of 11,000 points/);
  const r5 = await get('/loki/api/v1/query_range', { query: 'count_over_time({job="api"} | logfmt | unwrap i [1m])', ...range });
  assert.equal(r5.status, 400, 'an invalid aggregation is a parse error');
});

test('labels, label values, series, index stats', async () => {
  const l = await get('/loki/api/v1/labels', range);
  assert.deepEqual(l.body, { status: 'success', data: ['job', 'pod'] });
  const v = await get('/loki/api/v1/label/job/values', range);
  assert.deepEqual(v.body, { status: 'success', data: ['api', 'web'] });
  const vq = await get('/loki/api/v1/label/pod/values', { ...range, query: '{job="web"}' });
  assert.deepEqual(vq.body, { status: 'success', data: ['p2'] });
  const s = await get('/loki/api/v1/series', { ...range, 'match[]': '{job=~"a.*"}' });
  assert.deepEqual(s.body, { status: 'success', data: [{ job: 'api', pod: 'p1' }] });
  const st = await get('/loki/api/v1/index/stats', { ...range, query: '{job="api"}' });
  const stats = st.body as Record<string, number>;
  assert.equal(stats.streams, 1);
  assert.equal(stats.entries, 20);
  assert.ok(stats.bytes > 0);
  const bi = await get('/loki/api/v1/status/buildinfo', {});
  assert.equal(typeof (bi.body as { version: string }).version, 'string');
});

test('categorize-labels: structured metadata and parsed labels per entry, as Grafana requests them', async () => {
  const r = await get('/loki/api/v1/query_range', { query: '{job="web"} | regexp `(?P<method>\\w+) (?P<path>\\S+)`', ...range }, { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' });
  assert.equal(r.status, 200, r.text);
  const b = r.body as { data: { encodingFlags: string[]; result: { stream: Record<string, string>; values: [string, string, Record<string, Record<string, string>>][] }[] } };
  assert.deepEqual(b.data.encodingFlags, ['categorize-labels']);
  assert.deepEqual(b.data.result[0].stream, { job: 'web', pod: 'p2' });
  assert.deepEqual(b.data.result[0].values[0][2].structuredMetadata, { trace_id: '0af7651916cd43dd8448eb211c80319c' });
  assert.deepEqual(b.data.result[0].values[0][2].parsed, { method: 'GET', path: '/x' });
});

test('tail over WebSocket: recent entries first, then new pushes, in Loki tail message shape', async () => {
  // Node 20 has no global WebSocket; ws comes with @fastify/websocket (untyped here).
  const { WebSocket } = (await import('ws' as string)) as { WebSocket: new (url: string) => TestSocket };
  const ws = new WebSocket(`${base.replace('http', 'ws')}/loki/api/v1/tail?${new URLSearchParams({ query: '{job="tail"}', start: ns(NOW - 60_000) })}`);
  const messages: { streams: { stream: Record<string, string>; values: [string, string][] }[]; dropped_entries: unknown }[] = [];
  const got = new Promise<void>((resolve, reject) => {
    ws.onmessage = (ev) => {
      messages.push(JSON.parse(String(ev.data)));
      if (messages.flatMap((m) => m.streams.flatMap((s) => s.values)).length >= 2) resolve();
    };
    ws.onerror = () => reject(new Error('websocket error'));
  });
  await new Promise<void>((resolve) => (ws.onopen = () => resolve()));
  const push = async (line: string, ms: number): Promise<void> => {
    const res = await fetch(`${base}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streams: [{ stream: { job: 'tail' }, values: [[ns(ms), line]] }] }),
    });
    assert.equal(res.status, 204);
  };
  await push('first', Date.now());
  await new Promise((r) => setTimeout(r, 300));
  await push('second', Date.now());
  await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout; got ${JSON.stringify(messages)}`)), 10_000))]);
  ws.close();
  const lines = messages.flatMap((m) => m.streams.flatMap((s) => s.values.map((v) => v[1])));
  assert.deepEqual(lines, ['first', 'second']);
  assert.deepEqual(messages[0].streams[0].stream, { job: 'tail' });
  assert.equal(messages[0].dropped_entries, null);
});

test('tail with an invalid query is refused with 400 before the upgrade', async () => {
  const r = await get('/loki/api/v1/tail', { query: 'rate({a="b"}[1m])' });
  assert.equal(r.status, 400);
});
