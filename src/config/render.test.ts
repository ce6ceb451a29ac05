import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrometheus } from '../../test/peers/prometheus.js';
import { parseConfig } from './parse.js';
import { renderConfigYaml } from './render.js';
import { defaultConfig } from './default.js';

const testdata = join(dirname(fileURLToPath(import.meta.url)), 'testdata');

// full-debian.yml plus secrets.
function configText(): string {
  const full = readFileSync(join(testdata, 'full-debian.yml'), 'utf8').replace(
    '    read_recent: true\n',
    '    read_recent: true\n    basic_auth: {username: r, password: s3cret}\n    required_matchers: {env: prod}\n  - url: http://other/read\n    name: o\n    filter_external_labels: false\n    remote_timeout: 5s\n',
  );
  return full.replace(
    'scrape_configs:\n',
    `scrape_configs:
  - job_name: secret-basic
    basic_auth:
      username: u
      password: hunter2
    static_configs:
      - targets: [a:1]
  - job_name: secret-bearer
    bearer_token: tok3n
    scrape_interval: 2m
    static_configs:
      - targets: [b:1]
`,
  );
}

test('rendered config hides secrets', () => {
  const out = renderConfigYaml(parseConfig(configText(), '/etc/prometheus/prometheus.yml'));
  assert.ok(!out.includes('hunter2') && !out.includes('tok3n') && !out.includes('s3cret'));
  assert.match(out, /password: <secret>/);
  assert.match(out, /credentials: <secret>/);
  // Paths come out joined with the config directory, as Prometheus prints them.
  assert.match(out, /password_file: \/etc\/prometheus\/secrets\/node-password/);
});

test('rendered config round-trips through the parser', () => {
  const cfg = parseConfig(configText(), '/etc/prometheus/prometheus.yml');
  const again = parseConfig(renderConfigYaml(cfg).replace(/<secret>/g, 'x'), '/etc/prometheus/prometheus.yml');
  assert.deepEqual(again.scrapeConfigs.map((s) => s.relabelConfigs), cfg.scrapeConfigs.map((s) => s.relabelConfigs));
  assert.deepEqual(again.global, cfg.global);
  assert.deepEqual(again.remoteWrite.map((r) => r.queueConfig), cfg.remoteWrite.map((r) => r.queueConfig));
  assert.deepEqual(parseConfig(renderConfigYaml(defaultConfig(':9090'))).scrapeConfigs, defaultConfig(':9090').scrapeConfigs);
});

test('rendered config equals what real Prometheus 2.42 shows on /api/v1/status/config', { skip: !existsSync('/usr/bin/prometheus') && 'prometheus not installed', timeout: 60_000 }, async () => {
  const text = configText();
  const prom = await startPrometheus(text);
  try {
    const res = (await (await fetch(`${prom.url}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    // 2.42 also marshals an internal field of the tsdb block (outofordertimewindow); that is a Prometheus quirk.
    const theirs = res.data.yaml.replace(/^ {4}outofordertimewindow: \d+\n/m, '');
    const ours = renderConfigYaml(parseConfig(text, join(prom.dir, 'prometheus.yml')));
    assert.equal(ours, theirs);
  } finally {
    await prom.stop();
  }
});
