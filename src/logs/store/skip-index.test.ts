import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelsFromRecord } from '../../model/labels.js';
import type { LogEntry } from '../model.js';
import type { LineFilter, LogStore } from './interface.js';
import { openLogStore } from './index.js';
import { candidateRowGroups, decodeSkipIndex, encodeSkipIndex, mayContain, rowRanges, SkipIndexBuilder } from './skip-index.js';

const T0 = 1_700_000_000_000n * 1_000_000n;
const SEC = 1_000_000_000n;
type Scan = { files: number; rowGroups: number; skippedRowGroups: number };

test('builder: every 3-gram of every line is found; absent needles are mostly rejected; row ranges merge', () => {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(`{"level":"info","msg":"request ${i} done","trace":"${(i * 2654435761 >>> 0).toString(16)}","ü":"grüße"}`);
  const b = new SkipIndexBuilder([1000, 1000, 1000]);
  // Out of order on purpose: the builder places rows by their row number.
  for (let i = lines.length - 1; i >= 0; i--) b.add(i, lines[i]);
  const idx = decodeSkipIndex(encodeSkipIndex(b.build()));
  assert.equal(idx.rowGroups.length, 3);
  assert.deepEqual(idx.rowGroups.map((g) => g.start), [0, 1000, 2000]);
  for (let i = 0; i < lines.length; i += 97) {
    const g = idx.rowGroups[Math.floor(i / 1000)];
    assert.ok(mayContain(g, `request ${i} done`), `line ${i}`);
    assert.ok(mayContain(g, 'grüße'));
  }
  // Needles of random 3-grams absent from the data: false positives stay rare (≤ 1 % sized per 3-gram).
  let fp = 0;
  const trials = 2000;
  for (let t = 0; t < trials; t++) if (mayContain(idx.rowGroups[t % 3], `QZ${String.fromCharCode(65 + (t % 26))}#${t}`)) fp++;
  assert.ok(fp / trials <= 0.01, `false positive rate ${fp / trials}`);
  // Needles shorter than 3 bytes cannot be judged: always a candidate.
  assert.ok(mayContain(idx.rowGroups[0], 'QZ'));
  // Row group 0 holds every 3-gram of "request 1500 done" (in "request 150 done", "request 500 done"): a
  // candidate, which the engine then reads and filters; row group 2 lacks " 15" and is skipped.
  assert.deepEqual(candidateRowGroups(idx, [{ op: '|=', values: ['request 1500 done'] }]).map((g) => g.start), [0, 1000]);
  assert.equal(candidateRowGroups(idx, [{ op: '!=', values: ['request 1500 done'] }]).length, 3);
  assert.equal(candidateRowGroups(idx, [{ op: '|~', values: ['QZQZQZ'] }]).length, 3);
  assert.deepEqual(rowRanges(idx.rowGroups), [[0, 2999]]);
  assert.deepEqual(rowRanges([idx.rowGroups[0], idx.rowGroups[2]]), [[0, 999], [2000, 2999]]);
});

function entry(app: string, i: number, line: string): LogEntry {
  return { stream: labelsFromRecord({ app, job: 'x' }), ts: T0 + BigInt(i) * SEC, line };
}

async function withStore(run: (store: LogStore, scans: Scan[], dir: string) => Promise<void>, rowGroupRows?: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'logskip-'));
  const scans: Scan[] = [];
  try {
    const store = await openLogStore({ dir, compactMinFiles: 1000, rowGroupRows, onScan: (s) => scans.push(s) });
    try {
      await run(store, scans, dir);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function search(store: LogStore, filters: LineFilter[]): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const b of store.select({ matchers: [], start: T0, end: T0 + 100000n * SEC, direction: 'backward', limit: 100, lineFilters: filters })) out.push(...b);
  return out;
}

const flush = (s: LogStore): Promise<void> => (s as unknown as { flush(): Promise<void> }).flush();

