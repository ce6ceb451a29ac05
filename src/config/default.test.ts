import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, scrapeAddressFor } from './default.js';
import { parseConfig } from './parse.js';

test('the built-in config scrapes Sextant and its host collector every 15s', () => {
  const cfg = defaultConfig('0.0.0.0:9090');
  assert.equal(cfg.global.scrapeInterval, 15_000);
  assert.equal(cfg.global.evaluationInterval, 15_000);
  assert.equal(cfg.global.scrapeTimeout, 10_000);
  assert.deepEqual(
    cfg.scrapeConfigs.map((s) => [s.jobName, s.metricsPath, s.staticConfigs[0].targets]),
    [
      ['sextant', '/metrics', ['localhost:9090']],
      ['node', '/host/metrics', ['localhost:9090']],
    ],
  );
  assert.equal(cfg.sourceFile, undefined);
  // The YAML shown by /api/v1/status/config parses back to the same config.
  assert.deepEqual(parseConfig(cfg.original), cfg);
  assert.match(cfg.original, /job_name: sextant/);
});

test('listen addresses map to scrapeable addresses', () => {
  assert.equal(scrapeAddressFor(':9090'), 'localhost:9090');
  assert.equal(scrapeAddressFor('[::]:9090'), 'localhost:9090');
  assert.equal(scrapeAddressFor('127.0.0.1:3000'), '127.0.0.1:3000');
  assert.equal(scrapeAddressFor('[::1]:3000'), '[::1]:3000');
  assert.equal(scrapeAddressFor('myhost:80'), 'myhost:80');
  assert.equal(scrapeAddressFor('9090'), 'localhost:9090');
});
