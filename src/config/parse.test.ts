import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseConfig } from './parse.js';
import { checkConfig } from './check.js';
import { ConfigError } from './types.js';
import { relabel } from '../model/relabel.js';
import { labelsFromRecord, labelsToRecord } from '../model/labels.js';
import { PROMTOOL_CASES } from './testdata/promtool-cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const testdata = join(here, 'testdata');
const PROMTOOL = '/usr/bin/promtool';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

test('a realistic prometheus.yml with kubernetes-style relabeling', async () => {
  const cfg = await loadConfigFile(join(testdata, 'full.yml'));
  assert.equal(cfg.sourceFile, join(testdata, 'full.yml'));
  assert.equal(cfg.original, readFileSync(join(testdata, 'full.yml'), 'utf8'));
  assert.deepEqual(cfg.global, {
    scrapeInterval: 15_000,
    scrapeTimeout: 5_000,
    evaluationInterval: 30_000,
    externalLabels: { cluster: 'prod-eu-1', replica: 'a' },
  });
  assert.deepEqual(cfg.ruleFiles, [join(testdata, 'rules/*.yml'), '/etc/prometheus/alerts.yml']);
  assert.deepEqual(
    cfg.scrapeConfigs.map((s) => s.jobName),
    ['prometheus', 'node', 'kubernetes-pods', 'blackbox'],
  );

  const [prom, node, pods, blackbox] = cfg.scrapeConfigs;
  // Job defaults come from global.
  assert.equal(prom.scrapeInterval, 15_000);
  assert.equal(prom.scrapeTimeout, 5_000);
  assert.equal(prom.metricsPath, '/metrics');
  assert.equal(prom.scheme, 'http');
  assert.equal(prom.honorTimestamps, true);
  assert.equal(prom.honorLabels, false);
  assert.deepEqual(prom.staticConfigs, [{ targets: ['localhost:9090'], labels: { team: 'infra' } }]);

  assert.equal(node.scrapeInterval, 30_000);
  assert.equal(node.scrapeTimeout, 5_000);
  assert.equal(node.metricsPath, '/host/metrics');
  assert.equal(node.honorLabels, true);
  assert.equal(node.honorTimestamps, false);
  assert.equal(node.sampleLimit, 50_000);
  assert.equal(node.labelLimit, 64);
  assert.equal(node.targetLimit, 100);
  assert.equal(node.bodySizeLimit, 10 * 1024 * 1024);
  assert.equal(node.followRedirects, false);
  assert.equal(node.enableHttp2, false);
  assert.deepEqual(node.params, { 'collect[]': ['cpu', 'meminfo'] });
  assert.deepEqual(node.basicAuth, { username: 'prom', passwordFile: join(testdata, 'secrets/node-password') });
  assert.deepEqual(node.tlsConfig, { insecureSkipVerify: true, caFile: join(testdata, 'certs/ca.pem') });
  assert.deepEqual(node.fileSdConfigs, [{ files: [join(testdata, 'sd/*.json'), join(testdata, 'sd/*.yml')], refreshInterval: 60_000 }]);
  assert.equal(node.metricRelabelConfigs.length, 2);
  assert.equal(node.metricRelabelConfigs[0].action, 'drop');

  assert.equal(pods.scheme, 'https');
  assert.equal(pods.bearerTokenFile, '/var/run/secrets/kubernetes.io/serviceaccount/token');
  assert.deepEqual(pods.authorization, { type: 'Bearer', credentialsFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' });
  assert.deepEqual(pods.otherSdConfigs, { kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: ['default', 'monitoring'] } }] });
  assert.equal(pods.relabelConfigs.length, 11);
  assert.equal(pods.relabelConfigs[9].action, 'uppercase', 'actions are case-insensitive');
  // Defaults filled in on relabel rules.
  assert.deepEqual(pods.relabelConfigs[4], {
    sourceLabels: ['__meta_kubernetes_namespace'],
    separator: ';',
    regex: '(.*)',
    modulus: 0,
    targetLabel: 'kubernetes_namespace',
    replacement: '$1',
    action: 'replace',
  });

  // The parsed rules do what the kubernetes example intends.
  const discovered = labelsFromRecord({
    __address__: '10.1.2.3:8080',
    __meta_kubernetes_namespace: 'shop',
    __meta_kubernetes_pod_name: 'cart-1',
    __meta_kubernetes_pod_node_name: 'node-a',
    __meta_kubernetes_pod_phase: 'Running',
    __meta_kubernetes_pod_label_app: 'cart',
    __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
    __meta_kubernetes_pod_annotation_prometheus_io_port: '9102',
    __meta_kubernetes_pod_annotation_prometheus_io_path: '/m',
  });
  const out = relabel(discovered, pods.relabelConfigs.slice(0, 7));
  assert.ok(out);
  const rec = labelsToRecord(out);
  assert.equal(rec.__address__, '10.1.2.3:9102');
  assert.equal(rec.__metrics_path__, '/m');
  assert.equal(rec.app, 'cart');
  assert.equal(rec.kubernetes_namespace, 'shop');
  assert.equal(rec.kubernetes_pod_name, 'cart-1');
  assert.equal(relabel(labelsFromRecord({ __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'false' }), pods.relabelConfigs), undefined);

  assert.deepEqual(blackbox.params, { module: ['http_2xx'] });
  assert.equal(blackbox.staticConfigs[0].targets[1], 'https://example.org/health', 'targets with / are fine when relabeled');

  assert.deepEqual(cfg.alerting.alertRelabelConfigs.map((r) => r.action), ['labeldrop']);
  assert.equal(cfg.alerting.alertmanagers.length, 2);
  assert.equal(cfg.alerting.alertmanagers[0].pathPrefix, '/am');
  assert.equal(cfg.alerting.alertmanagers[0].timeout, 5_000);
  assert.deepEqual(cfg.alerting.alertmanagers[0].staticConfigs[0].targets, ['alertmanager-0:9093', 'alertmanager-1:9093']);
  assert.equal(cfg.alerting.alertmanagers[1].timeout, 10_000, 'alertmanager timeout default');
  assert.equal(cfg.alerting.alertmanagers[1].scheme, 'http');
  assert.deepEqual(cfg.alerting.alertmanagers[1].fileSdConfigs[0].files, [join(testdata, 'sd/alertmanagers.json')]);

  assert.equal(cfg.remoteWrite.length, 1);
  const rw = cfg.remoteWrite[0];
  assert.equal(rw.url, 'http://mimir:9009/api/v1/push');
  assert.equal(rw.name, 'mimir');
  assert.equal(rw.remoteTimeout, 10_000);
  assert.deepEqual(rw.headers, { 'X-Scope-OrgID': 'tenant-1' });
  assert.deepEqual(rw.queueConfig, {
    capacity: 10_000,
    maxShards: 50,
    minShards: 1,
    maxSamplesPerSend: 2000,
    batchSendDeadline: 10_000,
    minBackoff: 30,
    maxBackoff: 5000,
    retryOnRateLimit: true,
  });
  assert.equal(rw.sendExemplars, true);
  assert.deepEqual(rw.metadataConfig, { send: true, sendInterval: 60_000, maxSamplesPerSend: 500 });
  assert.deepEqual(rw.authorization, { type: 'Bearer', credentialsFile: join(testdata, 'secrets/mimir-token') });
  assert.equal(rw.writeRelabelConfigs[0].regex, 'expensive_.*');
  assert.equal(cfg.remoteRead?.length, 1);
  assert.deepEqual(cfg.storage, { tsdb: { out_of_order_time_window: '10m' }, exemplars: { max_exemplars: 100000 } });
});

