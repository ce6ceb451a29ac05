/**
 * Durability through the public path: a real `sextant serve` process takes remote_write requests, is killed
 * with SIGKILL mid-ingest, restarts on the same data dir, and must return every sample it acknowledged with 204.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWriteRequest, snappyCompress } from '../../src/metrics/remote/codec.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { freePort, tempDir } from '../peers/process.js';

const ROOT = new URL('../..', import.meta.url).pathname;

async function startServer(dataDir: string, config: string, port: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', 'serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--config', config, '--log-level', 'warn', '--otlp-grpc-listen', '127.0.0.1:0'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${err}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) return proc;
    } catch {
      /* starting */
    }
    if (Date.now() > deadline) throw new Error(`server not ready: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SERIES = 50;

function request(batch: number, t: number): Buffer {
  const series = [];
  for (let s = 0; s < SERIES; s++) {
    series.push({ labels: labelsFromRecord({ __name__: 'crash_test_total', series: String(s) }), samples: [{ t, v: batch }] });
  }
  return snappyCompress(encodeWriteRequest(series));
}

test('SIGKILL during remote_write ingest loses no acknowledged sample', async () => {
  const dir = tempDir('crash');
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now() - 600_000;
  const acked = new Set<number>();
  let server = await startServer(join(dir, 'data'), config, port);
  try {
    let next = 0;
    let killed = false;
    const sender = async () => {
      while (!killed) {
        const batch = next++;
        const t = t0 + batch * 100;
        try {
          const res = await fetch(`${base}/api/v1/write`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
            body: request(batch, t),
          });
          if (res.status === 204) acked.add(t);
        } catch {
          return; // the server is gone
        }
      }
    };
    // Four concurrent senders, as Prometheus's shards would; kill once enough has been acknowledged.
    const senders = [sender(), sender(), sender(), sender()];
    while (acked.size < 300) await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGKILL');
    killed = true;
    await Promise.all(senders);
    await exited;

    server = await startServer(join(dir, 'data'), config, port);
    const q = new URLSearchParams({ query: 'crash_test_total[1h]', time: String(Date.now() / 1000) });
    const body = (await (await fetch(`${base}/api/v1/query?${q}`)).json()) as {
      data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
    };
    assert.equal(body.data.result.length, SERIES);
    for (const series of body.data.result) {
      const have = new Set(series.values.map(([ts]) => Math.round(ts * 1000)));
      const missing = [...acked].filter((t) => !have.has(t));
      assert.deepEqual(missing, [], `series ${series.metric.series} lost acknowledged samples`);
    }
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
