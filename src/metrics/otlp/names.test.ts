import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloatF, prometheusLabelName, prometheusMetricName } from './names.js';

test('metric names: sanitising, units, _total, _ratio', () => {
  assert.equal(prometheusMetricName('http.server.duration', 's', 'histogram', false), 'http_server_duration_seconds');
  assert.equal(prometheusMetricName('http.server.request.size', 'By', 'sum', true), 'http_server_request_size_bytes_total');
  assert.equal(prometheusMetricName('requests', '{request}', 'sum', true), 'requests_total');
  assert.equal(prometheusMetricName('requests_total', '1', 'sum', true), 'requests_total');
  assert.equal(prometheusMetricName('queue.length', '{item}', 'sum', false), 'queue_length');
  assert.equal(prometheusMetricName('cpu.utilization', '1', 'gauge', false), 'cpu_utilization_ratio');
  assert.equal(prometheusMetricName('throughput', 'By/s', 'gauge', false), 'throughput_bytes_per_second');
  assert.equal(prometheusMetricName('rate', '{packets}/s', 'gauge', false), 'rate_per_second');
  assert.equal(prometheusMetricName('latency_seconds', 's', 'gauge', false), 'latency_seconds');
  assert.equal(prometheusMetricName('temp', 'Cel', 'gauge', false), 'temp_celsius');
  assert.equal(prometheusMetricName('custom', 'widgets', 'gauge', false), 'custom_widgets');
  assert.equal(prometheusMetricName('2xx.count', '', 'gauge', false), '_2xx_count');
  assert.equal(prometheusMetricName('weird-name!!with  spaces', '', 'gauge', false), 'weird_name_with_spaces');
  assert.equal(prometheusMetricName('...', '', 'gauge', false), '');
  assert.equal(prometheusMetricName('x', '', 'gauge', false, 'ns'), 'ns_x');
});

test('label names', () => {
  assert.equal(prometheusLabelName('http.method'), 'http_method');
  assert.equal(prometheusLabelName('0abc'), 'key_0abc');
  assert.equal(prometheusLabelName('_private'), 'key_private');
  assert.equal(prometheusLabelName('__reserved'), '__reserved');
  assert.equal(prometheusLabelName('k8s.pod-name'), 'k8s_pod_name');
});

test('FormatFloat f, -1', () => {
  assert.equal(formatFloatF(0.005), '0.005');
  assert.equal(formatFloatF(10), '10');
  assert.equal(formatFloatF(1e21), '1000000000000000000000');
  assert.equal(formatFloatF(1.5e-7), '0.00000015');
  assert.equal(formatFloatF(-2.5e-8), '-0.000000025');
  assert.equal(formatFloatF(Infinity), '+Inf');
});
