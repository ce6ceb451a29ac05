/**
 * End-of-run staleness with a manual clock: when the markers are stamped and written, and when they are not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../../test/remote/memory-storage.js';
import { promConfig, scrapeConfig, select, silentLogger, startFakeExporter } from '../../../test/scrape/helpers.js';
import { isStaleNaN } from '../../model/value.js';
import { ManualClock } from './clock.js';
import { ScrapeManager } from './manager.js';
import { populateTarget, scrapeOffsetMs } from './target.js';

const T0 = 1_700_000_000_000;

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function staleCount(series: { samples: { v: number }[] }[]): number {
  return series.reduce((n, s) => n + s.samples.filter((x) => isStaleNaN(x.v)).length, 0);
}

test('a target removed and re-added before the markers are due keeps its series and its staleness tracking', async () => {
  const db = new MemoryStorage();
  const clock = new ManualClock(T0);
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, clock, manualScrapes: true });
  const exp = await startFakeExporter('a 1\nb 2\n');
  const withTarget = promConfig([scrapeConfig({ jobName: 'j', staticConfigs: [{ targets: [exp.address], labels: {} }] })]);
  const without = promConfig([scrapeConfig({ jobName: 'j', staticConfigs: [] })]);
  try {
    await mgr.applyConfig(withTarget);
    await mgr.scrapeAllNow();
    clock.advance(5_000);
    await mgr.applyConfig(without);
    assert.deepEqual([...mgr.pendingStaleness().values()], [T0 + 15_000]);
    clock.advance(20_000); // due at T0 + 31.5s: not yet
    await mgr.applyConfig(withTarget);
    assert.equal(mgr.pendingStaleness().size, 0, 'the returning target claimed the stopped loop');
    assert.equal(mgr.targets().activeTargets[0].lastScrape, new Date(T0).toISOString(), 'state carried over');
    clock.advance(60_000);
    await mgr.staleMarkersSettled();
    assert.equal(staleCount(await select(db, { job: 'j' })), 0, 'no stale markers for a target that came back');

    // The carried-over state still marks what vanished while the target was away.
    exp.body = 'a 1\n';
    await mgr.scrapeAllNow();
    const b = await select(db, { __name__: 'b' });
    assert.deepEqual(b[0].samples.at(-1)?.t, clock.t);
    assert.ok(isStaleNaN(b[0].samples.at(-1)!.v));
  } finally {
    await mgr.stop();
    await exp.close();
  }
});

test('timer-driven loop: the stale time is the next tick of its grid; never-scraped targets and shutdown write nothing', async () => {
  const db = new MemoryStorage();
  const clock = new ManualClock(T0);
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, clock });
  const exp = await startFakeExporter('a 1\n');
  const never = await startFakeExporter('n 1\n');
  try {
    const jobJ = scrapeConfig({ jobName: 'j', scrapeInterval: 10_000, scrapeTimeout: 5_000, staticConfigs: [{ targets: [exp.address], labels: {} }] });
    const spec = populateTarget({ __address__: exp.address }, jobJ);
    assert.equal(spec.kind, 'active');
    const firstTick = T0 + scrapeOffsetMs(spec.kind === 'active' ? spec.target : assert.fail(), T0);
    await mgr.applyConfig(
      promConfig([
        jobJ,
        scrapeConfig({ jobName: 'never', scrapeInterval: 10_000, scrapeTimeout: 5_000, staticConfigs: [{ targets: [never.address], labels: {} }] }),
      ]),
    );
    while (exp.requests.length === 0) {
      clock.advance(250);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => mgr.targets().activeTargets.find((t) => t.scrapePool === 'j')?.health === 'up', 'first scrape');
    assert.equal(exp.requests.length, 1);
    const next = firstTick + 10_000;
    // Remove both jobs' targets before the next tick; `never` has not scraped yet if its phase is later.
    const neverScraped = never.requests.length === 0;
    clock.advance(3_000);
    await mgr.applyConfig(promConfig([]));
    const pending = [...mgr.pendingStaleness().values()];
    assert.ok(pending.includes(next), `stale time is the next tick ${next}: ${pending}`);
    if (neverScraped) assert.equal(pending.length, 1, 'a target that never scraped gets no end-of-run markers');
    clock.advance(next + 11_000 - clock.t - 1);
    await mgr.staleMarkersSettled();
    assert.equal(staleCount(await select(db, { job: 'j' })), 0);
    clock.advance(1);
    await mgr.staleMarkersSettled();
    const a = await select(db, { __name__: 'a' });
    assert.equal(a[0].samples.at(-1)?.t, next);
    assert.ok(isStaleNaN(a[0].samples.at(-1)!.v));

    // Shutdown drops pending markers: a restarted server continues the series.
    await mgr.applyConfig(
      promConfig([scrapeConfig({ jobName: 'k', scrapeInterval: 10_000, scrapeTimeout: 5_000, staticConfigs: [{ targets: [exp.address], labels: {} }] })]),
    );
    while (exp.requests.length === 1) {
      clock.advance(250);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => mgr.targets().activeTargets[0]?.health === 'up', 'job k scrape');
    await mgr.applyConfig(promConfig([]));
    assert.equal(mgr.pendingStaleness().size, 1);
    await mgr.stop();
    assert.equal(mgr.pendingStaleness().size, 0);
    clock.advance(60_000);
    assert.equal(clock.pending(), 0, 'no timers left behind');
    assert.equal(staleCount(await select(db, { job: 'k' })), 0);
  } finally {
    await mgr.stop();
    await exp.close();
    await never.close();
  }
});

test('a target moved to another job with the same labels is not marked stale', async () => {
  const db = new MemoryStorage();
  const clock = new ManualClock(T0);
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, clock, manualScrapes: true });
  const exp = await startFakeExporter('a 1\n');
  const sameJob = [{ sourceLabels: [], separator: ';', regex: '(.*)', modulus: 0, targetLabel: 'job', replacement: 'same', action: 'replace' as const }];
  const inJob = (name: string) =>
    promConfig([
      scrapeConfig({ jobName: 'a', relabelConfigs: sameJob, staticConfigs: name === 'a' ? [{ targets: [exp.address], labels: {} }] : [] }),
      scrapeConfig({ jobName: 'b', relabelConfigs: sameJob, staticConfigs: name === 'b' ? [{ targets: [exp.address], labels: {} }] : [] }),
    ]);
  try {
    await mgr.applyConfig(inJob('a'));
    await mgr.scrapeAllNow();
    clock.advance(5_000);
    await mgr.applyConfig(inJob('b'));
    assert.deepEqual(mgr.targets().activeTargets.map((t) => [t.scrapePool, t.labels.job]), [['b', 'same']]);
    clock.advance(15_000); // the new job scrapes after the old loop's stale time (T0 + 15s) ...
    await mgr.scrapeAllNow();
    clock.advance(60_000); // ... and before its markers are due (T0 + 31.5s)
    await mgr.staleMarkersSettled();
    const series = await select(db, { job: 'same' });
    assert.ok(series.length >= 2);
    assert.equal(staleCount(series), 0, 'markers skipped or refused as out of order');
  } finally {
    await mgr.stop();
    await exp.close();
  }
});
