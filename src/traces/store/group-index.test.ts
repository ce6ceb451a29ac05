import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttrValue, Span } from '../model.js';
import type { SpanCondition } from './interface.js';
import { blockMayMatch, GroupIndex, GroupIndexBuilder, usesIndex, type GroupIndexVersion } from './group-index.js';
import { collectTags } from './block.js';
import { matchCondition } from './span-match.js';
import { makeSpan } from './testdata/spans.js';

/** Groups of spans with varied attribute types, built into an index the way writeBlock does. */
function build(groups: Span[][], version: GroupIndexVersion = 2): GroupIndex {
  const b = new GroupIndexBuilder(version);
  for (const g of groups) {
    for (const s of g) b.addSpan(s);
    b.closeGroup();
  }
  const { bytes, numericKeys, unindexedKeys } = b.finish();
  return new GroupIndex(bytes, numericKeys, version, version === 2 ? unindexedKeys : undefined);
}

const values: AttrValue[] = [500, 200, '500', 'POST', 'GET', true, false, 9007199254740993n, 2.5, 'x'.repeat(300), null, [1, 2], { k: 'v' }, '', ' 7 '];

function groupsOfValues(): Span[][] {
  // Group g holds value g (as span attribute "v") and value g+1 (as resource attribute "v").
  return values.map((v, g) => [
    makeSpan(g, 0, { attributes: { v } }),
    makeSpan(g, 1, { attributes: { other: 'o' }, resource: { 'service.name': 's', v: values[(g + 1) % values.length] } }),
  ]);
}

// Version 1 (the first hash) is still read: blocks written with it keep being searched without misses.
for (const version of [1, 2] as const) {
  test(`group index v${version}: never rules out a group holding a match (equality and ranges, every value type, all scopes)`, () => {
    const groups = groupsOfValues();
    const gi = build(groups, version);
    assert.equal(gi.groupCount, groups.length);
    const probes: AttrValue[] = [500, '500', 200, 'POST', 'post', true, 'true', false, 9007199254740993n, 9007199254740992, 2.5, '2.5', 'x'.repeat(300), '', '[1,2]', 7, ' 7 ', 'absent'];
    const ops: SpanCondition['op'][] = ['=', '>', '>=', '<', '<='];
    let ruledOut = 0;
    for (const field of ['span.v', 'resource.v', '.v', 'v']) {
      for (const op of ops) {
        for (const value of probes) {
          const c: SpanCondition = { field, op, value };
          for (let g = 0; g < groups.length; g++) {
            const truth = groups[g].some((s) => matchCondition(s, c));
            const maybe = gi.mayMatch(g, [c]);
            if (truth) assert.ok(maybe, `group ${g} holds a match of ${field} ${op} ${String(value)} but the index ruled it out`);
            if (!maybe) ruledOut++;
          }
        }
      }
    }
    // ...and it is useful: most (group, condition) pairs without a match are ruled out.
    assert.ok(ruledOut > 800, `only ${ruledOut} ruled out`);
  });
}

test('group index: specific answers for the common conditions', () => {
  const gi = build([
    [makeSpan(0, 0, { attributes: { 'http.status_code': 200, 'http.method': 'GET' } })],
    [makeSpan(1, 0, { attributes: { 'http.status_code': 503, 'http.method': 'POST' } })],
    [makeSpan(2, 0, { attributes: {}, resource: { 'service.name': 'a', 'k8s.namespace.name': 'shop' } })],
  ]);
  const may = (c: SpanCondition): boolean[] => [0, 1, 2].map((g) => gi.mayMatch(g, [c]));
  assert.deepEqual(may({ field: 'span.http.status_code', op: '=', value: 500 }), [false, false, false]);
  assert.deepEqual(may({ field: 'span.http.status_code', op: '>=', value: 500 }), [false, true, false]);
  assert.deepEqual(may({ field: 'span.http.status_code', op: '<', value: 300 }), [true, false, false]);
  assert.deepEqual(may({ field: '.http.method', op: '=', value: 'POST' }), [false, true, false]);
  assert.deepEqual(may({ field: 'resource.k8s.namespace.name', op: '=', value: 'shop' }), [false, false, true]);
  // Not indexable: intrinsics, negations, regexes answer "maybe".
  assert.deepEqual(may({ field: 'name', op: '=', value: 'x' }), [true, true, true]);
  assert.deepEqual(may({ field: 'span.http.method', op: '!=', value: 'GET' }), [true, true, true]);
  assert.deepEqual(may({ field: 'span.http.method', op: '=~', value: 'P.*' }), [true, true, true]);
  assert.equal(usesIndex([{ field: 'span.http.method', op: '=~', value: 'P.*' }]), false);
  assert.equal(usesIndex([{ field: 'kind', op: '=', value: 'server' }, { field: 'span.a', op: '=', value: 1 }]), true);
});

test('group index: a damaged file is refused (the block is then read whole)', () => {
  const b = new GroupIndexBuilder();
  b.addSpan(makeSpan(0, 0));
  b.closeGroup();
  const { bytes, numericKeys } = b.finish();
  assert.throws(() => new GroupIndex(bytes.subarray(0, bytes.length - 3), numericKeys), /size mismatch/);
  assert.throws(() => new GroupIndex(bytes, [...numericKeys, 'span.extra']), /numeric key count/);
});

test('block value catalog: rules out a block only when no span can match, and rules out absent values', () => {
  const probes: AttrValue[] = [500, '500', 200, 'POST', true, 'true', false, 9007199254740993n, 9007199254740992, 2.5, '2.5', 'x'.repeat(300), '', 7, ' 7 ', 'absent'];
  let ruledOut = 0;
  for (const spans of groupsOfValues()) {
    // One "block" per group of values, with its catalog and unindexed keys as writeBlock records them.
    const sets = { resource: new Map<string, Set<string>>(), span: new Map<string, Set<string>>() };
    const b = new GroupIndexBuilder(2);
    for (const s of spans) {
      collectTags(s, sets);
      b.addSpan(s);
    }
    b.closeGroup();
    const { unindexedKeys } = b.finish();
    const rec = (m: Map<string, Set<string>>): Record<string, string[]> => Object.fromEntries([...m].map(([k, v]) => [k, [...v]]));
    const tags = { resource: rec(sets.resource), span: rec(sets.span) };
    for (const field of ['span.v', 'resource.v', '.v', 'v']) {
      for (const value of probes) {
        const c: SpanCondition = { field, op: '=', value };
        const truth = spans.some((s) => matchCondition(s, c));
        const may = blockMayMatch(tags, unindexedKeys, 1000, [c]);
        if (truth) assert.ok(may, `${field} = ${String(value)} holds in the block but was ruled out`);
        if (!may) ruledOut++;
      }
    }
    // A capped value list (as many values as the cap) decides nothing; no catalog (version 1) neither.
    assert.equal(blockMayMatch(tags, unindexedKeys, 1, [{ field: 'span.v', op: '=', value: 'absent' }]), spans[0].attributes.v !== undefined);
    assert.equal(blockMayMatch(tags, undefined, 1000, [{ field: 'span.v', op: '=', value: 'absent' }]), true);
  }
  assert.ok(ruledOut > 150, `only ${ruledOut} ruled out`);
});
