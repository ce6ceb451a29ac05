/**
 * The whole server as a user runs it: built-in default config (self + host), the Prometheus API, reload,
 * and the real Prometheus 2.42 remote-writing to Sextant and federating from it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSextant, type TestSextant } from '../support/sextant.js';
import { startPrometheus } from '../peers/prometheus.js';
import { tempDir } from '../peers/process.js';

interface PromBody<T = unknown> {
  status: string;
  data: T;
  errorType?: string;
  error?: string;
}

async function api<T>(base: string, path: string, init?: RequestInit): Promise<{ code: number; body: PromBody<T> }> {
  const res = await fetch(base + path, init);
  return { code: res.status, body: (await res.json()) as PromBody<T> };
}

type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let sx: TestSextant;
before(async () => {
  sx = await startTestSextant();
});
after(async () => {
  await sx?.stop();
});

test('a fresh server scrapes itself and the host (node_exporter names)', async () => {
  const up = await waitFor('both default targets up', async () => {
    const { body } = await api<Vector>(sx.url, '/api/v1/query?query=up');
    const jobs = body.data.result.filter((r) => r.value[1] === '1').map((r) => r.metric.job).sort();
    return jobs.join(',') === 'node,sextant' ? jobs : undefined;
  });
  assert.deepEqual(up, ['node', 'sextant']);
  const cpu = await api<Vector>(sx.url, '/api/v1/query?query=' + encodeURIComponent('count by (mode) (node_cpu_seconds_total)'));
  const modes = cpu.body.data.result.map((r) => r.metric.mode);
  assert.ok(modes.includes('idle') && modes.includes('user'), `modes: ${modes}`);
  const mem = await api<Vector>(sx.url, '/api/v1/query?query=node_memory_MemTotal_bytes');
  assert.ok(Number(mem.body.data.result[0].value[1]) > 1e8);
});

test('series, labels, label values, metadata, targets and status answer in Prometheus shapes', async () => {
  const series = await api<Record<string, string>[]>(sx.url, '/api/v1/series?' + new URLSearchParams({ 'match[]': 'up' }));
  assert.equal(series.code, 200);
  assert.ok(series.body.data.some((s) => s.__name__ === 'up' && s.job === 'node'));
  const post = await api<string[]>(sx.url, '/api/v1/labels', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ 'match[]': 'up' }).toString(),
  });
  assert.deepEqual(post.body.data, ['__name__', 'instance', 'job']);
  const values = await api<string[]>(sx.url, '/api/v1/label/job/values');
  assert.deepEqual(values.body.data, ['node', 'sextant']);
  const noMatch = await api(sx.url, '/api/v1/series');
  assert.equal(noMatch.code, 400);
  assert.equal(noMatch.body.errorType, 'bad_data');
  assert.equal(noMatch.body.error, 'no match[] parameter provided');
  const badTime = await api(sx.url, '/api/v1/labels?start=yesterday');
  assert.equal(badTime.code, 400);
  assert.match(badTime.body.error ?? '', /invalid parameter "start"/);
  const meta = await api<Record<string, { type: string }[]>>(sx.url, '/api/v1/metadata?metric=node_cpu_seconds_total');
  assert.equal(meta.body.data.node_cpu_seconds_total?.[0]?.type, 'counter');
  const tmeta = await api<{ target: Record<string, string>; type: string }[]>(sx.url, '/api/v1/targets/metadata?' + new URLSearchParams({ match_target: '{job="node"}', metric: 'node_load1' }));
  assert.equal(tmeta.code, 200);
  assert.deepEqual(tmeta.body.data.map((m) => [m.target.job, m.type]), [['node', 'gauge']]);
  const targets = await api<{ activeTargets: { health: string; scrapePool: string }[] }>(sx.url, '/api/v1/targets');
  assert.deepEqual(targets.body.data.activeTargets.map((t) => t.health), ['up', 'up']);
  const tsdb = await api<{ headStats: { numSeries: number } }>(sx.url, '/api/v1/status/tsdb');
  assert.ok(tsdb.body.data.headStats.numSeries > 100);
  const build = await api<{ version: string }>(sx.url, '/api/v1/status/buildinfo');
  assert.match(build.body.data.version, /^\d+\.\d+\.\d+/);
  const cfg = await api<{ yaml: string }>(sx.url, '/api/v1/status/config');
  assert.match(cfg.body.data.yaml, /job_name: node/);
  const bad = await api(sx.url, '/api/v1/query?query=' + encodeURIComponent('sum(up'));
  assert.equal(bad.code, 400);
  assert.equal(bad.body.errorType, 'bad_data');
});

test('federation output is valid exposition with timestamps and skips non-matching series', async () => {
  const res = await fetch(sx.url + '/federate?' + new URLSearchParams({ 'match[]': '{job="sextant"}' }));
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /^# TYPE up untyped$/m);
  assert.match(text, /^up\{instance="[^"]+",job="sextant"\} 1 \d{13}$/m);
  assert.doesNotMatch(text, /job="node"/);
  const bad = await fetch(sx.url + '/federate?' + new URLSearchParams({ 'match[]': 'up{' }));
  assert.equal(bad.status, 400);
});

test('the real Prometheus remote-writes to Sextant and federates from it', async () => {
  const host = new URL(sx.url).host;
  const prom = await startPrometheus(`
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prom-self
    static_configs: [{ targets: ['localhost:0'] }]
    relabel_configs:
      - target_label: __address__
        replacement: PROMADDR
  - job_name: federate
    honor_labels: true
    metrics_path: /federate
    params: { 'match[]': ['{job="node"}'] }
    static_configs: [{ targets: ['${host}'] }]
remote_write:
  - url: ${sx.url}/api/v1/write
    queue_config: { batch_send_deadline: 1s }
`.replace('PROMADDR', 'localhost:9090'));
  try {
    // Prometheus's own address is only known now; point its self-scrape there by reloading.
    const promHost = new URL(prom.url).host;
    writeFileSync(join(prom.dir, 'prometheus.yml'), (await (await fetch(prom.url + '/api/v1/status/config')).json() as PromBody<{ yaml: string }>).data.yaml.replace('localhost:9090', promHost));
    assert.equal((await fetch(prom.url + '/-/reload', { method: 'POST' })).status, 200);

    const viaRemoteWrite = await waitFor('prometheus_build_info remote-written into Sextant', async () => {
      const { body } = await api<Vector>(sx.url, '/api/v1/query?query=' + encodeURIComponent('prometheus_build_info{job="prom-self"}'));
      return body.data.result.length > 0 ? body.data.result : undefined;
    }, 45000);
    assert.match(viaRemoteWrite[0].metric.version, /^2\.42/);

    const federated = await waitFor('node metrics federated into Prometheus', async () => {
      const { body } = await api<Vector>(prom.url, '/api/v1/query?query=' + encodeURIComponent('node_memory_MemTotal_bytes{job="node"}'));
      return body.data.result.length > 0 ? body.data.result : undefined;
    }, 45000);
    const ours = await api<Vector>(sx.url, '/api/v1/query?query=node_memory_MemTotal_bytes');
    assert.equal(federated[0].value[1], ours.body.data.result[0].value[1]);
    assert.equal(federated[0].metric.instance, host);
  } finally {
    await prom.stop();
  }
});

test('reload applies a new config and keeps the running one when the new one is invalid', async () => {
  const dir = tempDir('reload');
  const file = join(dir, 'prometheus.yml');
  const host = new URL(sx.url).host;
  writeFileSync(file, `scrape_configs:\n  - job_name: a\n    scrape_interval: 1s\n    basic_auth: { username: u, password: hunter2 }\n    static_configs: [{ targets: ['${host}'] }]\n`);
  const srv = await startTestSextant({ configFile: file });
  try {
    const shown = (await api<{ yaml: string }>(srv.url, '/api/v1/status/config')).body.data.yaml;
    assert.match(shown, /password: <secret>/);
    assert.doesNotMatch(shown, /hunter2/);
    const jobs = async () => (await api<{ activeTargets: { scrapePool: string }[] }>(srv.url, '/api/v1/targets')).body.data.activeTargets.map((t) => t.scrapePool).sort();
    assert.deepEqual(await jobs(), ['a']);
    writeFileSync(file, `scrape_configs:\n  - job_name: a\n    static_configs: [{ targets: ['${host}'] }]\n  - job_name: b\n    static_configs: [{ targets: ['${host}'] }]\n`);
    assert.equal((await fetch(srv.url + '/-/reload', { method: 'POST' })).status, 200);
    assert.deepEqual(await jobs(), ['a', 'b']);
    writeFileSync(file, `scrape_configs:\n  - job_name: c\n    scrape_intervall: 1s\n`);
    const res = await fetch(srv.url + '/-/reload', { method: 'POST' });
    assert.equal(res.status, 500);
    assert.match(await res.text(), /line 3.*scrape_intervall|scrape_intervall.*line 3|:3:/);
    assert.deepEqual(await jobs(), ['a', 'b']);
  } finally {
    await srv.stop();
  }
});