async function twoFiles(store: LogStore): Promise<void> {
  const a: LogEntry[] = [];
  const b: LogEntry[] = [];
  for (let i = 0; i < 200; i++) a.push(entry('web', i, i === 50 ? 'GET /alpha-needle 200 xabc' : `GET /page/${i} 200 bcdx`));
  for (let i = 200; i < 400; i++) b.push(entry('web', i, i === 300 ? 'GET /beta-needle 500' : `GET /page/${i} 200`));
  await store.append(a);
  await flush(store);
  await store.append(b);
  await flush(store);
}

test('store: a needle in one file reads only that file; an absent needle reads none; or reads both', async () => {
  await withStore(async (store, scans) => {
    await twoFiles(store);
    scans.length = 0;
    const hit = await search(store, [{ op: '|=', values: ['beta-needle'] }]);
    assert.deepEqual(hit.map((e) => e.line), ['GET /beta-needle 500']);
    assert.equal(scans.reduce((a, s) => a + s.files, 0), 1);

    scans.length = 0;
    assert.equal((await search(store, [{ op: '|=', values: ['gamma-needle'] }])).length, 0);
    assert.equal(scans.reduce((a, s) => a + s.files, 0), 0);

    scans.length = 0;
    const both = await search(store, [{ op: '|=', values: ['gamma-needle', 'alpha-needle', 'beta-needle'] }]);
    assert.deepEqual(both.map((e) => e.line), ['GET /beta-needle 500', 'GET /alpha-needle 200 xabc']);
    assert.equal(scans.reduce((a, s) => a + s.files, 0), 2);

    // != cannot use the index: every file is read.
    scans.length = 0;
    assert.equal((await search(store, [{ op: '!=', values: ['GET'] }])).length, 0);
    assert.equal(scans.reduce((a, s) => a + s.files, 0), 2);
  });
});

test('store: a false positive (all 3-grams present, needle absent) reads the file and returns nothing', async () => {
  await withStore(async (store, scans) => {
    await twoFiles(store);
    scans.length = 0;
    // File 1 holds "xabc" and "bcdx" on different lines, so "abcd" has all its 3-grams there but no line has it.
    assert.equal((await search(store, [{ op: '|=', values: ['abcd'] }])).length, 0);
    assert.equal(scans.reduce((a, s) => a + s.files, 0), 1);
  });
});

test('store: only the candidate row groups of a file are read', async () => {
  await withStore(async (store, scans) => {
    const es: LogEntry[] = [];
    // The engine writes row groups of at least 2048 rows: 8192 rows in groups of 2048 are 4.
    for (let i = 0; i < 8192; i++) es.push(entry(i % 2 ? 'api' : 'web', i, i === 777 || i === 123 ? `found needle-${i % 2} here` : `ordinary line ${i}`));
    await store.append(es);
    await flush(store);
    scans.length = 0;
    const hit = await search(store, [{ op: '|=', values: ['needle-1'] }]);
    assert.deepEqual(hit.map((e) => e.line), ['found needle-1 here', 'found needle-1 here']);
    assert.equal(scans.length, 1);
    assert.ok(scans[0].rowGroups <= 2, JSON.stringify(scans[0]));
    assert.ok(scans[0].skippedRowGroups >= 2, JSON.stringify(scans[0]));
  }, 2048);
});

test('store: files written without a skip index are still read (whole)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'logskip-'));
  try {
    let store = await openLogStore({ dir, compactMinFiles: 1000 });
    await twoFiles(store);
    await store.close();
    for (const n of readdirSync(join(dir, 'chunks')).filter((x) => x.endsWith('.json'))) {
      const p = join(dir, 'chunks', n);
      const j = JSON.parse(readFileSync(p, 'utf8')) as { skip?: unknown };
      assert.ok(j.skip, 'new files carry the index');
      delete j.skip;
      writeFileSync(p, JSON.stringify(j));
    }
    const scans: Scan[] = [];
    store = await openLogStore({ dir, compactMinFiles: 1000, onScan: (s) => scans.push(s) });
    try {
      assert.deepEqual((await search(store, [{ op: '|=', values: ['beta-needle'] }])).map((e) => e.line), ['GET /beta-needle 500']);
      assert.equal(scans.reduce((a, s) => a + s.files, 0), 2);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
