// Elasticsearch _bulk ingest. No shipper is installable here, so the bodies are reconstructions of the
// documented formats of Fluent Bit's `es` output (create actions without _index when Index is in the URL,
// `@timestamp` as "YYYY-MM-DDTHH:MM:SS.fffZ", kubernetes metadata from the kubernetes filter), Vector's
// `elasticsearch` sink (index actions with _index, `timestamp`, `message`) and Logstash's elasticsearch output
// (index actions, `@timestamp`, `host.name`, `log.level`, `@version`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startIngestServer, labelsOf } from './ingest-helpers.js';

const ndjson = (...lines: unknown[]): string => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

test('Fluent Bit es output: create actions, @timestamp, kubernetes fields → labels, rest → metadata', async () => {
  const s = await startIngestServer();
  try {
    const body = ndjson(
      { create: { _index: 'fluent-bit' } },
      {
        '@timestamp': '2024-05-01T10:00:00.123456789Z',
        log: 'GET /healthz 200\n',
        stream: 'stdout',
        kubernetes: { namespace_name: 'prod', pod_name: 'api-7d9f', container_name: 'api', labels: { app: 'api' } },
        trace_id: '0AF7651916CD43DD8448EB211C80319C',
        level: 'INFO',
      },
      { create: { _index: 'fluent-bit' } },
      { '@timestamp': '2024-05-01T10:00:01.000Z', log: 'second', kubernetes: { namespace_name: 'prod', pod_name: 'api-7d9f', container_name: 'api' } },
    );
    const r = await fetch(`${s.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: gzipSync(body) });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-elastic-product'), 'Elasticsearch');
    const res = (await r.json()) as { errors: boolean; items: { create: { status: number; result: string; _index: string; _id: string } }[] };
    assert.equal(res.errors, false);
    assert.equal(res.items.length, 2);
    assert.equal(res.items[0].create.status, 201);
    assert.equal(res.items[0].create.result, 'created');
    assert.equal(res.items[0].create._index, 'fluent-bit');
    assert.equal(res.items[0].create._id.length, 20);
    const all = await s.all();
    assert.equal(all.length, 2);
    assert.deepEqual(labelsOf(all[0]), { container: 'api', index: 'fluent-bit', namespace: 'prod', pod: 'api-7d9f' });
    assert.equal(all[0].line, 'GET /healthz 200');
    assert.equal(all[0].ts, 1714557600123456789n);
    assert.equal(all[0].traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.deepEqual(all[0].metadata, { level: 'info', stream: 'stdout', kubernetes_labels_app: 'api' });
  } finally {
    await s.close();
  }
});

test('Vector and Logstash bodies; index from the URL; configurable label fields', async () => {
  const s = await startIngestServer({}, { bulkLabelFields: ['_index=index', 'host.name=host', 'service=app'] });
  try {
    const vector = ndjson(
      { index: { _index: 'vector-2024.05.01' } },
      { timestamp: '2024-05-01T10:00:00.5Z', message: 'vector line', host: { name: 'node-1' }, service: 'checkout', source_type: 'kubernetes_logs' },
    );
    let r = await fetch(`${s.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: vector });
    assert.equal(r.status, 200);
    const logstash = ndjson(
      { index: {} },
      { '@timestamp': '2024-05-01T10:00:02.000Z', '@version': '1', message: 'logstash line', host: { name: 'node-2' }, log: { level: 'WARN' }, event: { original: 'x' } },
    );
    r = await fetch(`${s.url}/logstash-2024.05.01/_bulk`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: logstash });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { errors: boolean }).errors, false);
    const all = await s.all();
    assert.deepEqual(labelsOf(all[0]), { app: 'checkout', host: 'node-1', index: 'vector-2024.05.01' });
    assert.equal(all[0].line, 'vector line');
    assert.deepEqual(all[0].metadata, { source_type: 'kubernetes_logs' });
    assert.deepEqual(labelsOf(all[1]), { host: 'node-2', index: 'logstash-2024.05.01' });
    assert.deepEqual(all[1].metadata, { level: 'warn', _version: '1', event_original: 'x' });
  } finally {
    await s.close();
  }
});

