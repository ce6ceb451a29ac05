import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, stat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentLog, segmentName } from './segment-log.js';

function rec(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
function str(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
async function readAll(log: SegmentLog, from?: number): Promise<[string, number][]> {
  const out: [string, number][] = [];
  await log.replay((r, seg) => out.push([str(r), seg]), from);
  return out;
}
function capture(): { warn(obj: object, msg?: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (obj, msg) => lines.push(JSON.stringify(obj) + ' ' + (msg ?? '')) };
}

test('append, replay after reopen, segments roll over at the size limit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wal-'));
  let log = await SegmentLog.open(dir, { segmentSize: 64 });
  await log.append([rec('a'.repeat(30)), rec('b')]);
  await log.append([rec('c'.repeat(40))]);
  await log.append([rec('d')]);
  assert.deepEqual(log.segments(), [0, 1]);
  await log.close();
  log = await SegmentLog.open(dir, { segmentSize: 64 });
  const all = await readAll(log);
  assert.deepEqual(all.map((x) => x[0][0]), ['a', 'b', 'c', 'd']);
  assert.deepEqual(all.map((x) => x[1]), [0, 0, 1, 1]);
  assert.deepEqual((await readAll(log, 1)).map((x) => x[0][0]), ['c', 'd']);
  assert.ok(log.sizeBytes() > 0);
  await log.close();
});

test('concurrent appends are group-committed and all resolve in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wal-'));
  const log = await SegmentLog.open(dir);
  const ps: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) ps.push(log.append([rec(`r${i}`)]));
  await Promise.all(ps);
  const all = await readAll(log);
  assert.equal(all.length, 200);
  assert.deepEqual(all.map((x) => x[0]), Array.from({ length: 200 }, (_, i) => `r${i}`));
  await log.close();
});

test('cut and truncateBefore delete whole older segments', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wal-'));
  const log = await SegmentLog.open(dir);
  await log.append([rec('x')]);
  assert.equal(await log.cut(), 1);
  await log.append([rec('y')]);
  assert.equal(await log.cut(), 2);
  await log.truncateBefore(2);
  assert.deepEqual(log.segments(), [2]);
  assert.deepEqual(await readdir(dir), ['00000002']);
  await log.append([rec('z')]);
  assert.deepEqual((await readAll(log)).map((x) => x[0]), ['z']);
  await log.close();
});

test('torn tail in the last segment is truncated with a warning naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wal-'));
  let log = await SegmentLog.open(dir);
  await log.append([rec('good1'), rec('good2')]);
  await log.close();
  const file = join(dir, segmentName(0));
  const data = await readFile(file);
  // Simulate a torn write: a header promising more bytes than exist.
  await writeFile(file, Buffer.concat([data, Buffer.from([100, 0, 0, 0, 1, 2, 3, 4, 5])]));
  const logger = capture();
  log = await SegmentLog.open(dir, { logger });
  assert.equal((await stat(file)).size, data.length);
  assert.ok(logger.lines.some((l) => l.includes(file)));
  await log.append([rec('after')]);
  assert.deepEqual((await readAll(log)).map((x) => x[0]), ['good1', 'good2', 'after']);
  await log.close();
});

test('corrupt record in an earlier segment skips the rest of that segment only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wal-'));
  let log = await SegmentLog.open(dir);
  await log.append([rec('s0a'), rec('s0b'), rec('s0c')]);
  await log.cut();
  await log.append([rec('s1a')]);
  await log.close();
  const file = join(dir, segmentName(0));
  const data = await readFile(file);
  data[8 + 3 + 8 + 1] ^= 0xff; // flip a payload byte of the second record
  await writeFile(file, data);
  const logger = capture();
  log = await SegmentLog.open(dir, { logger });
  assert.deepEqual((await readAll(log)).map((x) => x[0]), ['s0a', 's1a']);
  assert.ok(logger.lines.some((l) => l.includes(file)));
  await log.close();
});
