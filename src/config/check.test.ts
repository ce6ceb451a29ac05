import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig } from './check.js';

const PROMTOOL = '/usr/bin/promtool';
const RULES = 'groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n';

interface Case {
  name: string;
  config: string;
  files?: Record<string, string>;
  ok: boolean;
  message?: RegExp;
  warning?: RegExp;
  ruleFiles?: string[];
}

const cases: Case[] = [
  {
    name: 'rule files found, and a glob that matches nothing only warns',
    config: 'rule_files:\n  - rules/*.yml\n  - other/*.rules.yml\n  - single.yml\nscrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [a:1]\n',
    files: { 'rules/a.yml': RULES, 'rules/b.yml': RULES, 'single.yml': RULES },
    ok: true,
    warning: /other\/\*\.rules\.yml/,
    ruleFiles: ['rules/a.yml', 'rules/b.yml', 'single.yml'],
  },
  {
    name: 'an explicit rule file that does not exist',
    config: 'rule_files:\n  - missing.yml\n',
    ok: false,
    message: /missing\.yml" does not point to an existing file/,
  },
  {
    name: 'a missing bearer_token_file',
    config: 'scrape_configs:\n  - job_name: a\n    bearer_token_file: token\n',
    ok: false,
    message: /error checking authorization credentials or bearer token file/,
  },
  {
    name: 'an existing bearer_token_file and tls files',
    config: 'scrape_configs:\n  - job_name: a\n    bearer_token_file: token\n    tls_config:\n      cert_file: c.pem\n      key_file: k.pem\n',
    files: { token: 'x', 'c.pem': 'c', 'k.pem': 'k' },
    ok: true,
  },
  {
    name: 'a missing client key file',
    config: 'scrape_configs:\n  - job_name: a\n    tls_config:\n      cert_file: c.pem\n      key_file: k.pem\n',
    files: { 'c.pem': 'c' },
    ok: false,
    message: /error checking client key file/,
  },
  {
    name: 'file_sd files that are valid, and one that is missing',
    config: 'scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [sd/*.json, sd/*.yaml, nothere.yml]\n',
    files: {
      'sd/a.json': '[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}]',
      'sd/b.yaml': '- targets: [c:3]\n  labels:\n    env: dev\n',
    },
    ok: true,
    warning: /file ".*nothere\.yml" for file_sd in scrape job "a" does not exist/,
  },
  {
    name: 'a malformed file_sd file',
    config: 'scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [sd/*.json]\n',
    files: { 'sd/a.json': '[{"targets": ["a:1"], "lables": {}}]' },
    ok: false,
    message: /checking SD file/,
  },
  {
    name: 'a file_sd target with a path',
    config: 'scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [sd/*.yml]\n',
    files: { 'sd/a.yml': '- targets: ["http://a:1/metrics"]\n' },
    ok: false,
    message: /is not a valid hostname/,
  },
  {
    name: 'a static target that relabeling leaves with a path',
    config: 'scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ["http://x:1"]\n    relabel_configs:\n      - target_label: team\n        replacement: b\n',
    ok: false,
    message: /instance 0 in group 0: "http:\/\/x:1" is not a valid hostname/,
  },
  {
    name: 'a static target that relabeling rewrites into a host:port',
    config:
      'scrape_configs:\n  - job_name: probe\n    static_configs:\n      - targets: ["https://example.com/x"]\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - target_label: __address__\n        replacement: blackbox:9115\n',
    ok: true,
  },
  {
    name: 'service discovery Sextant does not run',
    config:
      'scrape_configs:\n  - job_name: dns\n    dns_sd_configs:\n      - names: [_x._tcp.example.com]\n  - job_name: web\n    http_sd_configs:\n      - url: http://sd.example/targets\n    static_configs:\n      - targets: [a:1]\n',
    ok: true,
    warning: /WARNING: scrape job "dns": dns_sd_configs is not supported by Sextant; the job gets no targets from it\n {2}WARNING: scrape job "web": http_sd_configs is not supported by Sextant; the job gets no targets from it/,
  },
  {
    name: 'a syntax error',
    config: 'scrape_configs:\n  - job_name: a\n    scrape_intervall: 1m\n',
    ok: false,
    message: /:3: field scrape_intervall not found in type config\.ScrapeConfig/,
  },
];

for (const c of cases) {
  test(`check config: ${c.name}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-check-'));
    try {
      for (const [name, content] of Object.entries(c.files ?? {})) {
        mkdirSync(join(dir, name, '..'), { recursive: true });
        writeFileSync(join(dir, name), content);
      }
      const file = join(dir, 'prometheus.yml');
      writeFileSync(file, c.config);
      const res = await checkConfig(file);
      const text = res.messages.join('\n');
      assert.equal(res.ok, c.ok, text);
      assert.equal(res.messages[0], `Checking ${file}`);
      if (c.ok) assert.match(text, new RegExp(` SUCCESS: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is valid prometheus config file syntax`));
      else assert.match(text, /  FAILED: /);
      if (c.message) assert.match(text, c.message);
      if (c.warning) assert.match(text, /  WARNING: /), assert.match(text, c.warning);
      if (c.ruleFiles) assert.deepEqual(res.ruleFiles, c.ruleFiles.map((f) => join(dir, f)));
      if (existsSync(PROMTOOL)) {
        const p = spawnSync(PROMTOOL, ['check', 'config', file], { encoding: 'utf8' });
        assert.equal(p.status === 0, c.ok, `promtool disagrees: ${p.stdout}${p.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('check config on a file that does not exist', async () => {
  const res = await checkConfig('/nonexistent/prometheus.yml');
  assert.equal(res.ok, false);
  assert.match(res.messages.join('\n'), /FAILED: .*ENOENT/);
});

test('check config reports a malformed glob instead of crashing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-check-'));
  try {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, 'rule_files:\n  - "rules/[a.yml"\n');
    const res = await checkConfig(file);
    assert.equal(res.ok, false);
    assert.match(res.messages.join('\n'), /FAILED: .*pattern/);
    if (existsSync(PROMTOOL)) assert.notEqual(spawnSync(PROMTOOL, ['check', 'config', file]).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
