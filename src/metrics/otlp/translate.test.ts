import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOtlpMetricsJson } from './decode.js';
import { translateOtlpMetrics } from './translate.js';

const T = '1700000000123456789';

function translate(resourceAttrs: unknown[], metrics: unknown[]) {
  return translateOtlpMetrics(
    decodeOtlpMetricsJson(JSON.stringify({ resourceMetrics: [{ resource: { attributes: resourceAttrs }, scopeMetrics: [{ metrics }] }] })),
  );
}

const rec = (labels: { name: string; value: string }[]) => Object.fromEntries(labels.map((l) => [l.name, l.value]));

test('attribute names that collide after sanitising keep both values, joined in key order', () => {
  const tr = translate(
    [],
    [
      {
        name: 'm',
        gauge: {
          dataPoints: [
            {
              asDouble: 1,
              timeUnixNano: T,
              attributes: [
                { key: 'a_b', value: { stringValue: 'two' } },
                { key: 'a.b', value: { stringValue: 'one' } },
                { key: 'flag', value: { boolValue: true } },
                { key: 'ratio', value: { doubleValue: 0.5 } },
                { key: 'list', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: '2' }] } } },
              ],
            },
          ],
        },
      },
    ],
  );
  assert.equal(tr.samples.length, 1);
  assert.deepEqual(rec(tr.samples[0].labels), { a_b: 'one;two', flag: 'true', ratio: '0.5', list: '["x",2]', __name__: 'm' });
  assert.equal(tr.samples[0].t, 1700000000123, 'ns truncated to ms');
});

test('resource identity: job without namespace, instance, point attributes overridden; no target_info without extra attributes', () => {
  const tr = translate(
    [
      { key: 'service.name', value: { stringValue: 'api' } },
      { key: 'service.instance.id', value: { stringValue: 'pod-7' } },
    ],
    [{ name: 'g', gauge: { dataPoints: [{ asInt: '5', timeUnixNano: T, attributes: [{ key: 'job', value: { stringValue: 'spoof' } }] }] } }],
  );
  assert.deepEqual(
    tr.samples.map((s) => rec(s.labels)),
    [{ job: 'api', instance: 'pod-7', __name__: 'g' }],
  );
});

test('histogram without sum, with fewer bucket counts than bounds; delta histogram rejected', () => {
  const tr = translate(
    [],
    [
      {
        name: 'h',
        histogram: {
          aggregationTemporality: 2,
          dataPoints: [{ count: '4', bucketCounts: ['1', '2'], explicitBounds: [0.1, 1, 10], timeUnixNano: T }],
        },
      },
      { name: 'd', histogram: { aggregationTemporality: 1, dataPoints: [{ count: '1', timeUnixNano: T }] } },
    ],
  );
  const byName = tr.samples.map((s) => {
    const l = rec(s.labels);
    return `${l.__name__}${l.le ? `{le=${l.le}}` : ''}=${s.v}`;
  });
  assert.deepEqual(byName, ['h_count=4', 'h_bucket{le=0.1}=1', 'h_bucket{le=1}=3', 'h_bucket{le=+Inf}=4']);
  assert.equal(tr.points, 2);
  assert.equal(tr.rejectedPoints, 1);
  assert.match(tr.errors[0], /"d"/);
});

test('a sum without temporality is rejected like a delta one', () => {
  const tr = translate([], [{ name: 's', sum: { isMonotonic: true, dataPoints: [{ asInt: '1', timeUnixNano: T }] } }]);
  assert.equal(tr.samples.length, 0);
  assert.equal(tr.rejectedPoints, 1);
});
