import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockReader, CorruptBlockError, writeBlock, type BlockSeriesInput } from './block.js';
import { encodeChunks } from './chunk.js';
import { mergeSeriesStreams } from './compact.js';
import { TSDB } from './db.js';
import { STALE_NAN, isStaleNaN } from '../../model/value.js';
import type { Label } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';

/** The format-1 block in testdata was written by the format-1 writer from exactly this data. */
const V1_FIXTURE = new URL('./testdata/block-v1/', import.meta.url).pathname;
const V1_ULID = '01HF7YAT00GGADE6X73V9NF0T7';
const T0 = 1_700_000_000_000;

function fixtureSample(i: number, k: number): [number, number] {
  const t = T0 + k * 15000 + (k % 7 === 0 ? 1 : 0);
  return [t, i === 0 ? k * 0.25 : i === 1 ? Math.sin(k) : k === 150 ? STALE_NAN : k];
}

function fixtureLabels(i: number): Label[] {
  return [
    { name: '__name__', value: 'fixture_metric' },
    { name: 'i', value: String(i) },
  ];
}

/** Head-style (XOR, 120 samples) chunks of samples [from, to) of fixture series i. */
function headInput(i: number, from: number, to: number): BlockSeriesInput {
  const ts = new Float64Array(to - from);
  const vs = new Float64Array(to - from);
  for (let k = from; k < to; k++) [ts[k - from], vs[k - from]] = fixtureSample(i, k);
  return { labels: fixtureLabels(i), chunks: encodeChunks(ts, new Uint32Array(vs.buffer), 0, to - from) };
}

function assertSamples(got: { ts: Float64Array; vs: Float64Array }, i: number, from: number, to: number): void {
  assert.equal(got.ts.length, to - from, `series ${i}: sample count`);
  for (let k = from; k < to; k++) {
    const [t, v] = fixtureSample(i, k);
    assert.equal(got.ts[k - from], t);
    if (isStaleNaN(v)) assert.ok(isStaleNaN(got.vs[k - from]), `stale marker of series ${i} at ${k}`);
    else assert.ok(Object.is(got.vs[k - from], v), `series ${i} sample ${k}: ${got.vs[k - from]} != ${v}`);
  }
}

const byName: Matcher[] = [{ type: '=', name: '__name__', value: 'fixture_metric' }];

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tsdb-block-'));
}

async function v1Copy(): Promise<string> {
  const dir = await tmp();
  await cp(V1_FIXTURE, dir, { recursive: true });
  return dir;
}

function warnings(): { logger: { warn: (obj: object, msg: string) => void }; lines: string[] } {
  const lines: string[] = [];
  return { logger: { warn: (obj, msg) => void lines.push(JSON.stringify(obj) + ' ' + msg) }, lines };
}

test('format-2 block: exact samples back, block chunks of at most 240 samples, smaller than format 1 (sine and stale-marker series stay float)', async () => {
  const dir = await tmp();
  const meta = (await writeBlock(dir, [0, 1, 2].map((i) => headInput(i, 0, 300)), { minTime: T0, maxTime: T0 + 7_200_000, level: 1, sources: [] }))!;
  assert.equal(meta.version, 2);
  assert.deepEqual(meta.stats, { numSamples: 900, numSeries: 3, numChunks: 6 });
  const b = await BlockReader.open(join(dir, meta.ulid));
  const res = await b.select(byName, 0, Infinity);
  assert.equal(res.length, 3);
  res.forEach((s, i) => assertSamples(s, i, 0, 300));
  // A time range inside the second chunk.
  const [t100] = fixtureSample(0, 100);
  const [t200] = fixtureSample(0, 200);
  const part = await b.select([{ type: '=', name: 'i', value: '0' }], t100, t200);
  assertSamples(part[0], 0, 100, 201);
  assert.deepEqual(await b.labelValues('i', [], 0, Infinity), ['0', '1', '2']);
  assert.deepEqual((await b.labelNames([], 0, Infinity)).sort(), ['__name__', 'i']);
  assert.deepEqual((await b.seriesLabels([{ type: '=~', name: 'i', value: '[02]' }], 0, Infinity)).map((l) => l[1].value), ['0', '2']);
  assert.deepEqual(await b.select([{ type: '=', name: 'i', value: '9' }], 0, Infinity), []);
  assert.equal((await b.select([{ type: '!=', name: 'i', value: '1' }], 0, Infinity)).length, 2);
  await b.close();
  const v1Size = (await readFile(join(V1_FIXTURE, V1_ULID, 'index'))).length + (await stat(join(V1_FIXTURE, V1_ULID, 'chunks', '000001'))).size;
  const v2Size = (await readFile(join(dir, meta.ulid, 'index'))).length + (await stat(join(dir, meta.ulid, 'chunks', '000001'))).size;
  assert.ok(v2Size < v1Size * 0.9, `format 2: ${v2Size} bytes, format 1: ${v1Size}`);
});

