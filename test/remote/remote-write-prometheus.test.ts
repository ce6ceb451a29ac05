/**
 * remote_write out to a real Prometheus 2.42 receiver: committed samples become queryable there; a receiver
 * that is unreachable for a while (a TCP proxy in between is closed) and a manager restart in the middle
 * lose nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import pino from 'pino';
import { startPrometheus } from '../peers/prometheus.js';
import { freePort, tempDir, type Peer } from '../peers/process.js';
import { RemoteWriteManager } from '../../src/metrics/remote/write-manager.js';
import { TappedStorage } from '../../src/metrics/storage/fanout.js';
import { parseConfig } from '../../src/config/parse.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { MemoryStorage } from './memory-storage.js';

const logger = pino({ level: process.env.SEXTANT_TEST_LOG ?? 'silent' });

/** A TCP forwarder that can be taken down (listener closed, connections cut) and brought back on the same port. */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}
  up(): Promise<void> {
    const server = createServer((c) => {
      const u = connect(this.target, '127.0.0.1');
      for (const s of [c, u]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          c.destroy();
          u.destroy();
        });
      }
      c.pipe(u);
      u.pipe(c);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }
  down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

let prom: Peer;
let proxy: Proxy;
const dataDir = tempDir('rw-prom');

before(async () => {
  prom = await startPrometheus('global:\n  scrape_interval: 15s\n');
  proxy = new Proxy(await freePort(), Number(new URL(prom.url).port));
  await proxy.up();
});
after(async () => {
  await proxy?.down();
  await prom?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function config(): ReturnType<typeof parseConfig> {
  return parseConfig(`global:
  external_labels:
    origin: sextant
remote_write:
  - url: http://127.0.0.1:${proxy.port}/api/v1/write
    queue_config:
      max_samples_per_send: 50
      batch_send_deadline: 50ms
      min_backoff: 20ms
      max_backoff: 100ms
`);
}

async function countInPrometheus(metric: string): Promise<{ count: number; labels: Record<string, string> | undefined }> {
  const q = encodeURIComponent(`count_over_time(${metric}[10m])`);
  const res = await fetch(`${prom.url}/api/v1/query?query=${q}`);
  const body = (await res.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  const r = body.data.result[0];
  return { count: r ? Number(r.value[1]) : 0, labels: r?.metric };
}

async function waitForCount(metric: string, n: number, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { count } = await countInPrometheus(metric);
    if (count >= n) return;
    if (Date.now() > deadline) throw new Error(`${metric}: ${count} of ${n} samples in Prometheus\n${prom.output().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function commitSamples(storage: TappedStorage, base: number, n: number): Promise<void> {
  const app = storage.appender();
  for (let i = 0; i < n; i++) {
    app.append(labelsFromRecord({ __name__: 'sextant_rw_e2e', series: String(i % 3) }), base + i * 100, i);
  }
  await app.commit();
}

test('committed samples reach a real Prometheus; outage and restart lose nothing', async () => {
  const start = Date.now() - 5 * 60_000;
  let mgr = new RemoteWriteManager({ dataDir, logger });
  await mgr.applyConfig(config());
  const tapped = new TappedStorage(new MemoryStorage());
  tapped.subscribe((b) => mgr.onCommit(b));

  await commitSamples(tapped, start, 90);
  await waitForCount('sextant_rw_e2e{series="0"}', 30);
  const first = await countInPrometheus('sextant_rw_e2e{series="1"}');
  assert.equal(first.count, 30);
  assert.deepEqual(first.labels, { series: '1', origin: 'sextant' });

  // Receiver unreachable: commits still succeed (queued on disk), sends keep failing and retrying.
  await proxy.down();
  await commitSamples(tapped, start + 10_000, 90);
  await commitSamples(tapped, start + 20_000, 90);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await countInPrometheus('sextant_rw_e2e{series="0"}')).count, 30, 'nothing new arrived during the outage');

  // Restart the manager in the middle of the outage, then bring the receiver back.
  await mgr.stop();
  mgr = new RemoteWriteManager({ dataDir, logger });
  await mgr.applyConfig(config());
  await proxy.up();
  await waitForCount('sextant_rw_e2e', 1); // any series
  for (const s of ['0', '1', '2']) await waitForCount(`sextant_rw_e2e{series="${s}"}`, 90);
  for (const s of ['0', '1', '2']) assert.equal((await countInPrometheus(`sextant_rw_e2e{series="${s}"}`)).count, 90);
  await mgr.stop();
});
