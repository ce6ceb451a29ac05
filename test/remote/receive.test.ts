/**
 * The remote-write receiver against a real Prometheus 2.42 sender, plus the malformed/oversized/refused
 * request cases (driven through fastify's inject, same code path as the socket).
 */
import { after, before, describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/server/http.js';
import { registerRemoteWriteRoutes } from '../../src/metrics/remote/receive.js';
import { encodeWriteRequest, snappyCompress } from '../../src/metrics/remote/codec.js';
import { labelsFromRecord, labelsToRecord } from '../../src/model/labels.js';
import { isStaleNaN } from '../../src/model/value.js';
import { register } from 'prom-client';
import { startPrometheus } from '../peers/prometheus.js';
import { TsdbTestStorage } from './tsdb-storage.js';
import type { Storage } from '../../src/metrics/storage/interface.js';

const logger = pino({ level: process.env.SEXTANT_TEST_LOG ?? 'silent' });

function makeServer(storage: Storage, bodyLimit = 1 << 20, maxDecompressedBytes?: number): FastifyInstance {
  const app = createHttpServer({ logger, bodyLimit });
  registerRemoteWriteRoutes(app, { storage, logger, maxDecompressedBytes });
  return app;
}

const RW_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

async function post(app: FastifyInstance, body: Uint8Array, headers: Record<string, string> = RW_HEADERS) {
  return app.inject({ method: 'POST', url: '/api/v1/write', headers, payload: Buffer.from(body) });
}

async function counterValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = register.getSingleMetric(name);
  if (!m) return 0;
  const data = await m.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .reduce((a, v) => a + v.value, 0);
}

