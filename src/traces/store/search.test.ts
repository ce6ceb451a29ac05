import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Span } from '../model.js';
import { parseTraceQL } from '../query/parse.js';
import { searchTraceQL } from '../query/search.js';
import { openTraceStore, type EmbeddedTraceStore } from './embedded-store.js';
import { newSearchStats } from './interface.js';
import { makeSpan } from './testdata/spans.js';

const ALL = { start: 0n, end: 2n ** 62n };
const TRACES = 1200;
const OLD = 30;

/** Trace t: a root and 3 children; the oldest OLD traces have root service "old", a rare attribute and a
 *  child with http.status_code 418. Traces are 1 s apart (makeSpan), trace 0 the oldest. */
function trace(t: number): Span[] {
  const old = t < OLD;
  return [0, 1, 2, 3].map((i) =>
    makeSpan(t, i, {
      serviceName: old && i === 0 ? 'old' : `svc-${(t + i) % 5}`,
      resource: { 'service.name': old && i === 0 ? 'old' : `svc-${(t + i) % 5}`, 'k8s.namespace.name': 'shop' },
      attributes: {
        'http.status_code': old && i === 3 ? 418 : i === 2 ? 500 : 200,
        'user.id': `u-${t * 4 + i}`,
        ...(old && i === 1 ? { 'feature.flag': 'rare' } : {}),
      },
    }),
  );
}

