import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TSDB } from './db.js';

const fixture = fileURLToPath(new URL('./sigkill-fixture.ts', import.meta.url));

async function killAndVerify(blockRangeMs: number, killAfter: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tsdb-kill-'));
  const perBatch = 500;
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, String(perBatch), String(blockRangeMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  let lastAck = 0;
  let acks = 0;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          lastAck = Number(line);
          // Kill at an arbitrary point well into ingestion, while further commits are in flight.
          if (++acks === killAfter) {
            child.kill('SIGKILL');
            resolve();
          }
        }
      });
      child.on('exit', (code, sig) => {
        if (sig !== 'SIGKILL') reject(new Error(`fixture exited early: ${code} ${stderr}`));
      });
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await exited;
  assert.ok(lastAck >= killAfter * 1000);
  const db = await TSDB.open({ dir, blockRangeMs, now: () => 0 });
  const res = await db.querier().select([{ type: '=', name: '__name__', value: 'kill_test' }], 0, lastAck);
  assert.equal(res.length, perBatch);
  if (blockRangeMs < 10_000) assert.ok(db.blockMetas().length > 0, 'blocks were cut before the kill');
  for (const s of res) {
    const i = Number(s.labels.find((l) => l.name === 'i')!.value);
    assert.equal(s.timestamps.length, lastAck / 1000, `series ${i} has every acknowledged sample`);
    assert.equal(s.timestamps[s.timestamps.length - 1], lastAck);
    assert.equal(s.values[s.values.length - 1], lastAck / 1000 + i);
  }
  await db.close();
}

test('SIGKILL mid-ingest loses no acknowledged sample', async () => {
  await killAndVerify(3_600_000, 40);
});

test('SIGKILL while blocks are being cut and the WAL checkpointed loses no acknowledged sample', async () => {
  // 5 s blocks with 1 s batches: a cut + checkpoint roughly every 5 commits.
  await killAndVerify(5000, 60);
});

test('concurrent appenders while blocks are cut and compacted: every acknowledged sample stays queryable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsdb-race-'));
  const opts = { dir, blockRangeMs: 4000, now: () => 0 };
  let db = await TSDB.open(opts);
  const writers = 4;
  const perWriter = 50;
  const steps = 60;
  const acked: number[] = new Array(writers).fill(0);
  const write = async (w: number) => {
    for (let step = 1; step <= steps; step++) {
      const t = step * 500;
      const a = db.appender();
      for (let i = 0; i < perWriter; i++) {
        a.append(
          [
            { name: '__name__', value: 'race' },
            { name: 'i', value: String(i) },
            { name: 'w', value: String(w) },
          ],
          t,
          t + i,
        );
      }
      await a.commit();
      acked[w] = t;
      if (step % 7 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  let stop = false;
  const compactor = (async () => {
    while (!stop) {
      await db.compactNow();
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
  stop = true;
  await compactor;
  const verify = async () => {
    const res = await db.querier().select([{ type: '=', name: '__name__', value: 'race' }], 0, 1e6);
    assert.equal(res.length, writers * perWriter);
    for (const s of res) {
      const i = Number(s.labels.find((l) => l.name === 'i')!.value);
      assert.equal(s.timestamps.length, steps, `series ${JSON.stringify(s.labels)}`);
      for (let k = 0; k < steps; k++) {
        assert.equal(s.timestamps[k], (k + 1) * 500);
        assert.equal(s.values[k], (k + 1) * 500 + i);
      }
    }
  };
  assert.deepEqual(acked, new Array(writers).fill(steps * 500));
  assert.ok(db.blockMetas().length > 0);
  await verify();
  await db.close();
  db = await TSDB.open(opts);
  await verify();
  await db.close();
});
