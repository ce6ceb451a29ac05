/**
 * The receiver's label cache on a real TSDB: series sent again skip decoding and validation, and what the
 * cache holds is the head's own label array (no second copy of every label set).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSDB } from '../tsdb/db.js';
import { labelsFromRecord } from '../../model/labels.js';
import { appendWriteRequest, ReceiverLabelCache } from './receive.js';
import { decodeWriteRequest, encodeWriteRequest, type EncodeSeries } from './codec.js';

const nameIs = (value: string) => [{ type: '=' as const, name: '__name__', value }];

async function withDb(fn: (db: TSDB) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sextant-receive-'));
  const db = await TSDB.open({ dir });
  try {
    await fn(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('label cache: the second request reuses the head label arrays and stores the same data', async () => {
  await withDb(async (db) => {
    const cache = new ReceiverLabelCache((l) => db.canonicalLabels(l));
    const series = (t: number): EncodeSeries[] => [
      { labels: labelsFromRecord({ __name__: 'up', instance: 'a:9100', job: 'node' }), samples: [{ t, v: 1 }] },
      { labels: labelsFromRecord({ __name__: 'up', instance: 'b:9100', job: 'node' }), samples: [{ t, v: 0 }] },
    ];
    const first = decodeWriteRequest(encodeWriteRequest(series(1000)), cache.decoded).series;
    assert.equal((await appendWriteRequest(db, first, cache)).appended, 2);
    const second = decodeWriteRequest(encodeWriteRequest(series(2000)), cache.decoded).series;
    for (const s of second) {
      assert.equal(s.cachedLabels, true);
      assert.equal(s.labels, db.canonicalLabels(s.labels), 'the cached array is the head series’ own');
    }
    assert.equal((await appendWriteRequest(db, second, cache)).appended, 2);
    const got = await db.querier().select(nameIs('up'), 0, 3000);
    assert.deepEqual(
      got.map((s) => [s.labels.find((l) => l.name === 'instance')?.value, Array.from(s.timestamps), Array.from(s.values)]),
      [
        ['a:9100', [1000, 2000], [1, 1]],
        ['b:9100', [1000, 2000], [0, 0]],
      ],
    );
  });
});

test('label cache: unsorted, invalid or empty-valued label sets are checked every time, never cached', async () => {
  await withDb(async (db) => {
    const cache = new ReceiverLabelCache((l) => db.canonicalLabels(l));
    const unsorted = [
      { name: 'job', value: 'x' },
      { name: '__name__', value: 'm' },
    ];
    const empty = [...labelsFromRecord({ __name__: 'm', job: 'y' }), { name: 'zone', value: '' }];
    const invalid = labelsFromRecord({ __name__: 'm', 'bad-name': 'z' });
    for (let round = 1; round <= 2; round++) {
      const body = encodeWriteRequest([
        { labels: unsorted, samples: [{ t: round, v: round }] },
        { labels: empty, samples: [{ t: round, v: round }] },
        { labels: invalid, samples: [{ t: round, v: round }] },
      ]);
      const decoded = decodeWriteRequest(body, cache.decoded).series;
      for (const s of decoded) assert.equal(s.cachedLabels, undefined);
      const res = await appendWriteRequest(db, decoded, cache);
      assert.equal(res.appended, 2);
      assert.equal(res.rejected.get('invalid_labels'), 1);
    }
    assert.equal(cache.decoded.size, 0);
    const got = await db.querier().select(nameIs('m'), 0, 10);
    assert.deepEqual(
      got.map((s) => [s.labels.map((l) => `${l.name}=${l.value}`).join(','), Array.from(s.timestamps)]),
      [
        ['__name__=m,job=x', [1, 2]],
        ['__name__=m,job=y', [1, 2]],
      ],
    );
  });
});