test('defaults as Prometheus 2.42 applies them', () => {
  const cfg = parseConfig('scrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 5s\n  - job_name: c\n    scrape_interval: 2m\n    scrape_timeout: 1m\n');
  assert.deepEqual(cfg.global, { scrapeInterval: 60_000, scrapeTimeout: 10_000, evaluationInterval: 60_000, externalLabels: {} });
  const [a, b, c] = cfg.scrapeConfigs;
  assert.equal(a.scrapeInterval, 60_000);
  assert.equal(a.scrapeTimeout, 10_000);
  // A job interval shorter than the global timeout caps the timeout at the interval.
  assert.equal(b.scrapeInterval, 5_000);
  assert.equal(b.scrapeTimeout, 5_000);
  assert.equal(c.scrapeTimeout, 60_000);
  assert.equal(a.metricsPath, '/metrics');
  assert.equal(a.honorTimestamps, true);
  assert.equal(a.sampleLimit, 0);
  assert.deepEqual(a.params, {});
  assert.deepEqual(cfg.ruleFiles, []);
  assert.deepEqual(cfg.remoteWrite, []);
  assert.equal(cfg.sourceFile, undefined);

  const empty = parseConfig('');
  assert.deepEqual(empty.global.scrapeInterval, 60_000);
  assert.deepEqual(empty.scrapeConfigs, []);

  // Global interval below the default timeout.
  const g = parseConfig('global:\n  scrape_interval: 3s\n');
  assert.equal(g.global.scrapeTimeout, 3_000);

  const rw = parseConfig('remote_write:\n  - url: http://x/api/v1/write\n').remoteWrite[0];
  assert.equal(rw.remoteTimeout, 30_000);
  assert.equal(rw.queueConfig.capacity, 2500);
  assert.equal(rw.queueConfig.maxShards, 200);
  assert.equal(rw.queueConfig.maxSamplesPerSend, 500);
  assert.equal(rw.queueConfig.batchSendDeadline, 5_000);
  assert.deepEqual(rw.writeRelabelConfigs, []);

  const fsd = parseConfig('scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [x.json]\n', '/etc/p/prometheus.yml');
  assert.deepEqual(fsd.scrapeConfigs[0].fileSdConfigs, [{ files: ['/etc/p/x.json'], refreshInterval: 300_000 }]);
});

