/**
 * End-of-run staleness on real timers and real file_sd: a reload or a file rewrite that keeps a target
 * leaves no stale gap in its series; a file_sd change that removes one ends its series at the time its
 * next scrape was due, written about 1.1 intervals after that (Prometheus 2.42's endOfRunStaleness).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../peers/process.js';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { ScrapeManager } from '../../src/metrics/scrape/manager.js';
import { isStaleNaN } from '../../src/model/value.js';
import { promConfig, scrapeConfig, select, silentLogger, startFakeExporter, type StoredSeries } from './helpers.js';

const INTERVAL = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function maxGap(s: StoredSeries): number {
  let gap = 0;
  for (let i = 1; i < s.samples.length; i++) gap = Math.max(gap, s.samples[i].t - s.samples[i - 1].t);
  return gap;
}

test('reloads and file_sd rewrites that keep a target leave no stale gap; a removed target goes stale on time', async () => {
  const dir = tempDir('scrape-eor');
  const db = await TSDB.open({ dir: join(dir, 'data'), logger: silentLogger });
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger });
  const keep = await startFakeExporter('kept 1\n');
  const gone = await startFakeExporter('leaving 1\n');
  try {
    mkdirSync(join(dir, 'sd'));
    const file = join(dir, 'sd', 'targets.json');
    const write = (...targets: string[]) => writeFileSync(file, JSON.stringify([{ targets, labels: {} }]));
    write(keep.address, gone.address);
    const cfg = (timeout: number) => {
      const c = promConfig([
        scrapeConfig({ jobName: 'fsd', scrapeInterval: INTERVAL, scrapeTimeout: timeout, fileSdConfigs: [{ files: ['sd/*.json'], refreshInterval: 300_000 }] }),
      ]);
      c.sourceFile = join(dir, 'prometheus.yml');
      return c;
    };
    await mgr.applyConfig(cfg(500));
    await waitFor(() => keep.requests.length >= 2 && gone.requests.length >= 2, 5000, 'two scrapes of each target');

    // Reload: same config, then a changed timeout (new loops that inherit), then the file rewritten to drop and
    // re-add the kept target before its markers are due.
    await mgr.applyConfig(cfg(500));
    await mgr.applyConfig(cfg(600));
    write(gone.address);
    await waitFor(() => mgr.targets().activeTargets.length === 1, 5000, 'kept target dropped from the file');
    await sleep(150);
    write(keep.address, gone.address);
    await waitFor(() => mgr.targets().activeTargets.length === 2, 5000, 'kept target back in the file');

    // Now remove the other target for good and time its end.
    const before = gone.requests.length;
    write(keep.address);
    await waitFor(() => mgr.targets().activeTargets.length === 1, 5000, 'removed target dropped');
    const removedAt = Date.now();
    assert.ok(gone.requests.length - before <= 1);
    const leavingNow = async () => (await select(db, { __name__: 'leaving' }))[0];
    const lastSample = (await leavingNow()).samples.at(-1)!;
    assert.ok(!isStaleNaN(lastSample.v), 'not marked stale at once');
    const staleTime = [...mgr.pendingStaleness().values()][0];
    assert.ok(staleTime > removedAt - 50 && staleTime <= lastSample.t + INTERVAL + 50, `stale time ${staleTime - lastSample.t}ms after the last scrape`);

    let seenAt = 0;
    await waitFor(
      async () => {
        const s = (await leavingNow()).samples.at(-1)!;
        if (isStaleNaN(s.v)) seenAt = Date.now();
        return seenAt > 0;
      },
      5000,
      'end-of-run stale markers',
    );
    const leaving = await leavingNow();
    assert.equal(leaving.samples.at(-1)!.t, staleTime, 'stamped when the next scrape was due');
    // Written about 1.1 intervals after the stale time (timer slack and the 10 ms poll allow some lateness).
    assert.ok(seenAt >= staleTime + 1.1 * INTERVAL - 20, `written ${seenAt - staleTime}ms after the stale time`);
    assert.ok(seenAt <= staleTime + 1.1 * INTERVAL + 500, `written ${seenAt - staleTime}ms after the stale time`);
    const upGone = await select(db, { __name__: 'up', instance: gone.address });
    assert.ok(isStaleNaN(upGone[0].samples.at(-1)!.v), 'report series end too');

    await sleep(INTERVAL);
    const kept = (await select(db, { __name__: 'kept' }))[0];
    assert.equal(kept.samples.filter((s) => isStaleNaN(s.v)).length, 0, 'kept target never marked stale');
    assert.ok(maxGap(kept) <= 1.6 * INTERVAL, `largest gap in the kept series ${maxGap(kept)}ms`);
    const upKept = await select(db, { __name__: 'up', instance: keep.address });
    assert.equal(upKept[0].samples.filter((s) => isStaleNaN(s.v)).length, 0);
  } finally {
    await mgr.stop();
    await keep.close();
    await gone.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
