import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STALE_NAN } from '../../model/value.js';
import { MemoryQuerier } from '../../../test/support/memory-querier.js';
import { Engine, PromQLError } from './engine.js';
import { parseExpr } from './parser/index.js';

const q = new MemoryQuerier()
  .add({ __name__: 'm', i: '1' }, [[0, 1], [60000, 2], [120000, STALE_NAN], [240000, 4]])
  .add({ __name__: 'c', i: '1' }, [[0, 0], [15000, 10], [30000, 20], [45000, 5], [60000, 15]]);

function values(r: Awaited<ReturnType<Engine['rangeQuery']>>): [number, number][] {
  assert.equal(r.resultType, 'matrix');
  const s = r.result[0];
  return s.timestamps.map((t, i) => [t, s.values[i]]);
}

test('staleness marker ends the lookback; a lookback option shortens it', async () => {
  const e = new Engine();
  assert.deepEqual(values(await e.rangeQuery(q, 'm', 0, 240000, 60000)), [[0, 1], [60000, 2], [240000, 4]]);
  const short = new Engine({ lookbackDeltaMs: 30000 });
  assert.deepEqual(values(await short.rangeQuery(q, 'm', 0, 90000, 30000)), [[0, 1], [30000, 1], [60000, 2], [90000, 2]]);
});

test('rate handles a counter reset and extrapolates like Prometheus', async () => {
  const e = new Engine();
  const r = await e.instantQuery(q, 'increase(c[1m])', 60000);
  assert.equal(r.resultType, 'vector');
  // 20 + 5 + 10 over 60 s of samples; the zero point limits extrapolation at the start.
  assert.equal(r.result[0].v, 35);
});

test('subquery steps are aligned to multiples of the step', async () => {
  const e = new Engine();
  const r = await e.instantQuery(q, 'c[50s:20s]', 60000);
  assert.equal(r.resultType, 'matrix');
  assert.deepEqual(r.result[0].timestamps, [20000, 40000, 60000]);
  assert.deepEqual(r.result[0].values, [10, 20, 15]);
});

test('cancellation and timeout raise Prometheus error types', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(new Engine().instantQuery(q, 'c', 0, ac.signal), (err: unknown) => err instanceof PromQLError && err.errorType === 'canceled');
  await assert.rejects(new Engine({ timeoutMs: -1 }).instantQuery(q, 'c', 0), (err: unknown) => err instanceof PromQLError && err.errorType === 'timeout');
});

test('parse errors carry Prometheus positions and messages', () => {
  assert.throws(() => parseExpr('sum(rate(x[5m])) by'), /^Error|parse error/);
  assert.throws(() => parseExpr('1 > 2'), { message: '1:3: parse error: comparisons between scalars must use BOOL modifier' });
  assert.throws(() => parseExpr('foo(x)'), { message: '1:1: parse error: unknown function with name "foo"' });
  const e = parseExpr('a + b offset 5m');
  assert.equal(e.kind, 'binary');
  assert.ok(e.kind === 'binary' && e.rhs.kind === 'vectorSelector' && e.rhs.offsetMs === 300000);
  const p = parseExpr('-2 ^ 2');
  assert.equal(p.kind, 'unary');
});

test('parse cache: repeated texts reuse the parse yet @ start()/end() resolve per query, as with no cache', async () => {
  const cached = new Engine({ parseCacheSize: 2 });
  const uncached = new Engine({ parseCacheSize: 0 });
  const exprs = [
    'm @ end()',
    'c @ start() + c',
    'sum(c @ end()) * on() group_left() max(m)',
    'max_over_time(c[30s:15s] @ end())',
    'topk(scalar(c @ start()), c)',
    'm @ end()',
    'rate(c[1m] @ start())',
  ];
  const ranges: [number, number][] = [[0, 60000], [15000, 45000], [30000, 60000], [0, 15000]];
  for (let round = 0; round < 2; round++) {
    for (const x of exprs) {
      for (const [s, e] of ranges) {
        assert.deepEqual(
          (await cached.rangeQuery(q, x, s, e, 15000)).result,
          (await uncached.rangeQuery(q, x, s, e, 15000)).result,
          `${x} over [${s},${e}]`,
        );
        assert.deepEqual((await cached.instantQuery(q, x, e)).result, (await uncached.instantQuery(q, x, e)).result, `${x} at ${e}`);
      }
    }
  }
  // A parse error is thrown every time, not cached as a result.
  for (let i = 0; i < 2; i++) assert.throws(() => cached.parseForRange('sum(('), PromQLError);
  // Range-query type checking still applies to cached texts.
  await cached.instantQuery(q, 'c[1m]', 60000);
  await assert.rejects(cached.rangeQuery(q, 'c[1m]', 0, 60000, 15000), /invalid expression type "range vector"/);
});

test('parse cache returns copies: mutating one query tree does not leak into the next', () => {
  const e = new Engine();
  const a = e.parseForRange('sum(rate(c[1m] @ end())) + m');
  assert.equal(a.kind, 'binary');
  if (a.kind === 'binary') a.lhs = { kind: 'number', value: 1, pos: a.lhs.pos };
  const b = e.parseForRange('sum(rate(c[1m] @ end())) + m');
  assert.notEqual(a, b);
  assert.equal(b.kind === 'binary' && b.lhs.kind, 'aggregate');
});
