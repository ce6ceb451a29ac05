import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURRENT_BLOCK_FORMAT, GROUP_RAW_BYTES, findTrace, openBlock, openBlockData, readAllSpans, readTrace, readTraceRecords, scanBlock, writeBlock, type BlockMeta } from './block.js';
import { openTraceStore } from './embedded-store.js';
import { encodeSpans } from './span-codec.js';
import { makeSpan } from './testdata/spans.js';
import type { Span } from '../model.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'traces-block-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** 300 traces of 5 spans, plus trace 300 with 400 spans (one record larger than a whole group). */
function corpus(): Span[] {
  const spans: Span[] = [];
  for (let t = 0; t < 300; t++) for (let i = 0; i < 5; i++) spans.push(makeSpan(t, i));
  for (let i = 0; i < 400; i++) spans.push(makeSpan(300, i, { attributes: { text: `long value ${i} `.repeat(20) } }));
  return spans;
}

/** makeSpan leaves `parentSpanId: undefined` on roots; the codec (rightly) omits the key. */
const clean = (s: Span): Span => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as unknown as Span;
const byTraceId = (spans: readonly Span[], id: string): Span[] => spans.filter((s) => s.traceId === id).map(clean);

test('format 2: records compressed in groups; every trace reads back exactly; much smaller than format 1', async () => {
  await withDir(async (dir) => {
    const spans = corpus();
    const v2 = await writeBlock(dir, 1, spans, 0);
    const v1 = await writeBlock(dir, 2, spans, 0, [], { format: 1 });
    assert.equal(v2.meta.format, CURRENT_BLOCK_FORMAT);
    assert.equal(v2.meta.codec, 'deflate-raw');
    assert.equal(v1.meta.format, undefined, 'format-1 meta stays as old blocks wrote it');
    const rawBytes = (await stat(join(v1.dir, 'data.bin'))).size;
    const packedBytes = (await stat(join(v2.dir, 'data.bin'))).size;
    assert.ok(rawBytes > 3 * GROUP_RAW_BYTES, 'the corpus spans several groups');
    assert.ok(packedBytes * 5 < rawBytes, `compressed ${packedBytes} vs raw ${rawBytes}`);
    assert.ok(v2.meta.bytes < v1.meta.bytes);

    const reopened = await openBlock(v2.dir);
    for (const t of [0, 1, 77, 150, 299, 300]) {
      const id = makeSpan(t, 0).traceId;
      const i = findTrace(reopened, Buffer.from(id, 'hex'));
      assert.ok(i >= 0, `trace ${t} found`);
      const got = await readTrace(reopened, i);
      assert.deepEqual(
        [...got].sort((a, b) => (a.spanId < b.spanId ? -1 : 1)),
        byTraceId(spans, id).sort((a, b) => (a.spanId < b.spanId ? -1 : 1)),
        `trace ${t} round-trips (bigint attributes, events, scope)`,
      );
    }
    // Groups really are shared: fewer distinct group offsets than traces, and more than one group.
    const offsets = new Set<number>();
    for (let i = 0; i < reopened.meta.traces; i++) offsets.add(reopened.idx.readDoubleLE(i * reopened.idxStride));
    assert.ok(offsets.size > 1 && offsets.size < reopened.meta.traces, `${offsets.size} groups for ${reopened.meta.traces} traces`);

    const all = await readAllSpans(reopened);
    assert.equal(all.length, spans.length);
    assert.deepEqual(new Set(all.map((s) => s.spanId + s.traceId)), new Set(spans.map((s) => s.spanId + s.traceId)));

    // The search columns are unchanged by the record format.
    const a = new Map<string, bigint>();
    const b = new Map<string, bigint>();
    const f = { start: 0n, end: 2n ** 62n, serviceName: 'svc-1', minDurationNs: 3_500_000 };
    await scanBlock(reopened, f, a);
    await scanBlock(await openBlock(v1.dir), f, b);
    assert.ok(a.size > 0);
    assert.deepEqual(a, b);
  });
});

