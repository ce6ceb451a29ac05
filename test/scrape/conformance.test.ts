/**
 * The same prometheus.yml given to real Prometheus 2.42 and to Sextant's ScrapeManager, scraping the same
 * exporter: /api/v1/targets, the stored series label sets (honor_labels, exported_ conflicts,
 * metric_relabel_configs, report series) and /api/v1/metadata must agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startPrometheus } from '../peers/prometheus.js';
import { tempDir } from '../peers/process.js';
import { parseConfig } from '../../src/config/parse.js';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { ScrapeManager, type ActiveTarget } from '../../src/metrics/scrape/manager.js';
import { formatLabels } from '../../src/model/labels.js';
import { silentLogger, startFakeExporter } from './helpers.js';

const EXPOSITION = `# HELP req_total Requests.
# TYPE req_total counter
req_total{job="inner",instance="pod-1",code="200"} 10
req_total{job="inner",instance="pod-1",code="500"} 1
# HELP temp_celsius Temperature.
# TYPE temp_celsius gauge
temp_celsius{exported_job="taken",job="x"} 21.5
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1"} 1
lat_seconds_bucket{le="+Inf"} 2
lat_seconds_sum 0.3
lat_seconds_count 2
# TYPE debug_noise untyped
debug_noise 1
plain_untyped{a=""} 3
`;

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function comparable(t: ActiveTarget) {
  const { lastScrape: _a, lastScrapeDuration: _b, health: _c, lastError: _d, ...rest } = t;
  return rest;
}

test('targets, series and metadata agree with Prometheus 2.42 for the same config', async () => {
  const exp = await startFakeExporter(EXPOSITION);
  // OpenMetrics with _created, an exemplar, UNIT, info and stateset, and an explicit (recent) timestamp.
  const tsSeconds = (Math.floor(Date.now() / 1000) - 10).toFixed(3);
  const om = await startFakeExporter(`# TYPE jobs counter
# UNIT jobs_seconds seconds
# HELP jobs Jobs done.
jobs_total{q="a"} 3 # {trace_id="abc"} 1.0
jobs_created{q="a"} 1600000000.5
# TYPE build info
build_info{version="1"} 1
# TYPE st stateset
st{st="on"} 1
st{st="off"} 0
# TYPE stamped gauge
stamped 5 ${tsSeconds}
# EOF
`);
  om.contentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
  const yaml = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: plain
    params: {module: [m1, m2]}
    static_configs:
      - targets: ['${exp.address}', 'drop.example:9']
        labels: {team: a}
    relabel_configs:
      - source_labels: [__address__]
        regex: drop\\..*
        action: drop
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: debug_.*
        action: drop
  - job_name: honor
    honor_labels: true
    static_configs:
      - targets: ['${exp.address}']
  - job_name: om
    static_configs:
      - targets: ['${om.address}']
`;
  const prom = await startPrometheus(yaml);
  const dir = tempDir('scrape-conformance');
  const db = await TSDB.open({ dir, logger: silentLogger });
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, manualScrapes: true });
  try {
    await mgr.applyConfig(parseConfig(yaml));
    await mgr.scrapeAllNow();

    // Prometheus: wait until both jobs have been scraped at least once.
    const promTargets = await waitFor(async () => {
      const r = (await (await fetch(prom.url + '/api/v1/targets')).json()) as {
        data: { activeTargets: ActiveTarget[]; droppedTargets: { discoveredLabels: Record<string, string> }[] };
      };
      const a = r.data.activeTargets;
      return a.length === 3 && a.every((t) => t.health === 'up') ? r.data : undefined;
    }, 30_000, 'Prometheus to scrape all jobs');

    const mine = mgr.targets();
    const sortT = (ts: ActiveTarget[]) => [...ts].sort((x, y) => x.scrapePool.localeCompare(y.scrapePool)).map(comparable);
    assert.deepEqual(sortT(mine.activeTargets), sortT(promTargets.activeTargets));
    assert.deepEqual(mine.droppedTargets, promTargets.droppedTargets);
    assert.ok(mine.activeTargets.every((t) => t.health === 'up'));

    // Stored series: same label sets (Prometheus through /api/v1/series, ours through the Querier).
    const now = Date.now();
    const promSeries = (await (
      await fetch(`${prom.url}/api/v1/series?match[]=${encodeURIComponent('{job=~"plain|honor|inner|om"}')}`)
    ).json()) as { data: Record<string, string>[] };
    const promSet = promSeries.data
      .map((r) => formatLabels(Object.entries(r).map(([name, value]) => ({ name, value })).sort((a, b) => (a.name < b.name ? -1 : 1))))
      .sort();
    const ours = await db.querier().series([{ type: '=~', name: 'job', value: 'plain|honor|inner|om' }], now - 3_600_000, now + 60_000);
    const ourSet = ours.map(formatLabels).sort();
    assert.deepEqual(ourSet, promSet);
    assert.ok(ourSet.includes('req_total{code="200", exported_instance="pod-1", exported_job="inner", instance="' + exp.address + '", job="plain", team="a"}'));
    assert.ok(ourSet.includes(`jobs_created{instance="${om.address}", job="om", q="a"}`), '_created kept as a series, as 2.42 does');
    assert.ok(ourSet.includes('temp_celsius{exported_exported_job="x", exported_job="taken", instance="' + exp.address + '", job="plain", team="a"}'));

    // Metadata from # TYPE / # HELP.
    const promMeta = (await (await fetch(prom.url + '/api/v1/metadata')).json()) as { data: Record<string, unknown[]> };
    const ourMeta = mgr.metadata();
    const relevant = (m: Record<string, unknown[]>) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => ['req_total', 'temp_celsius', 'lat_seconds', 'debug_noise', 'jobs', 'jobs_seconds', 'build', 'st', 'stamped'].includes(k)).sort());
    assert.deepEqual(relevant(ourMeta), relevant(promMeta.data));
    assert.equal(Object.keys(relevant(ourMeta)).length, 9);

    // The explicitly timestamped OpenMetrics sample is stored at its own time (seconds → ms) by both.
    const q = await (await fetch(`${prom.url}/api/v1/query?query=timestamp(stamped)`)).json() as { data: { result: { value: [number, string] }[] } };
    const promTs = Number(q.data.result[0].value[1]) * 1000;
    const ourStamped = await db.querier().select([{ type: '=', name: '__name__', value: 'stamped' }], 0, now + 60_000);
    assert.equal(ourStamped[0].timestamps[0], promTs);
    assert.equal(promTs, Number(tsSeconds) * 1000);
  } finally {
    await mgr.stop();
    await db.close();
    await prom.stop();
    await exp.close();
    await om.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
