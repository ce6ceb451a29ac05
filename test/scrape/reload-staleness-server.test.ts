/**
 * The whole server: POST /-/reload with a config that keeps a target leaves its series without a stale
 * marker or gap; a file_sd rewrite that drops a target ends its series with an end-of-run stale marker
 * one interval after its last scrape; a job with kubernetes_sd_configs is named in a warning at load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { isStaleNaN } from '../../src/model/value.js';
import { tempDir } from '../peers/process.js';
import { startTestSextant } from '../support/sextant.js';
import { select, startFakeExporter } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('server reloads keep targets without stale gaps; a file_sd removal ends the series on time; unsupported SD is logged', async () => {
  const dir = tempDir('reload-staleness');
  mkdirSync(join(dir, 'sd'));
  const keep = await startFakeExporter('kept 1\n');
  const gone = await startFakeExporter('leaving 1\n');
  const warnings: { msg: string; job?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n')) if (l) warnings.push(JSON.parse(l) as { msg: string; job?: string });
      cb();
    },
  });
  const configFile = join(dir, 'prometheus.yml');
  const config = (timeout: string) => `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: app
    scrape_timeout: ${timeout}
    static_configs:
      - targets: ['${keep.address}']
    file_sd_configs:
      - files: ['sd/*.json']
  - job_name: k8s
    kubernetes_sd_configs:
      - role: pod
`;
  writeFileSync(configFile, config('500ms'));
  writeFileSync(join(dir, 'sd', 't.json'), JSON.stringify([{ targets: [gone.address] }]));
  const sx = await startTestSextant({ configFile, logger: pino({ level: 'warn' }, sink) });
  try {
    const deadline = Date.now() + 10_000;
    while (keep.requests.length < 2 || gone.requests.length < 2) {
      if (Date.now() > deadline) assert.fail('targets not scraped');
      await sleep(20);
    }
    assert.ok(
      warnings.some((w) => w.job === 'k8s' && w.msg === 'scrape job "k8s": kubernetes_sd_configs is not supported by Sextant; the job gets no targets from it'),
      JSON.stringify(warnings),
    );

    const reload = async () => assert.equal((await fetch(sx.url + '/-/reload', { method: 'POST' })).status, 200);
    await reload();
    writeFileSync(configFile, config('600ms'));
    await reload();
    assert.equal(sx.scrape.targets().activeTargets.find((t) => t.labels.instance === keep.address)?.scrapeTimeout, '600ms');

    writeFileSync(join(dir, 'sd', 't.json'), '[]');
    const until = Date.now() + 10_000;
    let leaving = (await select(sx.storage, { __name__: 'leaving' }))[0];
    while (!isStaleNaN(leaving.samples.at(-1)!.v)) {
      if (Date.now() > until) assert.fail('no end-of-run stale marker');
      await sleep(50);
      leaving = (await select(sx.storage, { __name__: 'leaving' }))[0];
    }
    const [last, marker] = leaving.samples.slice(-2);
    assert.ok(Math.abs(marker.t - last.t - 1000) <= 50, `marker ${marker.t - last.t}ms after the last scrape`);

    await sleep(1000);
    const kept = (await select(sx.storage, { __name__: 'kept' }))[0];
    assert.equal(kept.samples.filter((s) => isStaleNaN(s.v)).length, 0, 'kept target never marked stale');
    let gap = 0;
    for (let i = 1; i < kept.samples.length; i++) gap = Math.max(gap, kept.samples[i].t - kept.samples[i - 1].t);
    assert.ok(gap <= 1600, `largest gap ${gap}ms`);
  } finally {
    await sx.stop();
    await keep.close();
    await gone.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