test('parse is a pure function of the text and file name', () => {
  const text = readFileSync(join(testdata, 'full.yml'), 'utf8');
  assert.deepEqual(parseConfig(text, '/a/b.yml'), parseConfig(text, '/a/b.yml'));
  assert.notDeepEqual(parseConfig(text, '/a/b.yml').ruleFiles, parseConfig(text, '/c/b.yml').ruleFiles);
});

test('YAML features yaml.v2 supports: anchors, merge keys, yes/no booleans, literal numbers as strings', () => {
  const cfg = parseConfig(
    'scrape_configs:\n  - &base\n    job_name: a\n    scrape_interval: 5s\n    honor_labels: yes\n  - <<: *base\n    job_name: "0123"\n    static_configs:\n      - targets: [a:1]\n        labels: {n: 0123}\n',
  );
  const [a, b] = cfg.scrapeConfigs;
  assert.equal(a.honorLabels, true);
  assert.equal(b.jobName, '0123');
  assert.equal(b.scrapeInterval, 5_000);
  assert.equal(b.honorLabels, true);
  assert.deepEqual(b.staticConfigs[0].labels, { n: '0123' });
});

// Each bad config: the error names the file, the line, and the field.
const errorCases: { name: string; text: string; line: number; field: string | undefined; message: RegExp }[] = [
  {
    name: 'misspelt field',
    text: 'global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n',
    line: 5,
    field: 'scrape_intervall',
    message: /^prometheus\.yml:5: field scrape_intervall not found in type config\.ScrapeConfig$/,
  },
  { name: 'unknown top-level', text: 'scrap_configs: []\n', line: 1, field: 'scrap_configs', message: /field scrap_configs not found in type config\.Config/ },
  { name: 'bad duration', text: 'global:\n  scrape_interval: 1x\n', line: 2, field: 'scrape_interval', message: /not a valid duration string: "1x"/ },
  { name: 'bad duration order', text: 'global:\n  evaluation_interval: 30s1m\n', line: 2, field: 'evaluation_interval', message: /not a valid duration string/ },
  {
    name: 'timeout above interval',
    text: 'scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 6s\n',
    line: 2,
    field: 'scrape_timeout',
    message: /scrape timeout greater than scrape interval for scrape config with job name "a"/,
  },
  { name: 'global timeout above interval', text: 'global:\n  scrape_interval: 5s\n  scrape_timeout: 6s\n', line: 2, field: 'scrape_timeout', message: /global scrape timeout greater than scrape interval/ },
  {
    name: 'duplicate job',
    text: 'scrape_configs:\n  - job_name: a\n  - job_name: b\n  - job_name: a\n',
    line: 4,
    field: 'job_name',
    message: /found multiple scrape configs with job name "a"/,
  },
  { name: 'empty job', text: 'scrape_configs:\n  - metrics_path: /x\n', line: 2, field: 'job_name', message: /job_name is empty/ },
  {
    name: 'bad regex',
    text: 'scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - source_labels: [x]\n        regex: "a(b"\n        target_label: y\n',
    line: 5,
    field: 'regex',
    message: /error parsing regexp/,
  },
  {
    name: 'unknown action',
    text: 'scrape_configs:\n  - job_name: a\n    metric_relabel_configs:\n      - source_labels: [x]\n        action: explode\n',
    line: 5,
    field: 'action',
    message: /unknown relabel action "explode"/,
  },
  {
    name: 'replace without target_label',
    text: 'scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - source_labels: [x]\n        regex: (.*)\n',
    line: 4,
    field: 'target_label',
    message: /relabel configuration for replace action requires 'target_label' value/,
  },
  {
    name: 'hashmod without modulus',
    text: 'scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - source_labels: [x]\n        target_label: y\n        action: hashmod\n',
    line: 4,
    field: 'modulus',
    message: /requires non-zero modulus/,
  },
  {
    name: 'invalid source label',
    text: 'scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - source_labels: [ok, not-ok]\n        target_label: y\n',
    line: 4,
    field: 'source_labels',
    message: /"not-ok" is not a valid label name/,
  },
  { name: 'bad bool', text: 'scrape_configs:\n  - job_name: a\n    honor_labels: maybe\n', line: 3, field: 'honor_labels', message: /cannot unmarshal !!str `maybe` into bool/ },
  { name: 'negative limit', text: 'scrape_configs:\n  - job_name: a\n    sample_limit: -1\n', line: 3, field: 'sample_limit', message: /cannot unmarshal !!int `-1` into uint/ },
  { name: 'invalid external label', text: 'global:\n  external_labels:\n    bad-name: x\n', line: 3, field: 'external_labels', message: /"bad-name" is not a valid label name/ },
  { name: 'remote_write without url', text: 'remote_write:\n  - name: x\n', line: 2, field: 'url', message: /url for remote_write is empty/ },
  {
    name: 'remote_write reserved header',
    text: 'remote_write:\n  - url: http://x\n    headers:\n      User-Agent: me\n',
    line: 4,
    field: 'headers',
    message: /User-Agent is a reserved header/,
  },
  { name: 'queue_config typo', text: 'remote_write:\n  - url: http://x\n    queue_config:\n      max_shard: 2\n', line: 4, field: 'max_shard', message: /not found in type config\.QueueConfig/ },
  { name: 'alertmanager api version', text: 'alerting:\n  alertmanagers:\n    - api_version: v3\n', line: 3, field: 'api_version', message: /api version/ },
  {
    name: 'static target with a path',
    text: 'scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: ["x:1/metrics"]\n',
    line: 2,
    field: 'static_configs',
    message: /"x:1\/metrics" is not a valid hostname/,
  },
  { name: 'file_sd extension', text: 'scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - files: [t.txt]\n', line: 4, field: 'files', message: /path name "t\.txt" is not valid for file discovery/ },
  { name: 'rule file glob in a directory', text: 'rule_files:\n  - "*/r.yml"\n', line: 2, field: 'rule_files', message: /invalid rule file path/ },
  { name: 'both bearer token kinds', text: 'scrape_configs:\n  - job_name: a\n    bearer_token: x\n    bearer_token_file: y\n', line: 2, field: 'bearer_token', message: /at most one of bearer_token & bearer_token_file/ },
  { name: 'kubernetes_sd without role', text: 'scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n      - namespaces: {names: [x]}\n', line: 4, field: 'role', message: /role missing/ },
  {
    name: 'kubernetes_sd with an unknown role',
    text: 'scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs:\n      - role: foo\n',
    line: 4,
    field: 'role',
    message: /unknown Kubernetes SD role "foo"/,
  },
  { name: 'remote_write url Go cannot parse', text: 'remote_write:\n  - url: "http://[::1"\n', line: 2, field: 'url', message: /missing '\]' in host/ },
  {
    name: 'duplicate key',
    text: 'global:\n  scrape_interval: 1s\n  scrape_interval: 2s\n',
    line: 3,
    field: 'scrape_interval',
    message: /field scrape_interval already set in type config\.GlobalConfig/,
  },
  {
    name: 'duplicate label',
    text: 'global:\n  external_labels:\n    a: x\n    a: y\n',
    line: 4,
    field: 'external_labels',
    message: /key "a" already set in map/,
  },
  { name: 'yaml syntax', text: 'global:\n\tscrape_interval: 1s\n', line: 2, field: undefined, message: /yaml: / },
];