test('a damaged compressed group fails that read only; an unknown format is refused at open', async () => {
  await withDir(async (dir) => {
    const b = await writeBlock(dir, 1, corpus(), 0);
    const meta = JSON.parse(await readFile(join(b.dir, 'meta.json'), 'utf8')) as BlockMeta;
    const { writeFile } = await import('node:fs/promises');
    const data = await readFile(join(b.dir, 'data.bin'));
    data.fill(0xff, 0, 64); // the first group
    await writeFile(join(b.dir, 'data.bin'), data);
    const opened = await openBlock(b.dir);
    await assert.rejects(readTrace(opened, 0));
    const last = await readTrace(opened, opened.meta.traces - 1);
    assert.equal(last.length, 400, 'other groups still read');
    // A search reading many groups at once skips the damaged one and gets the others.
    const fh = await openBlockData(opened);
    try {
      const all = Array.from({ length: opened.meta.traces }, (_, i) => i);
      const got = await readTraceRecords(opened, fh, all);
      assert.equal(got.failed, 1);
      assert.equal(got.spans.has(0), false);
      assert.equal(got.spans.get(opened.meta.traces - 1)?.length, 400);
    } finally {
      await fh.close();
    }
    await writeFile(join(b.dir, 'meta.json'), JSON.stringify({ ...meta, format: 9 }));
    await assert.rejects(openBlock(b.dir), /unknown format 9/);
  });
});

test('a store opens old-format (uncompressed) blocks, serves them, and compacts them into the new format', async () => {
  await withDir(async (dir) => {
    const blocks = join(dir, 'blocks');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(blocks, { recursive: true });
    // Two blocks as the previous release wrote them (format 1: no meta.format, 16-byte idx rows).
    const first: Span[] = [];
    for (let t = 0; t < 10; t++) for (let i = 0; i < 5; i++) first.push(makeSpan(t, i));
    const second: Span[] = [];
    for (let t = 10; t < 20; t++) for (let i = 0; i < 5; i++) second.push(makeSpan(t, i));
    await writeBlock(blocks, 0, first, 0, [], { format: 1 });
    await writeBlock(blocks, 1, second, 0, [], { format: 1 });
    const oldIdx = await readFile(join(blocks, '00000000', 'idx.bin'));
    assert.equal(oldIdx.length, 10 * 16);
    // The format-1 data file is the plain concatenation of JSON records.
    assert.ok((await readFile(join(blocks, '00000000', 'data.bin'))).includes(Buffer.from(encodeSpans([makeSpan(0, 0)]).subarray(1, 40))));

    const store = await openTraceStore({ dir, maintenanceIntervalMs: 0, compactMinBlocks: 2 });
    assert.deepEqual(await store.getTrace(makeSpan(3, 0).traceId).then((s) => s?.[2]), makeSpan(3, 2));
    // New spans go into a new-format block next to the old ones.
    await store.append([makeSpan(20, 0), makeSpan(20, 1)]);
    await store.flush();
    const found = await store.search({ start: 0n, end: 2n ** 62n, status: 'error', limit: 100 });
    assert.equal(found.length, 20, 'every old trace has an error span');
    await store.compact();
    assert.equal(store.stats().blocks, 1);
    await store.close();

    const again = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
    for (const t of [0, 9, 10, 19, 20]) assert.ok((await again.getTrace(makeSpan(t, 0).traceId))?.length, `trace ${t} after compaction`);
    assert.deepEqual((await again.getTrace(makeSpan(15, 0).traceId))?.[4], makeSpan(15, 4));
    await again.close();
    const { readdir } = await import('node:fs/promises');
    const [only] = await readdir(blocks);
    const meta = JSON.parse(await readFile(join(blocks, only, 'meta.json'), 'utf8')) as BlockMeta;
    assert.equal(meta.format, 2, 'the merged block is written in the new format');
    assert.equal(meta.spans, 102);
  });
});
