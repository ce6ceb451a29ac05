// Loki push API: JSON, gzip JSON and protobuf + snappy. The protobuf bodies are reconstructions of what
// Promtail / Grafana Alloy send (logproto.PushRequest, snappy block compression, Content-Type
// application/x-protobuf, label string per stream, structured metadata), built with the upstream field numbers;
// the JSON bodies follow Fluent Bit's `loki` output and Loki's documented JSON push format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import snappy from 'snappy';
import { encodePushProtobuf } from '../../src/logs/ingest/index.js';
import { startIngestServer, labelsOf } from './ingest-helpers.js';

const NOW_MS = 1_700_000_100_000;
const ns = (ms: number, extra = 0): string => String(BigInt(ms) * 1_000_000n + BigInt(extra));

test('JSON push (Fluent Bit loki output style) stores lines with labels and structured metadata; 204', async () => {
  const s = await startIngestServer();
  try {
    const body = {
      streams: [
        { stream: { job: 'fluent-bit', namespace: 'prod', pod: 'api-1' }, values: [[ns(NOW_MS, 1), '{"level":"info","msg":"hello"}'], [ns(NOW_MS, 2), 'plain line', { trace_id: '0af7651916cd43dd8448eb211c80319c' }]] },
        { stream: { job: 'fluent-bit', namespace: 'prod', pod: 'api-2' }, values: [[ns(NOW_MS, 3), 'third']] },
      ],
    };
    const r = await fetch(`${s.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 204);
    const gz = await fetch(`${s.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ streams: [{ stream: { job: 'gz' }, values: [[ns(NOW_MS, 4), 'zipped']] }] })),
    });
    assert.equal(gz.status, 204);
    const all = await s.all();
    assert.deepEqual(all.map((e) => e.line), ['{"level":"info","msg":"hello"}', 'plain line', 'third', 'zipped']);
    assert.deepEqual(labelsOf(all[0]), { job: 'fluent-bit', namespace: 'prod', pod: 'api-1' });
    assert.equal(all[0].ts, BigInt(ns(NOW_MS, 1)));
    assert.deepEqual(all[1].metadata, { trace_id: '0af7651916cd43dd8448eb211c80319c' });
  } finally {
    await s.close();
  }
});

test('protobuf + snappy push (Promtail/Alloy style) with label string and structured metadata', async () => {
  const s = await startIngestServer();
  try {
    const proto = encodePushProtobuf([
      {
        labels: '{filename="/var/log/pods/prod_api-1_uid/api/0.log", job="kubernetes-pods", namespace="prod", pod="api-1", container="api"}',
        entries: [
          { ts: BigInt(ns(NOW_MS, 123456)), line: '2024-01-01T00:00:00Z INFO request done status=200' },
          { ts: BigInt(ns(NOW_MS + 1, 0)), line: 'second "quoted" line', metadata: { trace_id: 'abc', level: 'warn' } },
        ],
      },
      { labels: '{job="escaped", path="C:\\\\logs\\"x\\""}', entries: [{ ts: BigInt(ns(NOW_MS + 2)), line: 'esc' }] },
    ]);
    const r = await fetch(`${s.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'user-agent': 'promtail/2.9.4' },
      body: snappy.compressSync(Buffer.from(proto)),
    });
    assert.equal(r.status, 204, await r.text());
    const all = await s.all();
    assert.equal(all.length, 3);
    assert.deepEqual(labelsOf(all[0]), { container: 'api', filename: '/var/log/pods/prod_api-1_uid/api/0.log', job: 'kubernetes-pods', namespace: 'prod', pod: 'api-1' });
    assert.equal(all[0].ts, BigInt(ns(NOW_MS, 123456)));
    assert.deepEqual(all[1].metadata, { trace_id: 'abc', level: 'warn' });
    assert.deepEqual(labelsOf(all[2]), { job: 'escaped', path: 'C:\\logs"x"' });
  } finally {
    await s.close();
  }
});

test('malformed bodies: 400 naming the stream/entry, nothing stored', async () => {
  const s = await startIngestServer();
  try {
    const post = (body: string | Buffer, ctype = 'application/json') =>
      fetch(`${s.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': ctype }, body });
    let r = await post('{"streams":[{"stream":{"job":"x"},"values":[["1","ok"]]},{"stream":{"job":"y"},"values":[["1","ok"],["abc","bad ts"]]}]}');
    assert.equal(r.status, 400);
    assert.match(await r.text(), /streams\[1\]\.values\[1\]: timestamp "abc"/);
    r = await post('{"streams": [');
    assert.equal(r.status, 400);
    assert.match(await r.text(), /invalid JSON/);
    r = await post(snappy.compressSync(Buffer.from([0x0a, 0xff, 0xff, 0x01])), 'application/x-protobuf');
    assert.equal(r.status, 400);
    assert.match(await r.text(), /invalid protobuf/);
    r = await post(Buffer.from('not snappy at all'), 'application/x-protobuf');
    assert.equal(r.status, 400);
    assert.equal((await s.all()).length, 0);
  } finally {
    await s.close();
  }
});

test('per-stream and per-entry refusals: 400 listing them while the rest is stored; counted', async () => {
  const s = await startIngestServer({ now: () => NOW_MS, rejectOlderThanMs: 3_600_000, maxLineBytes: 100 });
  try {
    const body = {
      streams: [
        { stream: { job: 'good' }, values: [[ns(NOW_MS), 'kept'], [ns(NOW_MS - 7_200_000), 'too old'], [ns(NOW_MS), 'x'.repeat(101)]] },
        { stream: { 'bad-name': 'v' }, values: [[ns(NOW_MS), 'bad labels']] },
        { stream: {}, values: [[ns(NOW_MS), 'no labels']] },
      ],
    };
    const r = await fetch(`${s.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 400);
    const text = await r.text();
    assert.match(text, /invalid label name "bad-name"/);
    assert.match(text, /at least one label pair is required per stream/);
    assert.match(text, /has timestamp too old/);
    assert.match(text, /max entry size '100' bytes exceeded/);
    assert.match(text, /total ignored: 4 out of 5/);
    assert.deepEqual((await s.all()).map((e) => e.line), ['kept']);
    const metrics = await (await import('../../src/metrics/collectors/self.js')).selfRegistry.getSingleMetricAsString('sextant_logs_rejected_lines_total');
    assert.match(metrics, /protocol="loki",reason="too_old"} [1-9]/);
    assert.match(metrics, /protocol="loki",reason="invalid_labels"} [2-9]/);
  } finally {
    await s.close();
  }
});

test('body over the limit → 413', async () => {
  const s = await startIngestServer({}, {}, 1024);
  try {
    const r = await fetch(`${s.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streams: [{ stream: { job: 'x' }, values: [[ns(NOW_MS), 'y'.repeat(2000)]] }] }),
    });
    assert.equal(r.status, 413);
    const z = await fetch(`${s.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ streams: [{ stream: { job: 'x' }, values: [[ns(NOW_MS), 'y'.repeat(200_000)]] }] })),
    });
    assert.equal(z.status, 204, 'small compressed body under the decompressed limit is fine');
  } finally {
    await s.close();
  }
});
