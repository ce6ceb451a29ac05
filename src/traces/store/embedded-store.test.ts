import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTraceStore } from './embedded-store.js';
import { makeSpan } from './testdata/spans.js';

const ALL = { start: 0n, end: 2n ** 62n, limit: 100 };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'traces-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function traceOf(t: number, n = 5) {
  return Array.from({ length: n }, (_, i) => makeSpan(t, i));
}

test('append, trace by id and search in the head, in blocks and after reopening', async () => {
  await withDir(async (dir) => {
    const store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
    const res = await store.append([...traceOf(0), ...traceOf(1)]);
    assert.equal(res.accepted, 10);
    const t0 = await store.getTrace(traceOf(0)[0].traceId);
    assert.equal(t0?.length, 5);
    assert.deepEqual(t0?.[1], makeSpan(0, 1), 'spans round-trip exactly (bigint attribute, events, scope)');
    await store.flush();
    await store.append(traceOf(2));
    // A late span of trace 0 arrives after its block was written: the trace is assembled from both.
    await store.append([makeSpan(0, 7)]);
    assert.equal((await store.getTrace(traceOf(0)[0].traceId))?.length, 6);
    await store.flush();
    assert.equal(store.stats().blocks, 2);
    await store.close();

    const again = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
    assert.equal((await again.getTrace(traceOf(0)[0].traceId))?.length, 6);
    assert.equal(await again.getTrace('f'.repeat(32)), undefined);
    assert.deepEqual(await again.services(), ['svc-0', 'svc-1', 'svc-2']);
    assert.deepEqual(
      (await again.operations('svc-0')).map((o) => o.name),
      ['GET /', 'op-0', 'op-1', 'op-2'],
    );
    const bySvc = await again.search({ ...ALL, serviceName: 'svc-1' });
    assert.deepEqual(bySvc.map((s) => s.traceId), [traceOf(1)[0].traceId]);
    assert.equal(bySvc[0].spanCount, 5);
    assert.equal(bySvc[0].errorCount, 1);
    assert.equal(bySvc[0].rootSpanName, 'GET /');
    // Durations are (i+1) ms: at least 4 ms matches spans 3, 4 (and the late 7) of each trace.
    const slow = await again.search({ ...ALL, minDurationNs: 4_500_000n });
    assert.deepEqual(slow.map((s) => s.traceId).sort(), [traceOf(0)[0].traceId, traceOf(1)[0].traceId, traceOf(2)[0].traceId].sort());
    assert.deepEqual(slow.find((s) => s.traceId === traceOf(0)[0].traceId)?.matchedSpanIds.length, 2);
    const errs = await again.search({ ...ALL, status: 'error', spanName: 'op-2' });
    assert.equal(errs.length, 3);
    const attr = await again.search({ ...ALL, conditions: [{ field: 'span.http.status_code', op: '>=', value: 500 }] });
    assert.equal(attr.length, 3);
    const none = await again.search({ ...ALL, conditions: [{ field: 'resource.host', op: '=', value: 'h2' }] });
    assert.equal(none.length, 0);
    const timeRange = await again.search({ ...ALL, start: makeSpan(2, 0).startTimeUnixNano, limit: 10 });
    assert.deepEqual(timeRange.map((s) => s.traceId), [traceOf(2)[0].traceId]);
    assert.equal((await again.search({ ...ALL, limit: 2 })).length, 2);
    assert.ok((await again.tagNames('span')).includes('http.status_code'));
    assert.deepEqual(await again.tagValues('resource.service.name'), ['svc-0', 'svc-1', 'svc-2']);
    await again.close();
  });
});

test('invalid ids and end-before-start are rejected, the rest stored', async () => {
  await withDir(async (dir) => {
    const store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
    const res = await store.append([
      makeSpan(0, 0, { traceId: '0'.repeat(32) }),
      makeSpan(0, 1, { spanId: 'abc' }),
      makeSpan(0, 2, { endTimeUnixNano: 1n }),
      makeSpan(0, 3),
    ]);
    assert.equal(res.accepted, 1);
    assert.deepEqual(res.rejected.map((r) => r.index), [0, 1, 2]);
    await store.close();
  });
});

test('retention by time and by size deletes whole blocks', async () => {
  await withDir(async (dir) => {
    let now = Number(makeSpan(0, 0).startTimeUnixNano / 1_000_000n);
    const store = await openTraceStore({ dir, maintenanceIntervalMs: 0, retentionTimeMs: 60_000, now: () => now });
    await store.append(traceOf(0));
    await store.flush();
    await store.append(traceOf(100)); // 100 s later
    await store.flush();
    now += 100_000 + 30_000; // trace 0 ended 130 s ago, trace 100 30 s ago
    await store.maintain();
    assert.equal(store.stats().blocks, 1);
    assert.equal(await store.getTrace(traceOf(0)[0].traceId), undefined);
    assert.equal((await store.getTrace(traceOf(100)[0].traceId))?.length, 5);
    await store.close();

    const sized = await openTraceStore({ dir, maintenanceIntervalMs: 0, retentionSizeBytes: 1, now: () => now });
    await sized.append(traceOf(101));
    await sized.flush();
    await sized.maintain();
    assert.equal(sized.stats().blocks, 0);
    await sized.close();
  });
});

test('acknowledged spans survive SIGKILL of the writing process', async () => {
  await withDir(async (dir) => {
    const here = dirname(fileURLToPath(import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'testdata/kill-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acked = -1;
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = [...buf.matchAll(/acked (\d+)\n/g)];
        if (m.length > 0) acked = Number(m[m.length - 1][1]);
        if (acked >= 60) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.on('exit', r)));
    assert.ok(acked >= 60, `child acked ${acked}`);
    const store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
    for (let b = 0; b <= acked; b++) {
      const spans = await store.getTrace(makeSpan(b, 0).traceId);
      assert.equal(spans?.length, 20, `batch ${b} complete after SIGKILL`);
    }
    await store.close();
  });
});

test('compaction merges small blocks; traces, search and reopen unaffected', async () => {
  await withDir(async (dir) => {
    const store = await openTraceStore({ dir, maintenanceIntervalMs: 0, compactMinBlocks: 3 });
    for (let t = 0; t < 3; t++) {
      await store.append(traceOf(t));
      await store.flush();
    }
    // A late span of trace 0 in a later block: the merged block holds the whole trace.
    await store.append([makeSpan(0, 9)]);
    await store.flush();
    assert.equal(store.stats().blocks, 4);
    await store.compact();
    assert.equal(store.stats().blocks, 1);
    assert.equal(store.stats().blockSpans, 16);
    assert.equal((await store.getTrace(traceOf(0)[0].traceId))?.length, 6);
    assert.equal((await store.search({ ...ALL, serviceName: 'svc-2' })).length, 1);
    await store.close();
    const again = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
    assert.equal(again.stats().blocks, 1);
    assert.equal((await again.getTrace(traceOf(1)[0].traceId))?.length, 5);
    await again.close();
  });
});
