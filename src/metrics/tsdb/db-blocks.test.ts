import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TSDB, type TSDBOptions } from './db.js';
import { AppendError } from '../storage/interface.js';
import type { Label } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import { STALE_NAN, isStaleNaN } from '../../model/value.js';

const R = 10_000;
const byName: Matcher[] = [{ type: '=', name: '__name__', value: 'm' }];

function captureLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function labels(i: number): Label[] {
  return [
    { name: '__name__', value: 'm' },
    { name: 'i', value: String(i) },
  ];
}

/** 20 series, one sample per second from 0 to last (inclusive), value = t/1000 + i. */
async function fill(db: TSDB, from: number, last: number): Promise<void> {
  for (let t = from; t <= last; t += 1000) {
    const a = db.appender();
    for (let i = 0; i < 20; i++) a.append(labels(i), t, t === 7000 && i === 3 ? STALE_NAN : t / 1000 + i);
    await a.commit();
  }
}

async function check(db: TSDB, mint: number, maxt: number): Promise<void> {
  const res = await db.querier().select(byName, mint, maxt);
  assert.equal(res.length, 20);
  for (const s of res) {
    const i = Number(s.labels[1].value);
    const want = (maxt - mint) / 1000 + 1;
    assert.equal(s.timestamps.length, want, `series ${i}: ${s.timestamps.length} samples, want ${want}`);
    for (let k = 0; k < s.timestamps.length; k++) {
      const t = s.timestamps[k];
      assert.equal(t, mint + k * 1000);
      if (t === 7000 && i === 3) assert.ok(isStaleNaN(s.values[k]));
      else assert.equal(s.values[k], t / 1000 + i);
    }
  }
}

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tsdb-blocks-'));
}

test('head is cut into blocks, queries span blocks and head, compaction merges, reopen keeps everything', async () => {
  const dir = await tmp();
  const opts: TSDBOptions = { dir, blockRangeMs: R, now: () => 60_000 };
  let db = await TSDB.open(opts);
  await fill(db, 0, 50_000);
  await db.compactNow();
  // Head spanned 0..50s: blocks [0,10s) [10s,20s) [20s,30s) were merged into [0,30s); [30s,40s) stays.
  assert.deepEqual(
    db.blockMetas().map((m) => [m.minTime, m.maxTime, m.compaction.level]),
    [
      [0, 30_000, 2],
      [30_000, 40_000, 1],
    ],
  );
  assert.equal(db.headStats().minTime, 40_000);
  await check(db, 0, 50_000);
  await check(db, 25_000, 45_000);
  assert.deepEqual(await db.querier().labelValues('i', [], 0, 50_000), Array.from({ length: 20 }, (_, i) => String(i)).sort());
  assert.equal((await db.querier().series(byName, 0, 5000)).length, 20);
  // Block-only range: postings lookups, regex and negative matchers against the on-disk index.
  const ids = async (ms: Matcher[]) =>
    (await db.querier().select(ms, 0, 25_000)).map((x) => x.labels[1].value).sort((a, b) => Number(a) - Number(b));
  assert.deepEqual(await ids([...byName, { type: '=~', name: 'i', value: '1.' }]), ['10', '11', '12', '13', '14', '15', '16', '17', '18', '19']);
  assert.deepEqual(await ids([...byName, { type: '!~', name: 'i', value: '1.|[2-9]' }]), ['0', '1']);
  assert.deepEqual(await ids([{ type: '=', name: 'i', value: '7' }]), ['7']);
  assert.deepEqual(await ids([{ type: '=', name: 'i', value: 'nope' }]), []);
  assert.deepEqual(await ids([...byName, { type: '=', name: 'missing', value: '' }]).then((x) => x.length), 20);
  assert.deepEqual(await db.querier().labelNames([], 0, 25_000), ['__name__', 'i']);
  // Appends into the persisted range are refused.
  assert.throws(() => db.appender().append(labels(1), 35_000, 1), AppendError);
  const usage = db.diskUsage();
  assert.equal(usage.blocks, 2);
  assert.ok(usage.blockBytes > 0 && usage.walBytes > 0);
  // The WAL was checkpointed: segments before the cut are gone.
  assert.ok(db.wal.segments()[0] > 0);
  await db.close();
  db = await TSDB.open(opts);
  await check(db, 0, 50_000);
  await fill(db, 51_000, 60_000);
  await check(db, 0, 60_000);
  await db.close();
  db = await TSDB.open(opts);
  await check(db, 0, 60_000);
  await db.close();
});

