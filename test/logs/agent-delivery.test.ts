// Agent delivery guarantees against a real Sextant ingest server: rotation by rename and by copytruncate,
// restart from the positions file (no loss, no repeats), server down then up (on-disk buffer drained in order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { LogAgent } from '../../src/logs/agent/index.js';
import { startIngestServer } from './ingest-helpers.js';
import { agentConfig, agentDir, waitFor } from './agent-helpers.js';

const lines = (from: number, to: number, prefix = 'line'): string => {
  let s = '';
  for (let i = from; i < to; i++) s += `${prefix} ${i}\n`;
  return s;
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function assertExactly(got: string[], want: string[]): void {
  assert.equal(got.length, want.length, `got ${got.length} lines, want ${want.length}`);
  assert.deepEqual([...got].sort(), [...want].sort());
}

test('rotation by rename and by copytruncate loses nothing', async () => {
  const dir = agentDir();
  const s = await startIngestServer();
  let agent: LogAgent | undefined;
  try {
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'app.log');
    writeFileSync(file, lines(0, 20));
    agent = await LogAgent.start(agentConfig(dir, s.url, `  - paths: ["${dir}/logs/app.log"]`));
    await waitFor('first lines', async () => (await s.all()).length === 20);
    // rename rotation: more lines land in the old file after the rename, then the new file starts
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, lines(20, 25));
    writeFileSync(file, lines(25, 40));
    await waitFor('after rename', async () => (await s.all()).length === 40);
    // copytruncate
    appendFileSync(file, lines(40, 45));
    await waitFor('before truncate', async () => (await s.all()).length === 45);
    truncateSync(file, 0);
    appendFileSync(file, lines(45, 50));
    await waitFor('after truncate', async () => (await s.all()).length >= 50);
    await new Promise((r) => setTimeout(r, 200));
    assertExactly((await s.all()).map((e) => e.line), lines(0, 50).trim().split('\n'));
  } finally {
    await agent?.stop();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restart resumes from the positions file: no loss, no repeats (also across a rename while stopped)', async () => {
  const dir = agentDir();
  const s = await startIngestServer();
  try {
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'app.log');
    writeFileSync(file, lines(0, 100));
    const cfg = agentConfig(dir, s.url, `  - paths: ["${dir}/logs/*.log"]`);
    let agent = await LogAgent.start(cfg);
    await waitFor('first run', async () => (await s.all()).length === 100);
    await agent.stop();
    appendFileSync(file, lines(100, 150));
    appendFileSync(join(dir, 'logs', 'other.log'), lines(0, 10, 'other'));
    agent = await LogAgent.start(cfg);
    await waitFor('second run', async () => (await s.all()).length >= 160);
    await new Promise((r) => setTimeout(r, 300));
    await agent.stop();
    assertExactly((await s.all()).map((e) => e.line), [...lines(0, 150).trim().split('\n'), ...lines(0, 10, 'other').trim().split('\n')]);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('server down: batches go to the on-disk buffer, positions advance, and everything arrives once the server is up', async () => {
  const dir = agentDir();
  const port = await freePort();
  let agent: LogAgent | undefined;
  let s: Awaited<ReturnType<typeof startIngestServer>> | undefined;
  try {
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'app.log');
    writeFileSync(file, lines(0, 30));
    const cfg = agentConfig(dir, `http://127.0.0.1:${port}`, `  - paths: ["${file}"]`);
    agent = await LogAgent.start(cfg);
    await waitFor('buffered', async () => agent!.stats.bufferedBatches >= 1);
    appendFileSync(file, lines(30, 60));
    await waitFor('buffered more', async () => agent!.stats.bufferedBatches >= 2);
    // Restart while the server is still down: the buffer survives, the files are not re-read.
    await agent.stop();
    agent = await LogAgent.start(cfg);
    appendFileSync(file, lines(60, 70));
    s = await startIngestServer({}, {}, undefined, undefined, port);
    const server = s;
    await waitFor('delivered', async () => (await server.all()).length >= 70);
    await new Promise((r) => setTimeout(r, 300));
    const got = (await server.all()).map((e) => e.line);
    assertExactly(got, lines(0, 70).trim().split('\n'));
    // In order: buffered batches first, then new ones.
    assert.ok(agent.stats.drainedBatches >= 1);
  } finally {
    await agent?.stop();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