async function withStore(fn: (store: EmbeddedTraceStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'traces-search-'));
  // Blocks of 800 spans: the traces spread over 6 blocks, the newest 200 traces stay in the head.
  const store = await openTraceStore({ dir, maintenanceIntervalMs: 0, maxHeadSpans: 1_000_000 });
  try {
    for (let t = 0; t < TRACES; t += 200) {
      const spans: Span[] = [];
      for (let k = t; k < t + 200; k++) spans.push(...trace(k));
      await store.append(spans);
      if (t + 200 < TRACES) await store.flush();
    }
    assert.equal(store.stats().blocks, 5);
    assert.equal(store.stats().headSpans, 800);
    await fn(store, dir);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const idOf = (t: number): string => trace(t)[0].traceId;

test('TraceQL without anything indexable finds matches however old, newest first, up to limit', async () => {
  await withStore(async (store) => {
    const stats = newSearchStats();
    const got = await searchTraceQL(store, parseTraceQL('{ rootServiceName = "old" }'), { ...ALL, limit: 20, stats });
    // The 20 newest of the 30 old traces (29 down to 10), newest first.
    assert.deepEqual(got.map((m) => m.traceId), Array.from({ length: 20 }, (_, k) => idOf(OLD - 1 - k)));
    assert.ok(got.every((m) => m.rootServiceName === 'old' && m.spanCount === 4));
    assert.equal(stats.partial, undefined);
    // Everything asked for, not more: limit above the number of matches gives all 30.
    const all = await searchTraceQL(store, parseTraceQL('{ rootServiceName = "old" }'), { ...ALL, limit: 100 });
    assert.equal(all.length, OLD);
    // Structural and pipeline queries with nothing indexable on one side, and the trace duration.
    const structural = await searchTraceQL(store, parseTraceQL('{ rootServiceName = "old" } >> { span.http.status_code = 418 }'), { ...ALL, limit: 5 });
    assert.deepEqual(structural.map((m) => m.traceId), [29, 28, 27, 26, 25].map(idOf));
    const piped = await searchTraceQL(store, parseTraceQL('{ span.feature.flag = "rare" } | count() > 0'), { ...ALL, limit: 3 });
    assert.deepEqual(piped.map((m) => m.traceId), [29, 28, 27].map(idOf));
    const none = await searchTraceQL(store, parseTraceQL('{ traceDuration > 1h }'), { ...ALL, limit: 20 });
    assert.deepEqual(none, []);
  });
});

test('store search: limit respected, newest first; a condition only old spans meet is found in old blocks', async () => {
  await withStore(async (store) => {
    const newest = await store.search({ ...ALL, limit: 7 });
    assert.deepEqual(newest.map((s) => s.traceId), Array.from({ length: 7 }, (_, k) => idOf(TRACES - 1 - k)));
    const stats = newSearchStats();
    const old = await store.search({ ...ALL, conditions: [{ field: 'span.http.status_code', op: '=', value: 418 }], limit: 50, stats });
    assert.equal(old.length, OLD);
    assert.deepEqual(old[0].traceId, idOf(OLD - 1));
    assert.ok(old.every((s) => s.spanCount === 4 && s.matchedSpanIds.length === 1));
    // The attribute index let the search skip the groups of the newer blocks: far less read than all of them.
    assert.ok(stats.inspectedBytes > 0);
    const everything = newSearchStats();
    await store.search({ ...ALL, limit: 100_000, stats: everything });
    assert.ok(stats.inspectedBytes * 5 < everything.inspectedBytes, `${stats.inspectedBytes} vs ${everything.inspectedBytes}`);
    // A rare value: only its group's traces are read, without the block's columns (one match in the oldest
    // block, one in the head).
    const rare = newSearchStats();
    const u5 = await store.search({ ...ALL, conditions: [{ field: 'span.user.id', op: '=', value: 'u-5' }], limit: 20, stats: rare });
    assert.deepEqual(u5.map((x) => x.traceId), [idOf(1)]);
    assert.equal(u5[0].spanCount, 4);
    assert.ok(rare.inspectedTraces < 20, `${rare.inspectedTraces} traces read`);
    const two = await store.search({ ...ALL, conditions: [{ field: 'user.id', op: '=', value: 'u-4799' }], limit: 20 });
    assert.deepEqual(two.map((x) => x.traceId), [idOf(1199)]);
    // A value no span has: nothing read at all.
    const absent = newSearchStats();
    assert.deepEqual(await store.search({ ...ALL, conditions: [{ field: '.http.method', op: '=', value: 'POST' }], limit: 20, stats: absent }), []);
    assert.equal(absent.inspectedBytes, 0);
    assert.equal(absent.blocksSearched, absent.blocksTotal);
    // The time range still bounds it: only traces 10..19 start in this window.
    const window = await store.search({
      start: trace(10)[0].startTimeUnixNano,
      end: trace(19)[3].startTimeUnixNano,
      conditions: [{ field: 'span.http.status_code', op: '=', value: 418 }],
      limit: 50,
    });
    assert.deepEqual(window.map((s) => s.traceId), Array.from({ length: 10 }, (_, k) => idOf(19 - k)));
  });
});

test('a trace split over blocks is judged whole; blocks without the attribute index are read whole', async () => {
  await withStore(async (store, dir) => {
    // A late span of old trace 3 (in the head now, its other spans in the oldest block) carries the match.
    await store.append([makeSpan(3, 9, { attributes: { 'late.tag': 'yes' }, resource: { 'service.name': 'late' }, serviceName: 'late' })]);
    const late = await store.search({ ...ALL, conditions: [{ field: 'span.late.tag', op: '=', value: 'yes' }], limit: 5 });
    assert.equal(late.length, 1);
    assert.equal(late[0].spanCount, 5);
    assert.equal(late[0].rootServiceName, 'old');
    const q = await searchTraceQL(store, parseTraceQL('{ rootServiceName = "old" } && { resource.service.name = "late" }'), { ...ALL, limit: 5 });
    assert.deepEqual(q.map((m) => m.traceId), [idOf(3)]);
    await store.flush();
    await store.close();

    // Make every block look like one written before the index existed: no attrs.bin, no meta.attrIndex.
    const { readdir } = await import('node:fs/promises');
    for (const name of await readdir(join(dir, 'blocks'))) {
      const metaPath = join(dir, 'blocks', name, 'meta.json');
      const meta = JSON.parse(await readFile(metaPath, 'utf8')) as Record<string, unknown>;
      delete meta.attrIndex;
      await writeFile(metaPath, JSON.stringify(meta));
      await rm(join(dir, 'blocks', name, 'attrs.bin'));
    }
    const again = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
    try {
      const stats = newSearchStats();
      const old = await again.search({ ...ALL, conditions: [{ field: 'span.http.status_code', op: '=', value: 418 }], limit: 50, stats });
      assert.equal(old.length, OLD);
      const absent = newSearchStats();
      assert.deepEqual(await again.search({ ...ALL, conditions: [{ field: '.http.method', op: '=', value: 'POST' }], limit: 20, stats: absent }), []);
      assert.ok(absent.inspectedBytes > 0, 'without the index every candidate group is read');
    } finally {
      await again.close();
    }
  });
});

test('abort and budgets: an aborted search rejects; a budget returns the newest matches so far, marked partial', async () => {
  await withStore(async (store) => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(store.search({ ...ALL, limit: 20, signal: ac.signal }), { name: 'AbortError' });
    // Aborted while reading blocks (by the query itself, after some traces).
    const mid = new AbortController();
    let seen = 0;
    const midStore = await store.search({
      ...ALL,
      limit: 20,
      signal: mid.signal,
      traceFilter: () => {
        if (++seen === 300) mid.abort();
        return false;
      },
    }).then(
      () => 'resolved',
      (e: Error) => e.name,
    );
    assert.equal(midStore, 'AbortError');
    assert.ok(seen >= 300 && seen < 300 + 64 + 5, `stopped soon after the abort (${seen} traces checked)`);

    const stats = newSearchStats();
    const partial = await searchTraceQL(store, parseTraceQL('{ rootServiceName = "old" }'), { ...ALL, limit: 20, stats, budget: { maxBytes: 1 } });
    assert.match(stats.partial ?? '', /byte limit/);
    assert.deepEqual(partial, [], 'the old traces were beyond the budget');
    assert.ok(stats.blocksSearched < stats.blocksTotal);
    const timed = newSearchStats();
    const some = await store.search({ ...ALL, limit: 300, stats: timed, budget: { maxDurationMs: 0 } });
    assert.match(timed.partial ?? '', /time limit/);
    // The head (in memory) is always searched: its 200 newest traces are the partial answer.
    assert.equal(some.length, 200);
    assert.equal(some[0].traceId, idOf(TRACES - 1));
    // Enough matches in the head: older blocks cannot add newer ones, so no budget is needed and none is hit.
    const enough = newSearchStats();
    assert.equal((await store.search({ ...ALL, limit: 20, stats: enough, budget: { maxDurationMs: 0 } })).length, 20);
    assert.equal(enough.partial, undefined);
  });
});
