import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSDB } from './db.js';
import { AppendError } from '../storage/interface.js';
import { labelsFromRecord, type Labels } from '../../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../../model/value.js';
import type { Matcher } from '../../model/matcher.js';

const L = (r: Record<string, string>): Labels => labelsFromRecord(r);
const eq = (name: string, value: string): Matcher => ({ type: '=', name, value });
async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tsdb-'));
}
function kindOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof AppendError);
    return e.kind;
  }
}

test('appender rules: in-order, dedupe, duplicate, out_of_order, out_of_bounds; visible only after commit', async () => {
  const db = await TSDB.open({ dir: await tmp(), blockRangeMs: 7_200_000 });
  const a = db.appender();
  const s = L({ __name__: 'up', job: 'a' });
  a.append(s, 1000, 1);
  a.append(s, 2000, 2);
  assert.equal(kindOf(() => a.append(s, 2000, 2)), undefined); // identical: dropped silently
  assert.equal(kindOf(() => a.append(s, 2000, 3)), 'duplicate');
  assert.equal(kindOf(() => a.append(s, 1500, 3)), 'out_of_order');
  let res = await db.querier().select([eq('__name__', 'up')], 0, 10_000);
  assert.equal(res.length, 0, 'nothing visible before commit');
  await a.commit();
  res = await db.querier().select([eq('__name__', 'up')], 0, 10_000);
  assert.deepEqual(Array.from(res[0].timestamps), [1000, 2000]);
  assert.deepEqual(Array.from(res[0].values), [1, 2]);

  const b = db.appender();
  assert.equal(kindOf(() => b.append(s, 2000, 2)), undefined);
  assert.equal(kindOf(() => b.append(s, 2000, 5)), 'duplicate');
  assert.equal(kindOf(() => b.append(s, 1999, 5)), 'out_of_order');
  b.append(s, 10_000_000, 7);
  await b.commit();
  // Older than maxt - blockRange/2 for a brand-new series.
  const c = db.appender();
  assert.equal(kindOf(() => c.append(L({ __name__: 'new' }), 10_000_000 - 3_600_001, 1)), 'out_of_bounds');
  c.rollback();
  await db.close();
});

test('rollback drops the batch', async () => {
  const db = await TSDB.open({ dir: await tmp() });
  const a = db.appender();
  a.append(L({ __name__: 'x' }), 1, 1);
  a.rollback();
  await a.commit();
  assert.equal((await db.querier().select([eq('__name__', 'x')], 0, 10)).length, 0);
  await db.close();
});

test('matchers: =, !=, =~, !~, and matchers that match the empty string', async () => {
  const db = await TSDB.open({ dir: await tmp() });
  const a = db.appender();
  a.append(L({ __name__: 'm', env: 'prod', i: '1' }), 1, 1);
  a.append(L({ __name__: 'm', env: 'dev', i: '2' }), 1, 1);
  a.append(L({ __name__: 'm', i: '3' }), 1, 1);
  a.append(L({ __name__: 'other', env: 'prod', i: '4' }), 1, 1);
  await a.commit();
  const q = db.querier();
  const ids = async (ms: Matcher[]) => (await q.select(ms, 0, 10)).map((s) => s.labels.find((l) => l.name === 'i')!.value).sort();
  assert.deepEqual(await ids([eq('__name__', 'm')]), ['1', '2', '3']);
  assert.deepEqual(await ids([eq('__name__', 'm'), { type: '!=', name: 'env', value: 'prod' }]), ['2', '3']);
  assert.deepEqual(await ids([eq('__name__', 'm'), { type: '=~', name: 'env', value: 'pr.*' }]), ['1']);
  assert.deepEqual(await ids([eq('__name__', 'm'), { type: '!~', name: 'env', value: 'pr.*' }]), ['2', '3']);
  assert.deepEqual(await ids([eq('__name__', 'm'), eq('env', '')]), ['3']);
  assert.deepEqual(await ids([eq('__name__', 'm'), { type: '=~', name: 'env', value: '|dev' }]), ['2', '3']);
  assert.deepEqual(await ids([eq('__name__', 'm'), { type: '=~', name: 'env', value: '.+' }]), ['1', '2']);
  assert.deepEqual(await ids([{ type: '=~', name: 'env', value: '.+' }]), ['1', '2', '4']);
  assert.deepEqual(await ids([{ type: '!=', name: 'i', value: '1' }]), ['2', '3', '4']);
  assert.deepEqual(await ids([eq('__name__', 'nope')]), []);
  assert.deepEqual(await ids([eq('nolabel', 'x')]), []);
  assert.deepEqual(await q.labelValues('env', [], 0, 10), ['dev', 'prod']);
  assert.deepEqual(await q.labelNames([eq('__name__', 'other')], 0, 10), ['__name__', 'env', 'i']);
  assert.equal((await q.series([eq('__name__', 'm')], 0, 10)).length, 3);
  // Time range excludes everything.
  assert.equal((await q.select([eq('__name__', 'm')], 5, 10)).length, 0);
  await db.close();
});