test('retention by time and by size deletes the oldest blocks', async () => {
  const dir = await tmp();
  let now = 0;
  let db = await TSDB.open({ dir, blockRangeMs: R, now: () => now });
  await fill(db, 0, 50_000);
  await db.compactNow();
  assert.equal(db.blockMetas().length, 2);
  await db.close();
  // Retention counts from min(clock, newest block end): at clock 20s the cutoff is 15s, nothing goes.
  now = 20_000;
  db = await TSDB.open({ dir, blockRangeMs: R, now: () => now, retentionTimeMs: 5_000 });
  await db.compactNow();
  assert.equal(db.blockMetas().length, 2);
  // At clock 100s the reference is the newest block's end (40s): cutoff 35s removes [0,30s), keeps [30s,40s).
  now = 100_000;
  await db.compactNow();
  assert.deepEqual(db.blockMetas().map((m) => m.minTime), [30_000]);
  await check(db, 30_000, 50_000);
  const res = await db.querier().select(byName, 0, 29_000);
  assert.equal(res.length, 0);
  const left = db.diskUsage();
  await db.close();
  db = await TSDB.open({ dir, blockRangeMs: R, now: () => now, retentionSizeBytes: left.walBytes + 1 });
  await db.compactNow();
  assert.equal(db.blockMetas().length, 0);
  assert.equal((await readdir(dir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).length, 0);
  await check(db, 40_000, 50_000);
  await db.close();
});

test('corrupt chunk file and corrupt index at open: logged with file name, DB opens, other data readable', async () => {
  const dir = await tmp();
  let db = await TSDB.open({ dir, blockRangeMs: R, now: () => 60_000 });
  await fill(db, 0, 50_000);
  await db.compactNow();
  const metas = db.blockMetas();
  assert.equal(metas.length, 2);
  await db.close();
  // Flip bytes inside the chunk data of the older block.
  const chunkFile = join(dir, metas[0].ulid, 'chunks', '000001');
  const data = await readFile(chunkFile);
  for (let k = 100; k < 140; k++) data[k] ^= 0x5a;
  await writeFile(chunkFile, data);
  // Corrupt the index of the newer block.
  const indexFile = join(dir, metas[1].ulid, 'index');
  const ix = await readFile(indexFile);
  ix[ix.length >> 1] ^= 0xff;
  await writeFile(indexFile, ix);
  const { logger, lines } = captureLogger();
  db = await TSDB.open({ dir, blockRangeMs: R, logger, now: () => 60_000 });
  assert.ok(lines.some((l) => l.includes(indexFile)), 'index corruption names the file');
  assert.equal(db.blockMetas().length, 1);
  const res = await db.querier().select(byName, 0, 29_000);
  assert.ok(lines.some((l) => l.includes(chunkFile)), 'chunk corruption names the file');
  // Some series lost the corrupt chunk, the rest are intact.
  const counts = res.map((s) => s.timestamps.length);
  assert.ok(counts.some((c) => c === 30));
  assert.ok(counts.reduce((a, b) => a + b, 0) < 20 * 30);
  // The head is untouched.
  await check(db, 40_000, 50_000);
  await db.close();
});

test('corrupt WAL tail at open is truncated with a log line naming the segment', async () => {
  const dir = await tmp();
  let db = await TSDB.open({ dir });
  await fill(db, 0, 5000);
  await db.close();
  const seg = join(dir, 'wal', '00000000');
  await appendFile(seg, Buffer.from([50, 0, 0, 0, 9, 9, 9, 9, 1, 2, 3]));
  const { logger, lines } = captureLogger();
  db = await TSDB.open({ dir, logger });
  assert.ok(lines.some((l) => l.includes(seg)));
  await check(db, 0, 5000);
  await fill(db, 6000, 8000);
  await db.close();
  db = await TSDB.open({ dir });
  await check(db, 0, 8000);
  await db.close();
});

test('out-of-order window accepts older samples, survives restart and block cut', async () => {
  const dir = await tmp();
  const opts: TSDBOptions = { dir, blockRangeMs: R, outOfOrderWindowMs: 5000, now: () => 60_000 };
  let db = await TSDB.open(opts);
  const s = labels(0);
  let a = db.appender();
  a.append(s, 10_000, 10);
  a.append(s, 12_000, 12);
  await a.commit();
  a = db.appender();
  a.append(s, 8000, 8);
  a.append(s, 11_000, 11);
  assert.throws(() => a.append(s, 1000, 1), (e: unknown) => e instanceof AppendError && e.kind === 'too_old');
  await a.commit();
  const get = async (d: TSDB) => {
    const r = await d.querier().select(byName, 0, 100_000);
    return Array.from(r[0].timestamps);
  };
  assert.deepEqual(await get(db), [8000, 10_000, 11_000, 12_000]);
  await db.close();
  db = await TSDB.open(opts);
  assert.deepEqual(await get(db), [8000, 10_000, 11_000, 12_000]);
  // Push the head far enough to cut [0,10s) and [10s,20s) into blocks.
  a = db.appender();
  a.append(s, 40_000, 40);
  await a.commit();
  await db.compactNow();
  assert.ok(db.blockMetas().length >= 1);
  assert.deepEqual(await get(db), [8000, 10_000, 11_000, 12_000, 40_000]);
  const r = await db.querier().select(byName, 0, 100_000);
  assert.deepEqual(Array.from(r[0].values), [8, 10, 11, 12, 40]);
  await db.close();
  db = await TSDB.open(opts);
  assert.deepEqual(await get(db), [8000, 10_000, 11_000, 12_000, 40_000]);
  await db.close();
});

test('out-of-order sample into a persisted range produces an overlapping block that vertical compaction merges', async () => {
  const dir = await tmp();
  const opts: TSDBOptions = { dir, blockRangeMs: R, outOfOrderWindowMs: 30_000, now: () => 1e9 };
  let db = await TSDB.open(opts);
  const s = labels(0);
  const put = async (from: number, to: number) => {
    for (let t = from; t <= to; t += 1000) {
      const a = db.appender();
      a.append(s, t, t);
      await a.commit();
    }
  };
  await put(0, 50_000);
  await db.compactNow();
  assert.deepEqual(db.blockMetas().map((m) => [m.minTime, m.maxTime]), [[0, 30_000], [30_000, 40_000]]);
  const a = db.appender();
  a.append(s, 25_500, -1);
  await a.commit();
  await put(51_000, 70_000);
  await db.compactNow();
  // The [40s,50s) cut carried the 25.5s sample, overlapped [0,30s), and everything up to 50s was merged.
  const metas = db.blockMetas();
  assert.equal(metas[0].minTime, 0);
  assert.ok(metas.every((m, i) => i === 0 || m.minTime >= metas[i - 1].maxTime), 'no overlaps remain');
  assert.equal(metas[0].maxTime, 50_000, JSON.stringify(metas.map((m) => [m.minTime, m.maxTime])));
  const want = [...Array.from({ length: 71 }, (_, i) => i * 1000), 25_500].sort((x, y) => x - y);
  const check2 = async () => {
    const r = await db.querier().select(byName, 0, 100_000);
    assert.deepEqual(Array.from(r[0].timestamps), want);
    assert.equal(r[0].values[want.indexOf(25_500)], -1);
    assert.equal(r[0].values[want.indexOf(26_000)], 26_000);
  };
  await check2();
  await db.close();
  db = await TSDB.open(opts);
  await check2();
  await db.close();
});