test('format-1 blocks written by the previous version stay readable, through the TSDB too', async () => {
  const dir = await v1Copy();
  const b = await BlockReader.open(join(dir, V1_ULID));
  assert.equal(b.meta.version, 1);
  const res = await b.select(byName, 0, Infinity);
  assert.equal(res.length, 3);
  res.forEach((s, i) => assertSamples(s, i, 0, 300));
  assert.deepEqual(await b.labelValues('i', [], 0, Infinity), ['0', '1', '2']);
  assert.equal((await b.select([{ type: '=~', name: 'i', value: '1|2' }], 0, Infinity)).length, 2);
  await b.close();
  const db = await TSDB.open({ dir, blockRangeMs: 7_200_000, now: () => T0 + 8_000_000 });
  const q = await db.querier().select(byName, T0, T0 + 300 * 15000);
  assert.equal(q.length, 3);
  assert.equal(q[1].timestamps.length, 300);
  assert.equal(q[1].values[7], Math.sin(7));
  await db.close();
});

test('compacting a format-1 block with a format-2 block (overlapping) yields one format-2 block with every sample', async () => {
  const dir = await v1Copy();
  // Samples 250..399 of the same series: 50 overlap the old block, with identical values.
  const meta2 = (await writeBlock(dir, [0, 1, 2].map((i) => headInput(i, 250, 400)), { minTime: T0, maxTime: T0 + 7_200_000, level: 1, sources: [] }))!;
  const old = await BlockReader.open(join(dir, V1_ULID));
  const neu = await BlockReader.open(join(dir, meta2.ulid));
  const merged = (await writeBlock(dir, mergeSeriesStreams([old.allSeriesChunks(), neu.allSeriesChunks()]), {
    minTime: T0,
    maxTime: T0 + 7_200_000,
    level: 2,
    sources: [V1_ULID, meta2.ulid],
  }))!;
  assert.equal(merged.version, 2);
  assert.equal(merged.stats.numSamples, 1200);
  const m = await BlockReader.open(join(dir, merged.ulid));
  const res = await m.select(byName, 0, Infinity);
  res.forEach((s, i) => assertSamples(s, i, 0, 400));
  // And compacting format-2 blocks again copies their block chunks unchanged.
  const again = (await writeBlock(dir, m.allSeriesChunks(), { minTime: T0, maxTime: T0 + 7_200_000, level: 3, sources: [] }))!;
  const chunkBytes = async (u: string): Promise<Buffer> => readFile(join(dir, u, 'chunks', '000001'));
  assert.deepEqual(await chunkBytes(again.ulid), await chunkBytes(merged.ulid));
  for (const r of [old, neu, m]) await r.close();
});

test('format 2: a corrupt chunk is skipped with a warning naming the file; a corrupt index refuses to open', async () => {
  const dir = await tmp();
  const meta = (await writeBlock(dir, [0, 1, 2].map((i) => headInput(i, 0, 300)), { minTime: T0, maxTime: T0 + 7_200_000, level: 1, sources: [] }))!;
  const chunkFile = join(dir, meta.ulid, 'chunks', '000001');
  const data = await readFile(chunkFile);
  data[40] ^= 0x10; // inside the first series' first chunk
  await writeFile(chunkFile, data);
  const { logger, lines } = warnings();
  const b = await BlockReader.open(join(dir, meta.ulid), logger);
  const res = await b.select(byName, 0, Infinity);
  assert.ok(lines.some((l) => l.includes(chunkFile) && l.includes('checksum')), lines.join('\n'));
  assert.deepEqual(res.map((s) => s.ts.length), [150, 300, 300]);
  assertSamples({ ts: res[0].ts, vs: res[0].vs }, 0, 150, 300);
  await b.close();

  const indexFile = join(dir, meta.ulid, 'index');
  for (const pos of [5, 40, -10]) {
    const ix = await readFile(indexFile);
    const copy = Buffer.from(ix);
    copy[pos < 0 ? copy.length + pos : pos] ^= 0x01;
    await writeFile(indexFile, copy);
    await assert.rejects(BlockReader.open(join(dir, meta.ulid)), (e: unknown) => e instanceof CorruptBlockError && e.message.includes(indexFile));
    await writeFile(indexFile, ix);
  }
  assert.deepEqual((await readdir(join(dir, meta.ulid))).sort(), ['chunks', 'index', 'meta.json']);
});
