import test from 'node:test';
import assert from 'node:assert/strict';
import { formatFloatF } from './float-text.js';

test('formatFloatF writes Go strconv.FormatFloat(v, f, -1, 64) text: shortest digits, no exponent', () => {
  const cases: [number, string][] = [
    [0.005, '0.005'],
    [10, '10'],
    [0.25, '0.25'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e-8, '-0.000000025'],
    [1.2345e22, '12345000000000000000000'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [v, want] of cases) assert.equal(formatFloatF(v), want, String(v));
});
