/**
 * End to end: ScrapeManager writing into the real TSDB, scraping the real node_exporter and scriptable
 * loopback exporters. Time is injected; scrapes are driven with scrapeAllNow().
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startNodeExporter } from '../peers/node-exporter.js';
import { tempDir, type Peer } from '../peers/process.js';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { ScrapeManager } from '../../src/metrics/scrape/manager.js';
import { ManualClock } from '../../src/metrics/scrape/clock.js';
import { SCRAPE_ACCEPT_HEADER } from '../../src/metrics/scrape/http-client.js';
import { getLabel, labelsToRecord } from '../../src/model/labels.js';
import { isStaleNaN } from '../../src/model/value.js';
import type { RelabelConfig } from '../../src/config/types.js';
import { promConfig, scrapeConfig, select, silentLogger, startFakeExporter, type FakeExporter } from './helpers.js';

let nodeExporter: Peer;
before(async () => {
  nodeExporter = await startNodeExporter();
});
after(async () => {
  await nodeExporter?.stop();
});

interface Env {
  db: TSDB;
  mgr: ScrapeManager;
  clock: ManualClock;
  cleanup: () => Promise<void>;
}

async function env(): Promise<Env> {
  const dir = tempDir('scrape-tsdb');
  const db = await TSDB.open({ dir, logger: silentLogger });
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, clock, manualScrapes: true });
  return {
    db,
    mgr,
    clock,
    cleanup: async () => {
      await mgr.stop();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function relabelDrop(regex: string): RelabelConfig {
  return { sourceLabels: ['__name__'], separator: ';', regex, modulus: 0, targetLabel: '', replacement: '$1', action: 'drop' };
}

test('node_exporter scraped into the TSDB; a malformed target is down with a line-numbered error and affects nothing else', async () => {
  const e = await env();
  const bad = await startFakeExporter('ok_metric 1\nbad_metric INVALID\n');
  try {
    const nodeAddr = new URL(nodeExporter.url).host;
    await e.mgr.applyConfig(
      promConfig([
        scrapeConfig({ jobName: 'node', staticConfigs: [{ targets: [nodeAddr], labels: { env: 'test' } }] }),
        scrapeConfig({ jobName: 'broken', staticConfigs: [{ targets: [bad.address], labels: {} }] }),
      ]),
    );
    const before = e.mgr.targets();
    assert.equal(before.activeTargets.length, 2);
    assert.ok(before.activeTargets.every((t) => t.health === 'unknown' && t.lastScrape === '0001-01-01T00:00:00Z'));

    const t1 = e.clock.t;
    await e.mgr.scrapeAllNow();

    const upNode = await select(e.db, { __name__: 'up', job: 'node' });
    assert.equal(upNode.length, 1);
    assert.deepEqual(labelsToRecord(upNode[0].labels), { __name__: 'up', env: 'test', instance: nodeAddr, job: 'node' });
    assert.deepEqual(upNode[0].samples, [{ t: t1, v: 1 }]);

    const cpu = await select(e.db, { __name__: 'node_cpu_seconds_total', job: 'node', instance: nodeAddr });
    assert.ok(cpu.length > 0, 'node_cpu_seconds_total stored');
    assert.ok(cpu.every((s) => getLabel(s.labels, 'mode') !== '' && s.samples[0].t === t1));

    const scraped = await select(e.db, { __name__: 'scrape_samples_scraped', job: 'node' });
    assert.ok(scraped[0].samples[0].v > 100, 'node_exporter exposes hundreds of samples');
    const added = await select(e.db, { __name__: 'scrape_series_added', job: 'node' });
    assert.equal(added[0].samples[0].v, scraped[0].samples[0].v, 'first scrape adds every series');
    const duration = await select(e.db, { __name__: 'scrape_duration_seconds', job: 'node' });
    assert.ok(duration[0].samples[0].v > 0 && duration[0].samples[0].v < 10);

    const upBad = await select(e.db, { __name__: 'up', job: 'broken' });
    assert.deepEqual(upBad[0].samples, [{ t: t1, v: 0 }]);
    assert.equal((await select(e.db, { __name__: 'ok_metric' })).length, 0, 'a failed scrape stores nothing of its body');
    const scrapedBad = await select(e.db, { __name__: 'scrape_samples_scraped', job: 'broken' });
    assert.equal(scrapedBad[0].samples[0].v, 1, 'counts the samples read before the parse error');

    const targets = e.mgr.targets();
    const node = targets.activeTargets.find((t) => t.scrapePool === 'node');
    const broken = targets.activeTargets.find((t) => t.scrapePool === 'broken');
    assert.ok(node && broken);
    assert.equal(node.health, 'up');
    assert.equal(node.lastError, '');
    assert.equal(node.scrapeUrl, `http://${nodeAddr}/metrics`);
    assert.equal(node.scrapeInterval, '15s');
    assert.equal(node.scrapeTimeout, '10s');
    assert.equal(node.lastScrape, new Date(t1).toISOString());
    assert.deepEqual(node.labels, { env: 'test', instance: nodeAddr, job: 'node' });
    assert.deepEqual(node.discoveredLabels, {
      __address__: nodeAddr,
      __metrics_path__: '/metrics',
      __scheme__: 'http',
      __scrape_interval__: '15s',
      __scrape_timeout__: '10s',
      env: 'test',
      job: 'node',
    });
    assert.equal(broken.health, 'down');
    assert.equal(broken.lastError, 'line 2: expected value after metric, got "INVALID"');
    assert.deepEqual(Object.keys(node).sort(), [
      'discoveredLabels',
      'globalUrl',
      'health',
      'labels',
      'lastError',
      'lastScrape',
      'lastScrapeDuration',
      'scrapeInterval',
      'scrapePool',
      'scrapeTimeout',
      'scrapeUrl',
    ]);
    assert.equal(e.mgr.targets('dropped').activeTargets.length, 0);

    const meta = e.mgr.metadata('node_cpu_seconds_total');
    assert.deepEqual(Object.keys(meta), ['node_cpu_seconds_total']);
    assert.equal(meta.node_cpu_seconds_total[0].type, 'counter');
    assert.equal(Object.keys(e.mgr.metadata(undefined, 5)).length, 5);
    const tm = e.mgr.targetMetadata((l) => getLabel(l, 'job') === 'node', 'node_load1');
    assert.deepEqual(tm, [{ target: { env: 'test', instance: nodeAddr, job: 'node' }, type: 'gauge', help: tm[0]?.help, unit: '' }]);

    // The next scrape continues the same series.
    e.clock.t += 15_000;
    await e.mgr.scrapeAllNow();
    const up2 = await select(e.db, { __name__: 'up', job: 'node' });
    assert.deepEqual(up2[0].samples.map((s) => s.v), [1, 1]);
    const added2 = await select(e.db, { __name__: 'scrape_series_added', job: 'node' });
    assert.ok(added2[0].samples[1].v < 5, 'a steady target adds (almost) no series on its second scrape');
  } finally {
    await bad.close();
    await e.cleanup();
  }
});

test('staleness: vanished series, failed scrape, unchanged reload keeps the loop, removed target', async () => {
  const e = await env();
  const exp = await startFakeExporter('a_metric 1\nb_metric{x="1"} 2\n');
  try {
    const cfg = promConfig([scrapeConfig({ jobName: 'j', staticConfigs: [{ targets: [exp.address], labels: {} }] })]);
    await e.mgr.applyConfig(cfg);
    const t1 = e.clock.t;
    await e.mgr.scrapeAllNow();

    exp.body = 'a_metric 1\n';
    const t2 = (e.clock.t += 15_000);
    await e.mgr.scrapeAllNow();
    const b = await select(e.db, { __name__: 'b_metric' });
    assert.equal(b[0].samples.length, 2);
    assert.deepEqual(b[0].samples[0], { t: t1, v: 2 });
    assert.equal(b[0].samples[1].t, t2);
    assert.ok(isStaleNaN(b[0].samples[1].v), 'series gone from the scrape gets a stale marker at scrape time');

    // Reloading the identical config keeps the running loop: no stale markers, state kept.
    await e.mgr.applyConfig(cfg);
    assert.equal(e.mgr.targets().activeTargets[0].lastScrape, new Date(t2).toISOString());
    const t3 = (e.clock.t += 15_000);
    await e.mgr.scrapeAllNow();
    const a = await select(e.db, { __name__: 'a_metric' });
    assert.deepEqual(a[0].samples, [
      { t: t1, v: 1 },
      { t: t2, v: 1 },
      { t: t3, v: 1 },
    ]);

    // A changed scrape config (new interval) restarts the loop but inherits its state: no spurious stale markers.
    await e.mgr.applyConfig(
      promConfig([scrapeConfig({ jobName: 'j', scrapeInterval: 30_000, staticConfigs: [{ targets: [exp.address], labels: {} }] })]),
    );
    assert.equal(e.mgr.targets().activeTargets[0].scrapeInterval, '30s');
    const t4 = (e.clock.t += 15_000);
    await e.mgr.scrapeAllNow();
    const a4 = await select(e.db, { __name__: 'a_metric' });
    assert.deepEqual(a4[0].samples.at(-1), { t: t4, v: 1 });
    assert.ok(!a4[0].samples.some((s) => isStaleNaN(s.v)));

    // A failed scrape is an empty scrape: everything from the last one goes stale.
    exp.status = 500;
    const t5 = (e.clock.t += 15_000);
    await e.mgr.scrapeAllNow();
    const a5 = await select(e.db, { __name__: 'a_metric' });
    assert.equal(a5[0].samples.at(-1)?.t, t5);
    assert.ok(isStaleNaN(a5[0].samples.at(-1)!.v));
    const target = e.mgr.targets().activeTargets[0];
    assert.equal(target.health, 'down');
    assert.equal(target.lastError, 'server returned HTTP status 500 Internal Server Error');

    // Recover, then remove the target. Like Prometheus's endOfRunStaleness, its series and report series
    // get stale markers stamped when the next scrape would have been (last scrape + the 30s interval), and
    // written only one interval + 10 % after that.
    exp.status = 200;
    const t6 = (e.clock.t += 15_000);
    await e.mgr.scrapeAllNow();
    e.clock.t += 15_000;
    await e.mgr.applyConfig(promConfig([]));
    assert.equal(e.mgr.targets().activeTargets.length, 0);
    const staleTime = t6 + 30_000;
    assert.deepEqual([...e.mgr.pendingStaleness().values()], [staleTime]);
    const lastIsStale = async (name: string) => isStaleNaN((await select(e.db, { __name__: name }))[0].samples.at(-1)!.v);
    e.clock.advance(staleTime + 33_000 - e.clock.t - 1);
    await e.mgr.staleMarkersSettled();
    assert.equal(await lastIsStale('a_metric'), false, 'no marker before 1.1 intervals after the stale time');
    e.clock.advance(1);
    await e.mgr.staleMarkersSettled();
    for (const name of ['a_metric', 'up', 'scrape_samples_scraped']) {
      const s = await select(e.db, { __name__: name });
      assert.equal(s[0].samples.at(-1)?.t, staleTime, name);
      assert.ok(isStaleNaN(s[0].samples.at(-1)!.v), `${name} marked stale when its target went away`);
    }
    assert.equal(e.mgr.pendingStaleness().size, 0);
  } finally {
    await exp.close();
    await e.cleanup();
  }
});

test('metric_relabel drop, honor_labels both ways, sample_limit, honor_timestamps, request headers, gzip, auth, params', async () => {
  const e = await env();
  const exp = await startFakeExporter('keep_me{job="scraped",instance="x"} 1\ndrop_me 2\n');
  const om = await startFakeExporter(
    '# TYPE ev counter\nev_total{a="1"} 5 1600000000.5 # {trace_id="t1"} 1\nev_total{a="2"} 6\n# EOF\n',
  );
  om.contentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
  om.gzip = true;
  try {
    await e.mgr.applyConfig(
      promConfig([
        scrapeConfig({
          jobName: 'relabel',
          staticConfigs: [{ targets: [exp.address], labels: {} }],
          metricRelabelConfigs: [relabelDrop('drop_.*')],
        }),
        scrapeConfig({ jobName: 'honor', honorLabels: true, staticConfigs: [{ targets: [exp.address], labels: {} }] }),
        scrapeConfig({ jobName: 'limited', sampleLimit: 1, staticConfigs: [{ targets: [exp.address], labels: {} }] }),
        scrapeConfig({
          jobName: 'om',
          basicAuth: { username: 'user', password: 'pass' },
          params: { module: ['m1'] },
          staticConfigs: [{ targets: [om.address], labels: {} }],
        }),
      ]),
    );
    const t1 = e.clock.t;
    await e.mgr.scrapeAllNow();

    const keep = await select(e.db, { __name__: 'keep_me' });
    const byJob = new Map(keep.map((s) => [getLabel(s.labels, 'job'), labelsToRecord(s.labels)]));
    assert.deepEqual(byJob.get('relabel'), {
      __name__: 'keep_me',
      exported_instance: 'x',
      exported_job: 'scraped',
      instance: exp.address,
      job: 'relabel',
    });
    assert.deepEqual(byJob.get('scraped'), { __name__: 'keep_me', instance: 'x', job: 'scraped' }, 'honor_labels keeps scraped values');
    assert.equal(keep.length, 2, 'the sample-limited job stored none');
    const drop = await select(e.db, { __name__: 'drop_me' });
    assert.deepEqual(drop.map((s) => getLabel(s.labels, 'job')), ['honor'], 'dropped by metric_relabel in job relabel only');
    const post = await select(e.db, { __name__: 'scrape_samples_post_metric_relabeling', job: 'relabel' });
    assert.equal(post[0].samples[0].v, 1);
    const scraped = await select(e.db, { __name__: 'scrape_samples_scraped', job: 'relabel' });
    assert.equal(scraped[0].samples[0].v, 2);

    const limited = e.mgr.targets().activeTargets.find((t) => t.scrapePool === 'limited');
    assert.equal(limited?.health, 'down');
    assert.equal(limited?.lastError, 'sample limit exceeded');
    const upLimited = await select(e.db, { __name__: 'up', job: 'limited' });
    assert.equal(upLimited[0].samples[0].v, 0);
    const scrapedLimited = await select(e.db, { __name__: 'scrape_samples_scraped', job: 'limited' });
    assert.equal(scrapedLimited[0].samples[0].v, 2, 'the whole body is still counted');

    // OpenMetrics target: explicit timestamp honoured (seconds → ms), gzip body, credentials and params sent.
    const ev = await select(e.db, { __name__: 'ev_total', job: 'om' });
    assert.equal(ev.length, 2);
    assert.deepEqual(ev[0].samples, [{ t: 1600000000500, v: 5 }]);
    assert.deepEqual(ev[1].samples, [{ t: t1, v: 6 }]);
    const req = om.requests[0];
    assert.equal(req.accept, SCRAPE_ACCEPT_HEADER);
    assert.equal(req['accept-encoding'], 'gzip');
    assert.equal(req['x-prometheus-scrape-timeout-seconds'], '10');
    assert.equal(req.authorization, 'Basic ' + Buffer.from('user:pass').toString('base64'));
    assert.equal(om.urls[0], '/metrics?module=m1');
    assert.equal(e.mgr.metadata('ev').ev[0].type, 'counter');
  } finally {
    await exp.close();
    await om.close();
    await e.cleanup();
  }
});

test('relabel_configs drop targets (reported with discovered labels) and rewrite the address', async () => {
  const e = await env();
  const exp: FakeExporter = await startFakeExporter('m 1\n');
  try {
    const [host, port] = exp.address.split(':');
    await e.mgr.applyConfig(
      promConfig([
        scrapeConfig({
          jobName: 'rl',
          staticConfigs: [{ targets: [`${host}:1`, 'drop.example:9100'], labels: { team: 'a' } }],
          relabelConfigs: [
            { sourceLabels: ['__address__'], separator: ';', regex: 'drop\\..*', modulus: 0, targetLabel: '', replacement: '$1', action: 'drop' },
            { sourceLabels: ['__address__'], separator: ';', regex: '([^:]+):1', modulus: 0, targetLabel: '__address__', replacement: `$1:${port}`, action: 'replace' },
            { sourceLabels: [], separator: ';', regex: '(.*)', modulus: 0, targetLabel: '__param_target', replacement: 'x', action: 'replace' },
          ],
        }),
      ]),
    );
    await e.mgr.scrapeAllNow();
    const { activeTargets, droppedTargets } = e.mgr.targets();
    assert.equal(activeTargets.length, 1);
    assert.equal(activeTargets[0].health, 'up');
    assert.equal(activeTargets[0].labels.instance, exp.address);
    assert.equal(activeTargets[0].scrapeUrl, `http://${exp.address}/metrics?target=x`);
    assert.equal(exp.urls[0], '/metrics?target=x');
    assert.equal(droppedTargets.length, 1);
    assert.equal(droppedTargets[0].discoveredLabels.__address__, 'drop.example:9100');
    assert.equal(droppedTargets[0].discoveredLabels.team, 'a');
    assert.equal(droppedTargets[0].discoveredLabels.job, 'rl');
    assert.equal(e.mgr.targets('active').droppedTargets.length, 0);
  } finally {
    await exp.close();
    await e.cleanup();
  }
});

test('target set changes keep the loops of unchanged targets and end removed ones', async () => {
  const e = await env();
  const a = await startFakeExporter('from_a 1\n');
  const b = await startFakeExporter('from_b 1\n');
  const cfgWith = (...targets: string[]) =>
    promConfig([scrapeConfig({ jobName: 'j', staticConfigs: [{ targets, labels: {} }] })]);
  try {
    await e.mgr.applyConfig(cfgWith(a.address));
    const t1 = e.clock.t;
    await e.mgr.scrapeAllNow();

    e.clock.t += 15_000;
    await e.mgr.applyConfig(cfgWith(a.address, b.address));
    const byAddr = () => Object.fromEntries(e.mgr.targets().activeTargets.map((t) => [t.labels.instance, t]));
    assert.equal(byAddr()[a.address].lastScrape, new Date(t1).toISOString(), 'A kept its loop and state');
    assert.equal(byAddr()[a.address].health, 'up');
    assert.equal(byAddr()[b.address].health, 'unknown');
    await e.mgr.scrapeAllNow();
    assert.equal(a.requests.length, 2);

    const t2 = e.clock.t;
    e.clock.t += 5_000;
    await e.mgr.applyConfig(cfgWith(b.address));
    assert.deepEqual(Object.keys(byAddr()), [b.address]);
    e.clock.advance(10_000 + 16_500);
    await e.mgr.staleMarkersSettled();
    const fromA = await select(e.db, { __name__: 'from_a' });
    assert.equal(fromA[0].samples.at(-1)?.t, t2 + 15_000, 'stale at the time the next scrape was due');
    assert.ok(isStaleNaN(fromA[0].samples.at(-1)!.v));
    const fromB = await select(e.db, { __name__: 'from_b' });
    assert.ok(!fromB[0].samples.some((s) => isStaleNaN(s.v)), 'B untouched');
  } finally {
    await a.close();
    await b.close();
    await e.cleanup();
  }
});
