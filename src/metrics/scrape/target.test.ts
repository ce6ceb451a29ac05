import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ScrapeConfig } from '../../config/types.js';
import { labelsFromRecord, labelsToRecord } from '../../model/labels.js';
import { mergeTargetLabels, reportLabels } from './labels.js';
import { populateTarget, scrapeOffsetMs } from './target.js';

function cfg(partial: Partial<ScrapeConfig> = {}): ScrapeConfig {
  return {
    jobName: 'job1',
    scrapeInterval: 60_000,
    scrapeTimeout: 10_000,
    metricsPath: '/metrics',
    scheme: 'http',
    params: {},
    honorLabels: false,
    honorTimestamps: true,
    sampleLimit: 0,
    staticConfigs: [],
    fileSdConfigs: [],
    relabelConfigs: [],
    metricRelabelConfigs: [],
    ...partial,
  };
}

test('target labels: defaults as labels, instance from address, default port by scheme, __ labels hidden', () => {
  const r = populateTarget({ __address__: 'host', __meta_x: 'm', team: 'a' }, cfg({ scheme: 'https', params: { module: ['m1', 'm2'] } }));
  assert.equal(r.kind, 'active');
  if (r.kind !== 'active') return;
  assert.deepEqual(labelsToRecord(r.target.labels), { instance: 'host:443', job: 'job1', team: 'a' });
  assert.deepEqual(labelsToRecord(r.target.discovered), {
    __address__: 'host',
    __meta_x: 'm',
    __metrics_path__: '/metrics',
    __param_module: 'm1',
    __scheme__: 'https',
    __scrape_interval__: '1m',
    __scrape_timeout__: '10s',
    job: 'job1',
    team: 'a',
  });
  // The label carries the first value and replaces it in the URL; the other configured values stay.
  assert.equal(r.target.url, 'https://host:443/metrics?module=m1&module=m2');
  assert.equal(r.target.intervalMs, 60_000);
});

test('target labels: relabeling can set interval, path, params and instance; keep/drop drops', () => {
  const rc = (targetLabel: string, replacement: string) => ({
    sourceLabels: [],
    separator: ';',
    regex: '(.*)',
    modulus: 0,
    targetLabel,
    replacement,
    action: 'replace' as const,
  });
  const r = populateTarget(
    { __address__: '10.0.0.1:9100' },
    cfg({
      relabelConfigs: [rc('__scrape_interval__', '30s'), rc('__metrics_path__', '/probe'), rc('__param_target', 'a b'), rc('instance', 'nice')],
    }),
  );
  assert.equal(r.kind, 'active');
  if (r.kind !== 'active') return;
  assert.equal(r.target.intervalMs, 30_000);
  assert.equal(r.target.url, 'http://10.0.0.1:9100/probe?target=a+b');
  assert.deepEqual(labelsToRecord(r.target.labels), { instance: 'nice', job: 'job1' });

  const dropped = populateTarget(
    { __address__: 'x:1' },
    cfg({ relabelConfigs: [{ sourceLabels: ['__address__'], separator: ';', regex: 'x:1', modulus: 0, targetLabel: '', replacement: '$1', action: 'drop' }] }),
  );
  assert.equal(dropped.kind, 'dropped');

  const bad = populateTarget({ __address__: 'x:1' }, cfg({ relabelConfigs: [rc('__scrape_timeout__', '2m')] }));
  assert.equal(bad.kind, 'error');
  if (bad.kind === 'error') assert.match(bad.error, /scrape timeout cannot be greater than scrape interval/);
  assert.equal(populateTarget({ foo: 'bar' }, cfg()).kind, 'error');
});

test('scrape offset is stable for a target, inside the interval, and differs between targets', () => {
  const a = populateTarget({ __address__: 'a:1' }, cfg());
  const b = populateTarget({ __address__: 'b:1' }, cfg());
  assert.ok(a.kind === 'active' && b.kind === 'active');
  const now = 1_700_000_000_000;
  const oa = scrapeOffsetMs(a.target, now);
  assert.equal(scrapeOffsetMs(a.target, now), oa);
  assert.ok(oa >= 0 && oa <= 60_000);
  // The phase (absolute time of the scrape modulo the interval) does not depend on when we start.
  assert.equal((now + oa) % 60_000, (now + 12_345 + scrapeOffsetMs(a.target, now + 12_345)) % 60_000);
  assert.notEqual((now + oa) % 60_000, (now + scrapeOffsetMs(b.target, now)) % 60_000);
});

test('honor_labels false: clashing scraped labels become exported_*, repeatedly if needed', () => {
  const target = labelsFromRecord({ job: 'j', instance: 'i:1' });
  const scraped = labelsFromRecord({ __name__: 'm', job: 'sj', exported_job: 'already', instance: '' });
  assert.deepEqual(labelsToRecord(mergeTargetLabels(scraped, target, false)), {
    __name__: 'm',
    exported_exported_job: 'sj',
    exported_job: 'already',
    instance: 'i:1',
    job: 'j',
  });
  assert.deepEqual(labelsToRecord(mergeTargetLabels(scraped, target, true)), {
    __name__: 'm',
    exported_job: 'already',
    instance: 'i:1',
    job: 'sj',
  });
  assert.deepEqual(labelsToRecord(reportLabels('up', target)), { __name__: 'up', job: 'j', instance: 'i:1' });
});