for (const c of errorCases) {
  test(`config error: ${c.name}`, () => {
    const e = configError(() => parseConfig(c.text, 'prometheus.yml'));
    assert.match(e.message, c.message);
    assert.equal(e.file, 'prometheus.yml');
    assert.equal(e.line, c.line, e.message);
    assert.equal(e.field, c.field, e.message);
    assert.ok(e.message.startsWith(`prometheus.yml:${c.line}: `), e.message);
  });
}

test('loadConfigFile reports a missing file as a ConfigError', async () => {
  await assert.rejects(loadConfigFile('/nonexistent/prometheus.yml'), (e: unknown) => e instanceof ConfigError && /ENOENT/.test(e.message));
});

test('same accept/reject verdict as the real promtool check config --syntax-only', { skip: !existsSync(PROMTOOL) && 'promtool not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-promtool-'));
  try {
    const files: Record<string, string> = { ...PROMTOOL_CASES, full_debian: readFileSync(join(testdata, 'full-debian.yml'), 'utf8') };
    const mismatches: string[] = [];
    for (const [name, text] of Object.entries(files)) {
      const f = join(dir, `${name}.yml`);
      writeFileSync(f, text);
      const p = spawnSync(PROMTOOL, ['check', 'config', '--syntax-only', f], { encoding: 'utf8' });
      const promOk = p.status === 0;
      const ours = await checkConfig(f, { syntaxOnly: true });
      if (ours.ok !== promOk) mismatches.push(`${name}: promtool ${promOk ? 'accepts' : 'rejects'}, sextant ${ours.ok ? 'accepts' : 'rejects'}: ${ours.messages.join(' ')} ${p.stderr}`);
      // Where promtool names a line for a field (yaml.v2 unmarshal errors), ours names the same one. YAML
      // syntax errors are detected at different points by the two parsers, so their lines may differ.
      const m = /unmarshal errors:\s+line (\d+): /.exec(p.stderr);
      if (!promOk && m && !ours.ok) {
        const ourLine = /\.yml:(\d+): /.exec(ours.messages.join('\n'));
        if (!ourLine || ourLine[1] !== m[1]) mismatches.push(`${name}: promtool says line ${m[1]}, sextant ${ours.messages.join(' ')}`);
      }
    }
    assert.deepEqual(mismatches, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('remote_write sigv4 is refused at load (Sextant cannot sign requests); the auth conflict keeps Prometheus\'s message', () => {
  const e = configError(() => parseConfig('remote_write:\n  - url: http://x/api/v1/write\n    sigv4:\n      region: eu-west-1\n', 'p.yml'));
  assert.equal(e.message, 'p.yml:4: sigv4 is not supported by Sextant');
  const typo = configError(() => parseConfig('remote_write:\n  - url: http://x\n    sigv4: {regio: x}\n', 'p.yml'));
  assert.match(typo.message, /field regio not found in type sigv4\.SigV4Config/);
  const both = configError(() => parseConfig('remote_write:\n  - url: http://x\n    sigv4: {region: x}\n    basic_auth: {username: u}\n'));
  assert.match(both.message, /at most one of basic_auth, authorization, oauth2, & sigv4 must be configured/);
});
