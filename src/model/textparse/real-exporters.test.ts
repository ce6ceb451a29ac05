/**
 * Parses what real exporters actually serve: Debian's node_exporter and Prometheus 2.42's own /metrics
 * (negotiated both as plain text and with Prometheus's OpenMetrics-first Accept header), and prom-client's
 * OpenMetrics output with exemplars.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { startNodeExporter } from '../../../test/peers/node-exporter.js';
import { startPrometheus } from '../../../test/peers/prometheus.js';
import { getLabel } from '../labels.js';
import { formatFromContentType, parseExposition, parseSeriesLabels, scanExposition } from './parser.js';

const TEXT_ACCEPT = 'text/plain;version=0.0.4';
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

async function fetchAndParse(url: string, accept: string) {
  const res = await fetch(url, { headers: { accept } });
  assert.equal(res.status, 200);
  const body = await res.text();
  const format = formatFromContentType(res.headers.get('content-type'));
  return { body, format, result: parseExposition(body, format) };
}

test('node_exporter output parses without errors in both negotiations', async () => {
  const peer = await startNodeExporter();
  try {
    for (const accept of [TEXT_ACCEPT, PROMETHEUS_ACCEPT]) {
      const { result, body } = await fetchAndParse(peer.url + '/metrics', accept);
      const sampleLines = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      assert.equal(result.samples.length, sampleLines, 'every sample line becomes a sample');
      const cpu = result.samples.filter((s) => getLabel(s.labels, '__name__') === 'node_cpu_seconds_total');
      assert.ok(cpu.length > 0);
      assert.ok(cpu.every((s) => getLabel(s.labels, 'mode') !== '' && s.v >= 0));
      let i = 0;
      scanExposition(body, 'text', (series, v) => {
        const eager = result.samples[i++];
        assert.equal(series, eager.series);
        assert.ok(Object.is(v, eager.v));
        assert.deepEqual(parseSeriesLabels(series), eager.labels);
      });
      assert.equal(i, result.samples.length);
      const meta = result.metadata.find((m) => m.name === 'node_cpu_seconds_total');
      assert.equal(meta?.type, 'counter');
      assert.match(meta?.help ?? '', /Seconds the CPUs spent in each mode/);
    }
  } finally {
    await peer.stop();
  }
});

test('Prometheus 2.42 /metrics parses without errors in both negotiations', async () => {
  const peer = await startPrometheus();
  try {
    for (const accept of [TEXT_ACCEPT, PROMETHEUS_ACCEPT]) {
      const { result } = await fetchAndParse(peer.url + '/metrics', accept);
      const build = result.samples.find((s) => getLabel(s.labels, '__name__') === 'prometheus_build_info');
      assert.ok(build);
      assert.match(getLabel(build.labels, 'version'), /^2\./);
      const hist = result.metadata.find((m) => m.name === 'prometheus_http_request_duration_seconds');
      assert.equal(hist?.type, 'histogram');
      const inf = result.samples.find((s) => getLabel(s.labels, 'le') === '+Inf');
      assert.ok(inf, 'histogram +Inf buckets parsed');
    }
  } finally {
    await peer.stop();
  }
});

test('prom-client OpenMetrics output with exemplars', async () => {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const c = new Counter({ name: 'jobs_total', help: 'Jobs "done"', labelNames: ['queue', 'traceId'] as const, registers: [registry], enableExemplars: true });
  c.inc({ labels: { queue: 'a\\b' }, value: 2, exemplarLabels: { traceId: 'abc123' } });
  const h = new Histogram({ name: 'job_seconds', help: 'Job time', buckets: [0.1, 1], registers: [registry], enableExemplars: true });
  h.observe({ value: 0.5, exemplarLabels: { traceId: 'def' } });
  const body = await registry.metrics();
  const result = parseExposition(body, formatFromContentType(registry.contentType));
  const total = result.samples.find((s) => s.series.startsWith('jobs_total'));
  assert.ok(total);
  assert.equal(getLabel(total.labels, 'queue'), 'a\\b');
  assert.equal(total.v, 2);
  assert.equal(getLabel(total.exemplar?.labels ?? [], 'traceId'), 'abc123');
  const bucket = result.samples.find((s) => getLabel(s.labels, 'le') === '1');
  assert.equal(bucket?.v, 1);
  assert.equal(getLabel(bucket?.exemplar?.labels ?? [], 'traceId'), 'def');
  assert.equal(result.metadata.find((m) => m.name === 'jobs')?.type, 'counter', 'OpenMetrics families drop the _total suffix');
  assert.ok(total.exemplar?.t !== undefined && Math.abs(total.exemplar.t - Date.now()) < 60_000, 'exemplar timestamp in ms');
});
