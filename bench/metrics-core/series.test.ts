import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelsKey, validateLabels } from '../../src/model/labels.js';
import { advance, generateSeries, resetValues, targetTimestamp, ValueKind } from './series.js';

const START = Date.UTC(2026, 0, 1, 0, 0, 0);

test('series: exactly n valid, unique series with 5 to 8 labels, deterministic per seed', () => {
  const a = generateSeries(5000, 7);
  const b = generateSeries(5000, 7);
  assert.equal(a.labels.length, 5000);
  assert.deepEqual(a.labels, b.labels);
  assert.deepEqual(a.values, b.values);
  const keys = new Set(a.labels.map(labelsKey));
  assert.equal(keys.size, 5000, 'series are unique');
  for (const ls of a.labels) {
    assert.equal(validateLabels(ls), undefined);
    assert.ok(ls.length >= 5 && ls.length <= 8, `${ls.length} labels in ${labelsKey(ls)}`);
    assert.equal(ls[0].name, '__name__');
  }
  // Targets cover every series once, in order.
  let next = 0;
  for (const t of a.targets) {
    assert.equal(t.first, next);
    assert.ok(t.end > t.first && t.offsetMs >= 0 && t.offsetMs < 15000);
    next = t.end;
  }
  assert.equal(next, 5000);
  assert.notDeepEqual(generateSeries(5000, 8).values, a.values);
});

test('series: counters never decrease, constants never move, a mix of moving and constant values', () => {
  const s = generateSeries(3000, 1);
  const before = Float64Array.from(s.values);
  for (let r = 0; r < 20; r++) advance(s);
  let changed = 0;
  for (let i = 0; i < s.values.length; i++) {
    const k = s.kinds[i] as ValueKind;
    if (k === ValueKind.Constant) assert.equal(s.values[i], before[i]);
    if (k === ValueKind.IntCounter || k === ValueKind.CentiCounter || k === ValueKind.FloatCounter || k === ValueKind.SmallCounter || k === ValueKind.RareCounter) {
      assert.ok(s.values[i] >= before[i]);
    }
    if (s.values[i] !== before[i]) changed++;
  }
  // A realistic mix: neither all constant nor all moving.
  assert.ok(changed > 0.3 * s.values.length && changed < 0.9 * s.values.length, `${changed} of ${s.values.length} moved`);
  resetValues(s);
  assert.deepEqual(s.values, before);
});

test('timestamps: per target, 15 s apart within a few ms, strictly increasing', () => {
  const s = generateSeries(2000, 3);
  for (let t = 0; t < s.targets.length; t++) {
    let prev = -Infinity;
    for (let r = 0; r < 50; r++) {
      const ts = targetTimestamp(s, t, START + r * 15000, r);
      assert.ok(ts > prev);
      assert.ok(Math.abs(ts - (START + r * 15000 + s.targets[t].offsetMs)) <= 1);
      prev = ts;
    }
  }
});
