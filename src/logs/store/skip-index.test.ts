import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { labelsFromRecord } from '../../model/labels.js';
import type { LogEntry } from '../model.js';
import type { LineFilter, LogStore } from './interface.js';
import { openLogStore } from './index.js';
import { BloomIndexBuilder, encodeBloomIndex } from './bloom-index.js';
import { candidateRowGroups, decodeGramIndex, rowRanges, SkipIndexBuilder } from './skip-index.js';

const T0 = 1_700_000_000_000n * 1_000_000n;
const SEC = 1_000_000_000n;
type Scan = { files: number; rowGroups: number; skippedRowGroups: number };

test('gram index: every 3-gram of every line is found, absent ones never; encode/decode round trip; row ranges merge', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) lines.push(`{"level":"info","msg":"request ${i} done","trace":"${(i * 2654435761 >>> 0).toString(16)}","ü":"grüße"}`);
  const b = new SkipIndexBuilder([1000, 1000, 1000]);
  // Out of order on purpose: the builder places rows by their row number.
  for (let i = lines.length - 1; i >= 0; i--) b.add(i, lines[i]);
  const built = await b.build();
  const idx = decodeGramIndex(built.encode());
  assert.equal(idx.distinctGrams, built.distinctGrams);
  assert.equal(idx.rowGroups.length, 3);
  assert.deepEqual(idx.rowGroups.map((g) => g.start), [0, 1000, 2000]);
  for (let i = 0; i < lines.length; i += 97) {
    assert.equal(idx.candidates(`request ${i} done`)[Math.floor(i / 1000)], 1, `line ${i}`);
    assert.deepEqual([...idx.candidates('grüße')], [1, 1, 1]);
  }
  // Exact per 3-gram: a needle with a 3-gram that no line has matches no row group at all.
  for (let t = 0; t < 500; t++) assert.deepEqual([...idx.candidates(`QZ${String.fromCharCode(65 + (t % 26))}#${t}`)], [0, 0, 0]);
  // Needles shorter than 3 bytes cannot be judged: always a candidate.
  assert.deepEqual([...idx.candidates('QZ')], [1, 1, 1]);
  // Row group 0 holds every 3-gram of "request 1500 done" (in "request 150 done", "request 500 done"): a
  // candidate, which the engine then reads and filters; row group 2 lacks " 15" and is skipped.
  assert.deepEqual(candidateRowGroups(idx, [{ op: '|=', values: ['request 1500 done'] }]).map((g) => g.start), [0, 1000]);
  // " 25" is only in row groups 0 (25, 250..259) and 2: alternatives are a union, filters an intersection.
  assert.deepEqual(candidateRowGroups(idx, [{ op: '|=', values: ['request 2500 done', 'zzzz'] }, { op: '|=', values: ['done'] }]).map((g) => g.start), [0, 2000]);
  assert.deepEqual(candidateRowGroups(idx, [{ op: '|=', values: ['request 2500 done'] }, { op: '|=', values: ['zzzz'] }]).length, 0);
  assert.equal(candidateRowGroups(idx, [{ op: '!=', values: ['request 1500 done'] }]).length, 3);
  assert.equal(candidateRowGroups(idx, [{ op: '|~', values: ['QZQZQZ'] }]).length, 3);
  assert.deepEqual(rowRanges(idx.rowGroups), [[0, 2999]]);
  assert.deepEqual(rowRanges([idx.rowGroups[0], idx.rowGroups[2]]), [[0, 999], [2000, 2999]]);
  // Damaged bytes are refused, not misread.
  const enc = built.encode();
  assert.throws(() => decodeGramIndex(enc.subarray(0, enc.length - 3)));
  assert.throws(() => decodeGramIndex(Buffer.from('SXG0')));
});