test('WAL replay after close restores series, samples and exact stale NaN bits', async () => {
  const dir = await tmp();
  let db = await TSDB.open({ dir });
  for (let batch = 0; batch < 5; batch++) {
    const a = db.appender();
    for (let i = 0; i < 300; i++) {
      a.append(L({ __name__: 'c', i: String(i) }), 1000 + batch * 15_000, batch === 4 && i === 7 ? STALE_NAN : batch * i);
    }
    await a.commit();
  }
  const before = await db.querier().select([eq('__name__', 'c')], 0, 1e12);
  await db.close();
  db = await TSDB.open({ dir });
  const after = await db.querier().select([eq('__name__', 'c')], 0, 1e12);
  assert.equal(after.length, 300);
  assert.deepEqual(after.map((s) => Array.from(s.timestamps)), before.map((s) => Array.from(s.timestamps)));
  const s7 = after.find((s) => s.labels.some((l) => l.name === 'i' && l.value === '7'))!;
  assert.ok(isStaleNaN(s7.values[4]));
  assert.equal(s7.values[3], 21);
  // Appending continues after replay with the same rules.
  const a = db.appender();
  assert.throws(() => a.append(L({ __name__: 'c', i: '1' }), 1000, 5), AppendError);
  a.append(L({ __name__: 'c', i: '1' }), 100_000, 5);
  await a.commit();
  assert.equal(db.headStats().numSeries, 300);
  await db.close();
});

test('headStats reports cardinality', async () => {
  const db = await TSDB.open({ dir: await tmp() });
  const a = db.appender();
  for (let i = 0; i < 5; i++) a.append(L({ __name__: 'a', i: String(i) }), 10, 1);
  a.append(L({ __name__: 'b' }), 20, 1);
  await a.commit();
  const st = db.headStats(1);
  assert.equal(st.numSeries, 6);
  assert.equal(st.minTime, 10);
  assert.equal(st.maxTime, 20);
  assert.deepEqual(st.seriesCountByMetricName, [{ name: 'a', value: 5 }]);
  assert.deepEqual(st.labelValueCountByLabelName, [{ name: 'i', value: 5 }]);
  await db.close();
});

test('label values cut out of large strings (scrape bodies) do not keep those strings alive', async () => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const db = await TSDB.open({ dir: await tmp() });
  gc();
  const before = process.memoryUsage().heapUsed;
  const a = db.appender();
  for (let i = 0; i < 100; i++) {
    // A distinct 1 MB "body" per series; the label value is a 20-character slice of it.
    const body = String(i).padStart(8, '0') + 'x'.repeat(1 << 20) + i;
    a.append(L({ __name__: 'sliced', v: body.slice(0, 20) }), 1000, i);
  }
  await a.commit();
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 20 << 20, `heap grew by ${(grown / 1048576).toFixed(1)} MB`);
  assert.equal((await db.querier().select([eq('__name__', 'sliced')], 0, 2000)).length, 100);
  await db.close();
});

test('a sample overtaken by a concurrent commit is kept, not dropped after being acknowledged', async () => {
  const dir = await tmp();
  let db = await TSDB.open({ dir, blockRangeMs: 7_200_000 });
  const s = L({ __name__: 'race_total', job: 'a' });
  const seed = db.appender();
  seed.append(s, 1000, 1);
  await seed.commit();
  // Both pass the append checks against the committed state (t=1000); B then commits first.
  const a = db.appender();
  const b = db.appender();
  a.append(s, 2000, 2);
  b.append(s, 3000, 3);
  await b.commit();
  await a.commit();
  const read = async () => Array.from((await db.querier().select([eq('__name__', 'race_total')], 0, 10_000))[0].timestamps);
  assert.deepEqual(await read(), [1000, 2000, 3000]);
  await db.close();
  db = await TSDB.open({ dir, blockRangeMs: 7_200_000 });
  assert.deepEqual(await read(), [1000, 2000, 3000], 'and after WAL replay');
  await db.close();
});
