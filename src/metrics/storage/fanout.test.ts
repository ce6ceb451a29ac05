import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TappedStorage, type CommittedSample } from './fanout.js';
import { MemoryStorage } from '../../../test/remote/memory-storage.js';
import { labelsFromRecord } from '../../model/labels.js';

const a = labelsFromRecord({ __name__: 'a' });

test('delivers exactly the accepted samples, after the inner commit', async () => {
  const inner = new MemoryStorage();
  const tapped = new TappedStorage(inner);
  const got: CommittedSample[][] = [];
  tapped.subscribe((b) => {
    // The inner commit has happened by the time subscribers run.
    assert.equal(inner.sampleCount(), 2);
    got.push(b);
  });
  const app = tapped.appender();
  app.append(a, 10, 1);
  app.append(a, 20, 2);
  assert.throws(() => app.append(a, 5, 3)); // out of order: refused by the inner appender, not recorded
  await app.commit();
  assert.deepEqual(got, [
    [
      { labels: a, t: 10, v: 1 },
      { labels: a, t: 20, v: 2 },
    ],
  ]);
});

test('rolled-back samples are never delivered; the appender is reusable', async () => {
  const tapped = new TappedStorage(new MemoryStorage());
  const got: CommittedSample[][] = [];
  tapped.subscribe((b) => void got.push(b));
  const app = tapped.appender();
  app.append(a, 10, 1);
  app.rollback();
  await app.commit();
  assert.equal(got.length, 0);
  app.append(a, 30, 1);
  await app.commit();
  assert.deepEqual(got, [[{ labels: a, t: 30, v: 1 }]]);
});

test('commit waits for async subscribers; failures are reported, not thrown; unsubscribe works', async () => {
  const errors: unknown[] = [];
  const tapped = new TappedStorage(new MemoryStorage(), { onSubscriberError: (e) => errors.push(e) });
  let finished = false;
  tapped.subscribe(async () => {
    await new Promise((r) => setTimeout(r, 20));
    finished = true;
  });
  const off = tapped.subscribe(() => {
    throw new Error('boom');
  });
  const app = tapped.appender();
  app.append(a, 1, 1);
  await app.commit();
  assert.ok(finished);
  assert.equal(errors.length, 1);
  off();
  const app2 = tapped.appender();
  app2.append(a, 2, 1);
  await app2.commit();
  assert.equal(errors.length, 1);
});

test('a failed inner commit delivers nothing', async () => {
  const inner = new MemoryStorage();
  const innerAppender = inner.appender.bind(inner);
  inner.appender = () => ({ ...innerAppender(), commit: () => Promise.reject(new Error('disk full')) });
  const tapped = new TappedStorage(inner);
  let calls = 0;
  tapped.subscribe(() => void calls++);
  const app = tapped.appender();
  app.append(a, 1, 1);
  await assert.rejects(app.commit(), /disk full/);
  assert.equal(calls, 0);
});