test('gram index: 3-grams in most row groups are stored as the list of row groups lacking them', async () => {
  const b = new SkipIndexBuilder(new Array<number>(10).fill(1));
  for (let i = 0; i < 10; i++) b.add(i, i === 3 ? 'zzz' : i === 7 ? 'abc' : 'abc common');
  const idx = decodeGramIndex((await b.build()).encode());
  assert.deepEqual([...idx.candidates('abc')], [1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...idx.candidates('common')], [1, 1, 1, 0, 1, 1, 1, 0, 1, 1]);
  assert.deepEqual([...idx.candidates('zzz')], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
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

/**
 * Rewrites every file of a closed store into the layouts written before the gram index and the timestamp
 * encoding: column `ts` in ns, no `<seq>.idx`, and per row group Bloom filters in the sidecar (`bloom`) or no
 * index at all.
 */
async function toLegacyFormat(dir: string, bloom: boolean): Promise<void> {
  const chunks = join(dir, 'chunks');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    for (const n of readdirSync(chunks).filter((x) => x.endsWith('.json'))) {
      const p = join(chunks, n);
      const pq = p.replace(/json$/, 'parquet');
      const j = JSON.parse(readFileSync(p, 'utf8')) as { tsBase?: string; tsUnit?: string; index?: number; skip?: unknown };
      assert.ok(j.index && j.tsBase && j.tsUnit, 'new files carry the index and the timestamp encoding');
      await conn.run(
        `COPY (SELECT stream_id, (${j.tsBase}::BIGINT + tq * ${j.tsUnit}::BIGINT) AS ts, line, metadata, trace_id, span_id FROM read_parquet('${pq}') ORDER BY stream_id, ts) TO '${pq}.old' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)`,
      );
      renameSync(`${pq}.old`, pq);
      rmSync(p.replace(/json$/, 'idx'));
      delete j.tsBase;
      delete j.tsUnit;
      delete j.index;
      if (bloom) {
        const meta = await conn.runAndReadAll(`SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata('${pq}') GROUP BY 1 ORDER BY 1`);
        const b = new BloomIndexBuilder(meta.getRows().map((r) => Number(r[1] as bigint)));
        const rows = await conn.runAndReadAll(`SELECT file_row_number, line FROM read_parquet('${pq}', file_row_number = true)`);
        for (const r of rows.getRows()) b.add(Number(r[0] as bigint), r[1] as string);
        j.skip = encodeBloomIndex(b.build());
      }
      writeFileSync(p, JSON.stringify(j));
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

for (const bloom of [false, true]) {
  test(`store: files in the old layout (ts column, ${bloom ? 'Bloom filters in the sidecar' : 'no skip index'}) are still read and compacted`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logskip-'));
    try {
      let store = await openLogStore({ dir, compactMinFiles: 1000 });
      await twoFiles(store);
      await store.close();
      await toLegacyFormat(dir, bloom);
      const scans: Scan[] = [];
      store = await openLogStore({ dir, compactMinFiles: 3, onScan: (s) => scans.push(s) });
      try {
        assert.deepEqual((await search(store, [{ op: '|=', values: ['beta-needle'] }])).map((e) => e.line), ['GET /beta-needle 500']);
        // Without an index both files are read; the Bloom filters still rule out the file without the needle.
        assert.equal(scans.reduce((a, s) => a + s.files, 0), bloom ? 1 : 2);
        const all = await search(store, []);
        assert.equal(all.length, 100);
        assert.equal(all[0].ts, T0 + 399n * SEC);
        // A third file written now (new layout) triggers compaction of old and new layouts into one new file.
        await store.append([entry('web', 500, 'GET /gamma-needle 200')]);
        await flush(store);
        assert.equal(readdirSync(join(dir, 'chunks')).filter((x) => x.endsWith('.parquet')).length, 1);
        const merged = JSON.parse(readFileSync(join(dir, 'chunks', readdirSync(join(dir, 'chunks')).find((x) => x.endsWith('.json')) as string), 'utf8')) as { tsUnit: string };
        // Old-layout inputs have no known step, so the merge stores plain nanosecond offsets.
        assert.equal(merged.tsUnit, '1');
        const back: LogEntry[] = [];
        for await (const b of store.select({ matchers: [], start: T0, end: T0 + 100000n * SEC, direction: 'forward', limit: 0 })) back.push(...b);
        assert.equal(back.length, 401);
        assert.deepEqual(back.map((e) => e.ts), [...Array(400).keys()].map((i) => T0 + BigInt(i) * SEC).concat([T0 + 500n * SEC]));
        assert.deepEqual((await search(store, [{ op: '|=', values: ['beta-needle'] }])).map((e) => e.line), ['GET /beta-needle 500']);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('store: an unreadable skip index is reported and the file read whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'logskip-'));
  try {
    let store = await openLogStore({ dir, compactMinFiles: 1000 });
    await twoFiles(store);
    await store.close();
    for (const n of readdirSync(join(dir, 'chunks')).filter((x) => x.endsWith('.idx'))) writeFileSync(join(dir, 'chunks', n), 'SXG1garbage');
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_: object, msg?: string) => void warnings.push(msg ?? ''), error: () => undefined };
    const scans: Scan[] = [];
    store = await openLogStore({ dir, compactMinFiles: 1000, logger, onScan: (s) => scans.push(s) });
    try {
      assert.equal(warnings.length, 2);
      assert.deepEqual((await search(store, [{ op: '|=', values: ['beta-needle'] }])).map((e) => e.line), ['GET /beta-needle 500']);
      assert.equal(scans.reduce((a, s) => a + s.files, 0), 2);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
