import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsFromRecord, labelsKey, validateLabels, compareLabels, formatLabels } from './labels.js';
import { STALE_NAN, isStaleNaN } from './value.js';

test('labels are sorted, empty values dropped, keys canonical', () => {
  const a = labelsFromRecord({ job: 'x', __name__: 'up', empty: '' });
  assert.deepEqual(a.map((l) => l.name), ['__name__', 'job']);
  assert.equal(labelsKey(a), labelsKey(labelsFromRecord({ __name__: 'up', job: 'x' })));
  assert.equal(formatLabels(a), 'up{job="x"}');
  assert.ok(compareLabels(a, labelsFromRecord({ __name__: 'up', job: 'y' })) < 0);
});

test('validation rejects bad names and duplicates', () => {
  assert.match(validateLabels([{ name: '__name__', value: 'a-b' }]) ?? '', /invalid metric name/);
  assert.match(validateLabels([{ name: '__name__', value: 'a' }, { name: '1x', value: 'v' }]) ?? '', /invalid label name/);
  assert.match(validateLabels([{ name: '__name__', value: 'a' }, { name: 'x', value: '1' }, { name: 'x', value: '2' }]) ?? '', /duplicate/);
  assert.equal(validateLabels([{ name: '__name__', value: 'a' }]), undefined);
});

test('stale NaN keeps its bit pattern through typed arrays', () => {
  const arr = new Float64Array([STALE_NAN, NaN]);
  assert.ok(isStaleNaN(arr[0]));
  assert.ok(!isStaleNaN(arr[1]));
  assert.ok(!isStaleNaN(1));
});
