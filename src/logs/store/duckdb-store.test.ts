import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { labelsFromRecord } from '../../model/labels.js';
import type { LogEntry } from '../model.js';
import type { LogSelectParams, LogStore } from './interface.js';
import { openLogStore } from './index.js';

const T0 = 1_700_000_000_000n * 1_000_000n;
const SEC = 1_000_000_000n;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'logstore-'));
}

function entry(app: string, i: number, line?: string, extra: Partial<LogEntry> = {}): LogEntry {
  return { stream: labelsFromRecord({ app, job: 'x' }), ts: T0 + BigInt(i) * SEC, line: line ?? `${app} line ${i}`, ...extra };
}

async function collect(store: LogStore, p: Partial<LogSelectParams>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const b of store.select({ matchers: [], start: T0 - 1000n * SEC, end: T0 + 100000n * SEC, direction: 'forward', limit: 0, ...p })) out.push(...b);
  return out;
}

async function bothWays(run: (store: LogStore) => Promise<void>, flushed: boolean): Promise<void> {
  const dir = tmp();
  try {
    const store = await openLogStore({ dir, compactMinFiles: 1000 });
    try {
      await run(store);
      if (flushed) await (store as unknown as { flush(): Promise<void> }).flush();
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const flushed of [false, true]) {
  test(`select: matchers, time range, line filters, direction, limit (${flushed ? 'flushed to Parquet' : 'head only'})`, async () => {
    const dir = tmp();
    try {
      const store = await openLogStore({ dir, compactMinFiles: 1000 });
      const entries: LogEntry[] = [];
      for (let i = 0; i < 100; i++) entries.push(entry(i % 2 ? 'api' : 'web', i, i === 42 ? 'GET /needle 500' : undefined, i === 7 ? { metadata: { level: 'error' }, traceId: 'abc123' } : {}));
      const r = await store.append(entries);
      assert.equal(r.accepted, 100);
      if (flushed) await (store as unknown as { flush(): Promise<void> }).flush();
      if (flushed) assert.ok(readdirSync(join(dir, 'chunks')).some((n) => n.endsWith('.parquet')));

      const api = await collect(store, { matchers: [{ type: '=', name: 'app', value: 'api' }] });
      assert.equal(api.length, 50);
      assert.ok(api.every((e) => e.stream.some((l) => l.name === 'app' && l.value === 'api')));
      assert.deepEqual(api.map((e) => e.ts), [...api.map((e) => e.ts)].sort((a, b) => (a < b ? -1 : 1)));

      const needle = await collect(store, { lineFilters: [{ op: '|=', values: ['needle'] }] });
      assert.deepEqual(needle.map((e) => e.line), ['GET /needle 500']);
      const notLine = await collect(store, { lineFilters: [{ op: '!=', values: ['line'] }] });
      assert.equal(notLine.length, 1);
      const re = await collect(store, { lineFilters: [{ op: '|~', values: ['web line [0-9]*0$'] }] });
      assert.deepEqual(re.map((e) => e.line), ['web line 0', 'web line 10', 'web line 20', 'web line 30', 'web line 40', 'web line 50', 'web line 60', 'web line 70', 'web line 80', 'web line 90']);
      const or = await collect(store, { lineFilters: [{ op: '|=', values: ['api line 1', 'needle'] }, { op: '!~', values: ['1[0-9]$'] }] });
      assert.deepEqual(or.map((e) => e.line), ['api line 1', 'GET /needle 500']);

      const back = await collect(store, { direction: 'backward', limit: 3 });
      assert.deepEqual(back.map((e) => e.line), ['api line 99', 'web line 98', 'api line 97']);
      const win = await collect(store, { start: T0 + 10n * SEC, end: T0 + 13n * SEC });
      assert.deepEqual(win.map((e) => e.line), ['web line 10', 'api line 11', 'web line 12']);

      const seven = (await collect(store, { start: T0 + 7n * SEC, end: T0 + 8n * SEC }))[0];
      assert.deepEqual(seven.metadata, { level: 'error' });
      assert.equal(seven.traceId, 'abc123');

      assert.deepEqual(await store.labelNames(T0, T0 + 1000n * SEC), ['app', 'job']);
      assert.deepEqual(await store.labelValues('app', [], T0, T0 + 1000n * SEC), ['api', 'web']);
      assert.deepEqual(await store.labelValues('app', [], T0 + 5000n * SEC, T0 + 6000n * SEC), []);
      assert.equal((await store.series([{ type: '=~', name: 'app', value: 'a.*' }], T0, T0 + 1000n * SEC)).length, 1);
      const st = await store.stats([], T0, T0 + 1000n * SEC);
      assert.equal(st.streams, 2);
      assert.equal(st.entries, 100);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('head and files merge in time order, out-of-order entries accepted, reopen keeps everything', async () => {
  const dir = tmp();
  try {
    let store = await openLogStore({ dir, compactMinFiles: 1000 });
    await store.append([entry('a', 10), entry('a', 30)]);
    await (store as unknown as { flush(): Promise<void> }).flush();
    await store.append([entry('a', 20), entry('a', 5)]); // out of order within the stream
    assert.deepEqual((await collect(store, {})).map((e) => e.ts - T0), [5n, 10n, 20n, 30n].map((x) => x * SEC));
    await store.close();
    store = await openLogStore({ dir, compactMinFiles: 1000 });
    assert.deepEqual((await collect(store, { direction: 'backward' })).map((e) => e.ts - T0), [30n, 20n, 10n, 5n].map((x) => x * SEC));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rejects too old, too long; truncates when configured; compaction and retention by time and size', async () => {
  const dir = tmp();
  let now = Number((T0 + 1000n * SEC) / 1_000_000n);
  try {
    const store = await openLogStore({ dir, now: () => now, rejectOlderThanMs: 100_000, maxLineBytes: 20, compactMinFiles: 3, retentionTimeMs: 3_600_000 });
    const r = await store.append([entry('a', 0), entry('a', 950), entry('a', 951, 'x'.repeat(21))]);
    assert.equal(r.accepted, 1);
    assert.deepEqual(r.rejected.map((x) => [x.index, x.kind]), [[0, 'too_old'], [2, 'line_too_long']]);
    await store.close();
    const s2 = await openLogStore({ dir, now: () => now, maxLineBytes: 12, lineTooLong: 'truncate', compactMinFiles: 3, retentionTimeMs: 3_600_000 });
    assert.equal((await s2.append([entry('a', 960, 'é'.repeat(8))])).accepted, 1);
    const flush = (s2 as unknown as { flush(): Promise<void> }).flush.bind(s2);
    await flush();
    const lines = (await collect(s2, {})).map((e) => e.line);
    assert.deepEqual(lines, ['a line 950', 'éééééé']);
    await s2.append([entry('b', 970)]);
    await flush();
    await s2.append([entry('c', 980)]);
    await flush(); // third small file → merged
    assert.equal(readdirSync(join(dir, 'chunks')).filter((n) => n.endsWith('.parquet')).length, 1);
    assert.equal((await collect(s2, {})).length, 4);
    now += 2 * 3_600_000;
    await s2.append([entry('d', 8000)]);
    await flush();
    assert.deepEqual((await collect(s2, {})).map((e) => e.line), ['d line 8000']);
    await s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGKILL after acknowledged appends loses nothing', async () => {
  const dir = tmp();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'testdata', 'kill-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) if (l.startsWith('acked ')) acked = Number(l.slice(6));
        // Kill mid-ingest, after at least one flush to Parquet has happened.
        if (acked >= 30000 && child.exitCode === null) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    assert.ok(acked >= 30000, `child acknowledged ${acked}`);
    const store = await openLogStore({ dir });
    const got = await collect(store, { start: 0n, end: T0 * 2n });
    const seen = new Set(got.map((e) => e.line));
    for (let i = 0; i < acked; i++) assert.ok(seen.has(`line ${i}`), `acknowledged line ${i} lost`);
    assert.equal(seen.size, got.length, 'no duplicates');
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('many files with overlapping edges plus the head read back in global time order, both directions, with limits', async () => {
  const dir = tmp();
  try {
    const store = await openLogStore({ dir, compactMinFiles: 1000 });
    const flush = (store as unknown as { flush(): Promise<void> }).flush.bind(store);
    const want: bigint[] = [];
    for (let f = 0; f < 5; f++) {
      const batch: LogEntry[] = [];
      // Each file covers [f*10, f*10+14]: overlapping the next file's first five seconds.
      for (let i = f * 10; i < f * 10 + 15; i += 2) batch.push(entry(`s${f % 3}`, i + (f % 2)));
      for (const e of batch) want.push(e.ts);
      await store.append(batch);
      if (f < 4) await flush();
    }
    want.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const fwd = (await collect(store, {})).map((e) => e.ts);
    assert.deepEqual(fwd, want);
    const back = (await collect(store, { direction: 'backward', limit: 7 })).map((e) => e.ts);
    assert.deepEqual(back, [...want].reverse().slice(0, 7));
    const mid = (await collect(store, { start: T0 + 12n * SEC, end: T0 + 33n * SEC, limit: 5 })).map((e) => e.ts);
    assert.deepEqual(mid, want.filter((t) => t >= T0 + 12n * SEC && t < T0 + 33n * SEC).slice(0, 5));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('regex filters that RE2 rejects fail the query up front', async () => {
  await bothWays(async (store) => {
    await store.append([entry('a', 1)]);
    await assert.rejects(collect(store, { lineFilters: [{ op: '|~', values: ['a(?=b)'] }] }), SyntaxError);
    await assert.rejects(collect(store, { lineFilters: [{ op: '|~', values: ['(a'] }] }), SyntaxError);
    assert.equal((await collect(store, { lineFilters: [{ op: '|~', values: ['(?i)A LINE'] }] })).length, 1);
  }, true);
});

test('timestamps round-trip to the nanosecond whatever their common step, through flushes and compaction', async () => {
  const dir = tmp();
  try {
    const store = await openLogStore({ dir, compactMinFiles: 3 });
    const flush = (store as unknown as { flush(): Promise<void> }).flush.bind(store);
    const sidecars = (): { tsUnit: string; tsBase: string }[] =>
      readdirSync(join(dir, 'chunks'))
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map((n) => JSON.parse(readFileSync(join(dir, 'chunks', n), 'utf8')) as { tsUnit: string; tsBase: string });
    const want: bigint[] = [];
    const put = async (tss: bigint[]): Promise<void> => {
      await store.append(tss.map((ts, i) => ({ stream: labelsFromRecord({ app: `s${i % 3}`, job: 'x' }), ts, line: `line at ${ts}` })));
      want.push(...tss);
      await flush();
    };
    // Millisecond stamps (most shippers), then a fixed 2,313,405 ns tick, then arbitrary nanoseconds.
    await put([0n, 7n, 3n, 1000n, 12n].map((ms) => T0 + ms * 1_000_000n));
    assert.equal(sidecars()[0].tsUnit, '1000000');
    await put([5n, 1n, 9n, 4n].map((k) => T0 + 2_000_000_000n + k * 2_313_405n));
    assert.equal(sidecars()[1].tsUnit, '2313405');
    await put([T0 + 3_000_000_001n, T0 + 3_000_000_000n, T0 + 2_999_999_998n, T0 + 3_000_000_000n]);
    // Three files → compacted into one; the merged step divides every input's.
    const merged = sidecars();
    assert.equal(merged.length, 1);
    assert.equal(merged[0].tsUnit, '1');
    want.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual((await collect(store, { start: T0 - SEC, end: T0 + 10n * SEC })).map((e) => e.ts), want);
    // Range bounds between two stored steps are exact too.
    const inner = await collect(store, { start: T0 + 2_000_000_000n + 2_313_406n, end: T0 + 2_000_000_000n + 5n * 2_313_405n + 1n });
    assert.deepEqual(inner.map((e) => e.ts), [4n, 5n].map((k) => T0 + 2_000_000_000n + k * 2_313_405n));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compacting files that share a step keeps it', async () => {
  const dir = tmp();
  try {
    const store = await openLogStore({ dir, compactMinFiles: 2 });
    const flush = (store as unknown as { flush(): Promise<void> }).flush.bind(store);
    await store.append([entry('a', 1), entry('a', 4)]);
    await flush();
    await store.append([entry('a', 10), entry('b', 6)]);
    await flush();
    const side = readdirSync(join(dir, 'chunks')).filter((n) => n.endsWith('.json'));
    assert.equal(side.length, 1);
    assert.equal((JSON.parse(readFileSync(join(dir, 'chunks', side[0]), 'utf8')) as { tsUnit: string }).tsUnit, String(SEC));
    assert.deepEqual((await collect(store, { direction: 'backward' })).map((e) => e.ts - T0), [10n, 6n, 4n, 1n].map((x) => x * SEC));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('back-pressure: appends wait while a full head is written, so the head stays near its limit', async () => {
  const dir = tmp();
  try {
    const maxHeadBytes = 100_000;
    const store = await openLogStore({ dir, maxHeadBytes, compactMinFiles: 1000 });
    const inner = store as unknown as { head: { bytes: number }; flush(): Promise<void> };
    let biggest = 0;
    for (let b = 0; b < 40; b++) {
      const batch: LogEntry[] = [];
      for (let i = 0; i < 500; i++) batch.push(entry(`s${i % 4}`, b * 500 + i, `${'x'.repeat(80)} ${b}-${i}`));
      assert.equal((await store.append(batch)).accepted, 500);
      biggest = Math.max(biggest, inner.head.bytes);
    }
    // Each batch is ~50 KB; writing a file takes far longer than an append, so without back-pressure the head
    // would hold most of the 2 MB here.
    assert.ok(biggest < 3 * maxHeadBytes, `head grew to ${biggest} bytes`);
    await inner.flush();
    assert.equal((await collect(store, { start: T0, end: T0 + 100000n * SEC })).length, 20000);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
