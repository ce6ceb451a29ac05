/**
 * Remote-write sending against a local receiver (Sextant's own /api/v1/write over real HTTP) that the tests
 * can make fail: retries, drops, external labels, relabelling, auth headers, restart resume, spill to disk.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/server/http.js';
import { registerRemoteWriteRoutes } from '../../src/metrics/remote/receive.js';
import { RemoteWriteManager } from '../../src/metrics/remote/write-manager.js';
import { WriteQueue } from '../../src/metrics/remote/write-queue.js';
import { TappedStorage } from '../../src/metrics/storage/fanout.js';
import { parseConfig } from '../../src/config/parse.js';
import { getLabel, labelsFromRecord, labelsToRecord } from '../../src/model/labels.js';
import { tempDir } from '../peers/process.js';
import { MemoryStorage } from './memory-storage.js';

const logger = pino({ level: process.env.SEXTANT_TEST_LOG ?? 'silent' });

/** A receiver whose answer the test controls. */
class Receiver {
  readonly storage = new MemoryStorage();
  readonly app: FastifyInstance;
  status = 0; // 0 = behave normally, else answer this code without storing
  requests: { headers: Record<string, string | string[] | undefined> }[] = [];
  url = '';
  constructor() {
    this.app = createHttpServer({ logger, bodyLimit: 16 << 20 });
    this.app.addHook('onRequest', async (req, reply) => {
      this.requests.push({ headers: req.headers });
      if (this.status) return reply.code(this.status).send('forced failure\n');
    });
    registerRemoteWriteRoutes(this.app, { storage: this.storage, logger });
  }
  async start(): Promise<this> {
    await this.app.listen({ host: '127.0.0.1', port: 0 });
    this.url = `http://127.0.0.1:${(this.app.server.address() as { port: number }).port}/api/v1/write`;
    return this;
  }
  stop(): Promise<void> {
    return this.app.close();
  }
}

function config(url: string, extra = ''): ReturnType<typeof parseConfig> {
  return parseConfig(`global:
  external_labels:
    cluster: c1
remote_write:
  - url: ${url}
    name: main
    queue_config:
      max_samples_per_send: 10
      batch_send_deadline: 20ms
      min_backoff: 10ms
      max_backoff: 40ms
${extra}`);
}