test('per-item errors as Elasticsearch reports them; a malformed action line fails the whole request', async () => {
  const s = await startIngestServer();
  try {
    const body = ndjson(
      { delete: { _index: 'a', _id: '1' } },
      { update: { _index: 'a', _id: '2' } },
      { doc: { x: 1 } },
      { index: { _index: 'a' } },
      '{"message": broken',
      { index: {} },
      { message: 'no index' },
      { create: { _index: 'a', _id: 'keep' } },
      { message: 'stored', '@timestamp': 1714557600000 },
      { create: { _index: 'a' } },
      { message: 'whole doc has no message field', nested: true, '@timestamp': 1714557601 },
    );
    const r = await fetch(`${s.url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    assert.equal(r.status, 200);
    const res = (await r.json()) as { errors: boolean; items: Record<string, { status: number; error?: { type: string; reason: string }; _id: string | null }>[] };
    assert.equal(res.errors, true);
    assert.deepEqual(res.items.map((it) => Object.keys(it)[0]), ['delete', 'update', 'index', 'index', 'create', 'create']);
    assert.deepEqual(res.items.map((it) => Object.values(it)[0].status), [400, 400, 400, 400, 201, 201]);
    assert.equal(res.items[2].index.error?.type, 'document_parsing_exception');
    assert.match(res.items[2].index.error?.reason ?? '', /line \[5\]/);
    assert.equal(res.items[3].index.error?.type, 'action_request_validation_exception');
    assert.equal(res.items[4].create._id, 'keep');
    const all = await s.all();
    assert.deepEqual(all.map((e) => e.line), ['stored', 'whole doc has no message field']);
    assert.equal(all[0].ts, 1714557600000n * 1_000_000n);
    assert.equal(all[1].ts, 1714557601n * 1_000_000_000n);

    const bad = await fetch(`${s.url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson({ index: { _index: 'a' } }, { message: 'would be fine' }, '{not json', { message: 'x' }),
    });
    assert.equal(bad.status, 400);
    const err = (await bad.json()) as { error: { type: string; reason: string }; status: number };
    assert.equal(err.status, 400);
    assert.match(err.error.reason, /Malformed action\/metadata line \[3\]/);
    assert.equal((await s.all()).length, 2, 'nothing from the failed request was stored');
  } finally {
    await s.close();
  }
});

test('handshakes: GET / answers like Elasticsearch to shippers but leaves browsers to the UI; templates, license, ILM', async () => {
  // The extra GET / stands in for the web UI's route.
  const s = await startIngestServer({}, { esVersion: '7.17.0' }, undefined, (app) => app.get('/', async () => 'ui'));
  try {
    let r = await fetch(`${s.url}/`, { headers: { 'user-agent': 'Fluent-Bit', accept: '*/*' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-elastic-product'), 'Elasticsearch');
    const info = (await r.json()) as { version: { number: string; build_flavor: string }; tagline: string };
    assert.equal(info.version.number, '7.17.0');
    assert.equal(info.tagline, 'You Know, for Search');
    r = await fetch(`${s.url}/`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    r = await fetch(`${s.url}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(await r.text(), 'ui');
    for (const [method, path] of [['GET', '/_license'], ['GET', '/_xpack'], ['PUT', '/_index_template/logs'], ['GET', '/_index_template/logs'], ['HEAD', '/_template/x'], ['PUT', '/_ilm/policy/p'], ['GET', '/_cluster/health'], ['GET', '/_cat/indices?format=json']]) {
      r = await fetch(`${s.url}${path}`, { method, body: method === 'PUT' ? '{"index_patterns":["x*"]}' : undefined, headers: method === 'PUT' ? { 'content-type': 'application/json' } : {} });
      assert.equal(r.status, 200, `${method} ${path}`);
    }
  } finally {
    await s.close();
  }
});
