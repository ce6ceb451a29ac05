import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TSDB } from './db.js';

const fixture = fileURLToPath(new URL('./sigkill-fixture.ts', import.meta.url));

test('SIGKILL mid-ingest loses no acknowledged sample', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsdb-kill-'));
  const perBatch = 500;
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, String(perBatch)], {
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
          if (++acks === 40) {
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
  assert.ok(lastAck >= 40_000);
  const db = await TSDB.open({ dir, blockRangeMs: 3_600_000 });
  const res = await db.querier().select([{ type: '=', name: '__name__', value: 'kill_test' }], 0, lastAck);
  assert.equal(res.length, perBatch);
  for (const s of res) {
    const i = Number(s.labels.find((l) => l.name === 'i')!.value);
    assert.equal(s.timestamps.length, lastAck / 1000, `series ${i} has every acknowledged sample`);
    assert.equal(s.timestamps[s.timestamps.length - 1], lastAck);
    assert.equal(s.values[s.values.length - 1], lastAck / 1000 + i);
  }
  await db.close();
});