describe('remote-write receiver with a real Prometheus 2.42 as sender', () => {
  let storage: TsdbTestStorage;
  let app: FastifyInstance;
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let port: number;

  before(async () => {
    storage = await TsdbTestStorage.open();
    app = makeServer(storage);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    await prom?.stop();
    await app.close();
    await storage.close();
  });

  test('self-scraped series arrive with their labels and samples', async () => {
    prom = await startPrometheus(
      `global:
  scrape_interval: 1s
  external_labels:
    cluster: test
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['SELF']
remote_write:
  - url: http://127.0.0.1:${port}/api/v1/write
    queue_config:
      batch_send_deadline: 200ms
      min_backoff: 50ms
      max_backoff: 200ms
`,
    );
    // The target must be Prometheus itself; its port is known only after start, so reload with it.
    const self = new URL(prom.url).host;
    const cfgPath = `${prom.dir}/prometheus.yml`;
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('SELF', self));
    const reload = await fetch(`${prom.url}/-/reload`, { method: 'POST' });
    assert.equal(reload.status, 200);

    const deadline = Date.now() + 20000;
    let up: Awaited<ReturnType<TsdbTestStorage['find']>> = [];
    let build: Awaited<ReturnType<TsdbTestStorage['find']>> = [];
    while (Date.now() < deadline) {
      up = await storage.find('up', { job: 'prometheus', instance: self });
      build = await storage.find('prometheus_build_info', { job: 'prometheus' });
      if (up.length && up[0].t.length >= 2 && build.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(up.length, 1, `up never arrived; got ${await storage.seriesCount()} series\n${prom.output().slice(-2000)}`);
    assert.deepEqual(labelsToRecord(up[0].labels), { __name__: 'up', job: 'prometheus', instance: self, cluster: 'test' });
    assert.ok(up[0].v.every((v) => v === 1));
    // Scrape timestamps are milliseconds, 1s apart, close to now.
    assert.ok(Math.abs(up[0].t[0] - Date.now()) < 60000, `timestamp ${up[0].t[0]} not near now`);
    assert.ok(up[0].t[1] - up[0].t[0] >= 900 && up[0].t[1] - up[0].t[0] <= 1100, 'scrape interval 1s');

    const bi = labelsToRecord(build[0].labels);
    assert.match(bi.version, /^2\.42\./);
    assert.equal(bi.cluster, 'test');
    assert.ok(bi.goversion?.startsWith('go'));
    assert.equal(build[0].v[0], 1);
    // Labels are stored sorted.
    const names = build[0].labels.map((l) => l.name);
    assert.deepEqual(names, [...names].sort());
    // Counters such as prometheus_http_requests_total come with handler/code labels.
    assert.ok((await storage.find('scrape_samples_scraped', { job: 'prometheus' })).length === 1);
  });
});

describe('remote-write receiver: bad and refused input', () => {
  const good = () =>
    encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'ok_metric', job: 'j' }), samples: [{ t: 1000, v: 1 }] }]);

  test('accepts a valid request with 204 and stores it; unsorted labels are sorted, empty values dropped', async () => {
    const storage = await TsdbTestStorage.open();
    const app = makeServer(storage);
    const body = encodeWriteRequest([
      {
        labels: [
          { name: 'zone', value: 'a' },
          { name: '__name__', value: 'm' },
          { name: 'empty', value: '' },
        ],
        samples: [
          { t: 1000, v: 1 },
          { t: 2000, v: Number.NaN },
        ],
      },
    ]);
    const res = await post(app, snappyCompress(body));
    assert.equal(res.statusCode, 204);
    const s = await storage.find('m');
    assert.equal(s.length, 1);
    assert.deepEqual(s[0].labels, labelsFromRecord({ __name__: 'm', zone: 'a' }));
    assert.deepEqual(s[0].t, [1000, 2000]);
    await app.close();
    await storage.close();
  });

  test('missing content type is accepted as 2.42 does', async () => {
    const storage = await TsdbTestStorage.open();
    const app = makeServer(storage);
    const res = await post(app, snappyCompress(good()), {});
    assert.equal(res.statusCode, 204);
    assert.equal(await storage.sampleCount(), 1);
    await app.close();
    await storage.close();
  });

  test('stale markers keep their bit pattern', async () => {
    const storage = await TsdbTestStorage.open();
    const app = makeServer(storage);
    const { STALE_NAN } = await import('../../src/model/value.js');
    const res = await post(
      app,
      snappyCompress(encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 's' }), samples: [{ t: 4, v: 1 }, { t: 5, v: STALE_NAN }] }])),
    );
    assert.equal(res.statusCode, 204);
    assert.ok(isStaleNaN((await storage.find('s'))[0].v[1]));
    await app.close();
    await storage.close();
  });

  test('corrupt snappy, malformed protobuf and truncated bodies get 400 and store nothing', async () => {
    const storage = await TsdbTestStorage.open();
    const app = makeServer(storage);
    const compressed = snappyCompress(good());
    const cases: [string, Uint8Array][] = [
      ['not snappy', Buffer.from('this is not snappy at all')],
      ['uncompressed protobuf', good()],
      ['snappy of garbage protobuf', snappyCompress(Buffer.from([0x0a, 0x7f, 0x01]))],
      ['snappy of wrong wire type', snappyCompress(Buffer.from([0x08, 0x01]))],
      ['truncated snappy', compressed.subarray(0, compressed.length - 3)],
      ['empty body', new Uint8Array(0)],
    ];
    for (const [name, body] of cases) {
      const res = await post(app, body);
      assert.equal(res.statusCode, 400, `${name}: ${res.statusCode} ${res.body}`);
      assert.ok(res.body.length > 0, `${name}: has a message`);
    }
    // A valid request with a broken one after it: the broken one must not leave anything half-appended.
    const mixed = Buffer.concat([good(), Buffer.from([0x0a, 0x05, 0x0a, 0x03])]);
    assert.equal((await post(app, snappyCompress(mixed))).statusCode, 400);
    assert.equal(await storage.sampleCount(), 0);
    assert.equal(storage.commits, 0);
    await app.close();
    await storage.close();
  });

  test('oversized bodies get 413, compressed or declared-decompressed', async () => {
    const storage = await TsdbTestStorage.open();
    const app = makeServer(storage, 4096, 8192);
    const big = encodeWriteRequest(
      Array.from({ length: 200 }, (_, i) => ({
        labels: labelsFromRecord({ __name__: 'big', i: String(i), pad: 'x'.repeat(50) }),
        samples: [{ t: 1, v: i }],
      })),
    );
    // Compresses well under the body limit but expands past the decompressed limit.
    const comp = snappyCompress(big);
    assert.ok(comp.length < 4096 && big.length > 8192, `sizes ${comp.length} ${big.length}`);
    const r1 = await post(app, comp);
    assert.equal(r1.statusCode, 413, r1.body);
    // Random bytes do not compress: over the body limit itself.
    const { randomBytes } = await import('node:crypto');
    const r2 = await post(app, snappyCompress(randomBytes(6000)));
    assert.equal(r2.statusCode, 413);
    assert.equal(await storage.sampleCount(), 0);
    await app.close();
    await storage.close();
  });

  test('refused samples are counted, reported in a 400 naming the first error, and the rest committed', async () => {
    const storage = await TsdbTestStorage.open();
    const app = makeServer(storage);
    assert.equal((await post(app, snappyCompress(good()))).statusCode, 204);
    const rejectedBefore = await counterValue('sextant_remote_write_rejected_samples_total');
    const oooBefore = await counterValue('sextant_remote_write_rejected_samples_total', { reason: 'out_of_order' });
    const body = encodeWriteRequest([
      { labels: labelsFromRecord({ __name__: 'fine', a: '1' }), samples: [{ t: 1000, v: 1 }] },
      // out of order against the stored sample at t=1000, then a duplicate with another value.
      { labels: labelsFromRecord({ __name__: 'ok_metric', job: 'j' }), samples: [{ t: 500, v: 1 }, { t: 1000, v: 7 }, { t: 3000, v: 3 }] },
      { labels: [{ name: '__name__', value: 'dup' }, { name: 'x', value: '1' }, { name: 'x', value: '2' }], samples: [{ t: 1, v: 1 }] },
      { labels: [{ name: '__name__', value: 'bad' }, { name: '0bad-name', value: '1' }], samples: [{ t: 1, v: 1 }, { t: 2, v: 1 }] },
      { labels: [{ name: 'job', value: 'no_name' }], samples: [{ t: 1, v: 1 }] },
    ]);
    const res = await post(app, snappyCompress(body));
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /^out of order sample: series ok_metric\{job="j"\}, timestamp 500;/);
    assert.match(res.body, /6 samples rejected \(out_of_order: 1, duplicate: 1, invalid_labels: 4\), 2 appended/);
    // The good samples were committed.
    assert.deepEqual((await storage.find('fine'))[0].t, [1000]);
    assert.deepEqual((await storage.find('ok_metric'))[0].t, [1000, 3000]);
    assert.equal((await storage.find('dup')).length + (await storage.find('bad')).length, 0);
    assert.equal((await counterValue('sextant_remote_write_rejected_samples_total')) - rejectedBefore, 6);
    assert.equal((await counterValue('sextant_remote_write_rejected_samples_total', { reason: 'out_of_order' })) - oooBefore, 1);
    await app.close();
    await storage.close();
  });

  test('a storage failure answers 500 so the sender retries, and nothing is committed', async () => {
    const storage = await TsdbTestStorage.open();
    const inner = storage.appender.bind(storage);
    storage.appender = () => {
      const a = inner();
      return { ...a, commit: async () => Promise.reject(new Error('disk full')) };
    };
    const app = makeServer(storage);
    const res = await post(app, snappyCompress(good()));
    assert.equal(res.statusCode, 500);
    assert.match(res.body, /disk full/);
    assert.equal(await storage.sampleCount(), 0);
    await app.close();
    await storage.close();
  });
});