async function waitFor(cond: () => boolean, what: string, ms = 10000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function commit(storage: TappedStorage, name: string, from: number, n: number, extra: Record<string, string> = {}): Promise<void> {
  const app = storage.appender();
  const labels = labelsFromRecord({ __name__: name, ...extra });
  for (let i = 0; i < n; i++) app.append(labels, from + i, from + i);
  await app.commit();
}

describe('remote-write manager', () => {
  let rx: Receiver;
  const dirs: string[] = [];
  const dataDir = (): string => {
    const d = tempDir('rw');
    dirs.push(d);
    return d;
  };
  before(async () => {
    rx = await new Receiver().start();
  });
  after(async () => {
    await rx.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('sends committed samples with external labels, write_relabel_configs, headers and basic auth', async () => {
    rx.storage.series.clear();
    rx.requests = [];
    const mgr = new RemoteWriteManager({ dataDir: dataDir(), logger });
    await mgr.applyConfig(
      config(
        rx.url,
        `    headers:
      X-Scope-OrgID: tenant-1
    basic_auth:
      username: u
      password: p
    write_relabel_configs:
      - source_labels: [__name__]
        regex: secret_.*
        action: drop`,
      ),
    );
    const tapped = new TappedStorage(new MemoryStorage());
    tapped.subscribe((b) => mgr.onCommit(b));
    await commit(tapped, 'visible', 1000, 25, { job: 'j' });
    await commit(tapped, 'secret_stuff', 1000, 5);
    await commit(tapped, 'own_cluster', 1000, 1, { cluster: 'mine' });
    await waitFor(() => rx.storage.sampleCount() >= 26, 'samples at receiver');
    const vis = rx.storage.find('visible');
    assert.equal(vis.length, 1);
    assert.deepEqual(labelsToRecord(vis[0].labels), { __name__: 'visible', job: 'j', cluster: 'c1' });
    assert.deepEqual(vis[0].t, Array.from({ length: 25 }, (_, i) => 1000 + i));
    assert.equal(rx.storage.find('secret_stuff').length, 0);
    // A series' own label wins over the external label.
    assert.equal(getLabel(rx.storage.find('own_cluster')[0].labels, 'cluster'), 'mine');
    const h = rx.requests[0].headers;
    assert.equal(h['content-encoding'], 'snappy');
    assert.equal(h['content-type'], 'application/x-protobuf');
    assert.equal(h['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(h['x-scope-orgid'], 'tenant-1');
    assert.equal(h.authorization, 'Basic ' + Buffer.from('u:p').toString('base64'));
    // 25 samples of one series at max_samples_per_send 10 need at least three requests.
    assert.ok(rx.requests.length >= 3);
    await mgr.stop();
  });

  test('retries 5xx/429 with backoff until the receiver recovers; nothing lost, order kept', async () => {
    rx.storage.series.clear();
    rx.status = 503;
    rx.requests = [];
    const mgr = new RemoteWriteManager({ dataDir: dataDir(), logger });
    await mgr.applyConfig(config(rx.url));
    const tapped = new TappedStorage(new MemoryStorage());
    tapped.subscribe((b) => mgr.onCommit(b));
    for (let i = 0; i < 10; i++) await commit(tapped, 'retry_me', 1000 + i * 10, 10);
    await waitFor(() => rx.requests.length >= 3, 'retries');
    rx.status = 429;
    await waitFor(() => rx.requests.length >= 6, 'more retries');
    assert.equal(rx.storage.sampleCount(), 0);
    rx.status = 0;
    await waitFor(() => rx.storage.sampleCount() >= 100, 'all samples after recovery');
    assert.deepEqual(rx.storage.find('retry_me')[0].t, Array.from({ length: 100 }, (_, i) => 1000 + i));
    await mgr.stop();
  });

  test('4xx drops the batch and moves on', async () => {
    rx.storage.series.clear();
    const mgr = new RemoteWriteManager({ dataDir: dataDir(), logger });
    await mgr.applyConfig(config(rx.url));
    const tapped = new TappedStorage(new MemoryStorage());
    tapped.subscribe((b) => mgr.onCommit(b));
    rx.status = 400;
    rx.requests = [];
    await commit(tapped, 'dropped', 1000, 5);
    await waitFor(() => rx.requests.length >= 1, 'the refused request');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(rx.requests.length, 1, 'a 400 is not retried');
    rx.status = 0;
    await commit(tapped, 'after_drop', 1000, 5);
    await waitFor(() => rx.storage.find('after_drop').length === 1, 'next batch');
    assert.equal(rx.storage.find('dropped').length, 0);
    await mgr.stop();
  });

  test('a restarted manager resumes what was queued and does not resend what was sent', async () => {
    rx.storage.series.clear();
    const dir = dataDir();
    rx.status = 503;
    let mgr = new RemoteWriteManager({ dataDir: dir, logger });
    await mgr.applyConfig(config(rx.url));
    let tapped = new TappedStorage(new MemoryStorage());
    tapped.subscribe((b) => mgr.onCommit(b));
    await commit(tapped, 'survivor', 1000, 30);
    // The commit resolved, so the samples are on disk in the queue even though nothing was sent.
    await mgr.stop();
    rx.status = 0;
    rx.requests = [];
    mgr = new RemoteWriteManager({ dataDir: dir, logger });
    await mgr.applyConfig(config(rx.url));
    await waitFor(() => rx.storage.sampleCount() >= 30, 'resumed samples');
    assert.deepEqual(rx.storage.find('survivor')[0].t, Array.from({ length: 30 }, (_, i) => 1000 + i));
    await new Promise((r) => setTimeout(r, 50));
    await mgr.stop();
    const sentRequests = rx.requests.length;
    mgr = new RemoteWriteManager({ dataDir: dir, logger });
    await mgr.applyConfig(config(rx.url));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(rx.requests.length, sentRequests, 'nothing re-sent after a clean restart');
    tapped = new TappedStorage(new MemoryStorage());
    tapped.subscribe((b) => mgr.onCommit(b));
    await commit(tapped, 'survivor', 2000, 1);
    await waitFor(() => rx.storage.find('survivor')[0].t.length === 31, 'new sample after restart');
    await mgr.stop();
  });

  test('a changed config restarts the queue on the same disk queue: queued samples survive, commits wait', async () => {
    rx.storage.series.clear();
    rx.status = 503;
    const mgr = new RemoteWriteManager({ dataDir: dataDir(), logger });
    await mgr.applyConfig(config(rx.url));
    const tapped = new TappedStorage(new MemoryStorage());
    tapped.subscribe((b) => mgr.onCommit(b));
    await commit(tapped, 'reconf', 1000, 10);
    const changed = config(rx.url, `    remote_timeout: 5s`);
    const reconfig = mgr.applyConfig(changed);
    // A commit racing with the swap is queued on the new queue, not lost on the old one.
    const racing = commit(tapped, 'reconf', 2000, 10);
    await reconfig;
    await racing;
    rx.status = 0;
    await waitFor(() => (rx.storage.find('reconf')[0]?.t.length ?? 0) >= 20, 'samples from before and during the swap');
    assert.deepEqual(rx.storage.find('reconf')[0].t, [...Array.from({ length: 10 }, (_, i) => 1000 + i), ...Array.from({ length: 10 }, (_, i) => 2000 + i)]);
    await mgr.stop();
  });

  test('removing a queue from the config deletes its directory', async () => {
    const dir = dataDir();
    const mgr = new RemoteWriteManager({ dataDir: dir, logger });
    await mgr.applyConfig(config(rx.url));
    assert.deepEqual(readdirSync(dir), ['main']);
    await mgr.applyConfig(parseConfig('global: {}\n'));
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(mgr.queueNames(), []);
    await mgr.stop();
  });

  test('beyond the in-memory cap records wait on disk and are read back in order', async () => {
    rx.storage.series.clear();
    rx.status = 503;
    const mgr = new RemoteWriteManager({ dataDir: dataDir(), logger, maxInMemorySamples: 20 });
    await mgr.applyConfig(config(rx.url));
    const tapped = new TappedStorage(new MemoryStorage());
    tapped.subscribe((b) => mgr.onCommit(b));
    for (let i = 0; i < 30; i++) await commit(tapped, 'spill', 1000 + i * 5, 5);
    const q = mgr.queue('main')!;
    assert.ok(q.isSpilled(), 'queue spilled');
    assert.ok(q.pendingSamples() <= 20, `in memory: ${q.pendingSamples()}`);
    rx.status = 0;
    await waitFor(() => rx.storage.sampleCount() >= 150, 'all spilled samples');
    assert.deepEqual(rx.storage.find('spill')[0].t, Array.from({ length: 150 }, (_, i) => 1000 + i));
    await mgr.stop();
  });

  test('sent WAL segments are deleted', async () => {
    rx.storage.series.clear();
    const dir = dataDir();
    const cfg = config(rx.url).remoteWrite[0];
    const q = await WriteQueue.start({ dir, name: 'main', config: cfg, externalLabels: {}, logger, cutBytes: 2000 });
    for (let i = 0; i < 40; i++) {
      await q.enqueue(
        Array.from({ length: 20 }, (_, j) => ({ labels: labelsFromRecord({ __name__: 'seg', j: String(j) }), t: 1000 + i, v: i })),
      );
    }
    await waitFor(() => rx.storage.sampleCount() >= 800, 'all samples');
    await waitFor(() => readdirSync(join(dir, 'wal')).length <= 2, 'old segments deleted', 3000);
    const segs = readdirSync(join(dir, 'wal')).map(Number);
    assert.ok(Math.min(...segs) > 0, `segments were cut and the first ones deleted: ${segs.join(',')}`);
    await q.stop();
  });
});
