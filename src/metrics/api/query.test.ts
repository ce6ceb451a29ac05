import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createHttpServer } from '../../server/http.js';
import type { Storage } from '../storage/interface.js';
import { Engine } from '../promql/engine.js';
import { MemoryQuerier } from '../../../test/support/memory-querier.js';
import { registerQueryRoutes } from './query.js';
import { parsePromTime, parsePromDurationParam } from './params.js';

function storageOf(q: MemoryQuerier): Storage {
  return {
    querier: () => q,
    appender: () => {
      throw new Error('read-only');
    },
    headStats: () => ({ numSeries: 0, numChunks: 0, minTime: 0, maxTime: 0, seriesCountByMetricName: [], labelValueCountByLabelName: [], memoryInBytesByLabelName: [], seriesCountByLabelValuePair: [] }),
    close: async () => {},
  };
}

function app(engine = new Engine(), perStepStats = false) {
  const q = new MemoryQuerier()
    .add({ __name__: 'up', job: 'a' }, [[0, 1], [15000, 1], [30000, 0]])
    .add({ __name__: 'up', job: 'b' }, [[0, 1e-7], [15000, 2.5e21], [30000, 12345.678]]);
  const a = createHttpServer({ logger: pino({ level: 'silent' }), bodyLimit: 1 << 20 });
  registerQueryRoutes(a, { storage: storageOf(q), engine, now: () => 30000, perStepStats });
  return a;
}

async function get(url: string, engine?: Engine, perStepStats = false) {
  const a = app(engine, perStepStats);
  const res = await a.inject({ method: 'GET', url });
  await a.close();
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

test('instant query returns Prometheus JSON with Go float formatting', async () => {
  const r = await get('/api/v1/query?query=up&time=15');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    status: 'success',
    data: {
      resultType: 'vector',
      result: [
        { metric: { __name__: 'up', job: 'a' }, value: [15, '1'] },
        { metric: { __name__: 'up', job: 'b' }, value: [15, '2.5e+21'] },
      ],
    },
  });
  const s = await get('/api/v1/query?query=1%2F3&time=1.5');
  assert.deepEqual(s.body.data, { resultType: 'scalar', result: [1.5, '0.3333333333333333'] });
  const str = await get('/api/v1/query?query=%22x%22&time=2');
  assert.deepEqual(str.body.data, { resultType: 'string', result: [2, 'x'] });
  const tiny = await get('/api/v1/query?query=up%7Bjob%3D%22b%22%7D&time=0');
  assert.equal(tiny.body.data.result[0].value[1], '1e-07');
});

test('missing time uses the clock; form POST works', async () => {
  const a = app();
  const res = await a.inject({ method: 'POST', url: '/api/v1/query', payload: 'query=time()', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await a.close();
  assert.deepEqual(res.json().data, { resultType: 'scalar', result: [30, '30'] });
});

test('range query returns a matrix and validates parameters like Prometheus', async () => {
  const ok = await get('/api/v1/query_range?query=up%7Bjob%3D%22a%22%7D&start=0&end=30&step=15s');
  assert.deepEqual(ok.body.data.result, [{ metric: { __name__: 'up', job: 'a' }, values: [[0, '1'], [15, '1'], [30, '0']] }]);
  const cases: [string, string][] = [
    ['/api/v1/query_range?query=up&start=x&end=30&step=15', 'invalid parameter "start": cannot parse "x" to a valid timestamp'],
    ['/api/v1/query_range?query=up&start=0&end=30&step=0', 'zero or negative query resolution step widths are not accepted. Try a positive integer'],
    ['/api/v1/query_range?query=up&start=30&end=0&step=1', 'end timestamp must not be before start time'],
    ['/api/v1/query_range?query=up&start=0&end=12000&step=1', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'],
    ['/api/v1/query_range?query=up&start=0&end=1&step=abc', 'invalid parameter "step": cannot parse "abc" to a valid duration'],
    ['/api/v1/query_range?query=up[5m]&start=0&end=1&step=1', 'invalid expression type "range vector" for range query, must be Scalar or instant Vector'],
    ['/api/v1/query?query=sum(', 'invalid parameter "query": 1:5: parse error: unclosed left parenthesis'],
    ['/api/v1/query?query=rate(up)', 'invalid parameter "query": 1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['/api/v1/query?query=up&time=abc', 'invalid parameter "time": cannot parse "abc" to a valid timestamp'],
    ['/api/v1/query?query=up&timeout=zz', 'invalid parameter "timeout": cannot parse "zz" to a valid duration'],
  ];
  for (const [url, msg] of cases) {
    const r = await get(url);
    assert.equal(r.status, 400, url);
    assert.deepEqual(r.body, { status: 'error', errorType: 'bad_data', error: msg }, url);
  }
});

test('execution errors are 422 with errorType execution', async () => {
  const r = await get('/api/v1/query?query=up%20%2B%20on()%20up&time=15');
  assert.equal(r.status, 422);
  assert.equal(r.body.errorType, 'execution');
  assert.match(r.body.error, /many-to-many matching not allowed/);
});

test('stats=all adds timings and (with the feature on) per-step samples', async () => {
  const def = await get('/api/v1/query_range?query=up&start=0&end=30&step=15&stats=all');
  assert.equal(def.body.data.stats.samples.totalQueryableSamplesPerStep, undefined);
  const r = await get('/api/v1/query_range?query=up&start=0&end=30&step=15&stats=all', undefined, true);
  const stats = r.body.data.stats;
  assert.deepEqual(Object.keys(stats.timings).sort(), ['evalTotalTime', 'execQueueTime', 'execTotalTime', 'innerEvalTime', 'queryPreparationTime', 'resultSortTime']);
  assert.equal(stats.samples.totalQueryableSamples, 6);
  assert.deepEqual(stats.samples.totalQueryableSamplesPerStep, [[0, 2], [15, 2], [30, 2]]);
  const plain = await get('/api/v1/query?query=up&time=15');
  assert.equal(plain.body.data.stats, undefined);
});

test('max samples and timeout give Prometheus error types', async () => {
  const small = await get('/api/v1/query_range?query=up&start=0&end=30&step=1', new Engine({ maxSamples: 10 }));
  assert.equal(small.status, 422);
  assert.equal(small.body.error, 'query processing would load too many samples into memory in query execution');
  const slow = await get('/api/v1/query_range?query=up&start=0&end=30&step=1&timeout=-1', new Engine());
  assert.equal(slow.status, 503);
  assert.deepEqual(slow.body, { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
});

test('parameter parsers follow Prometheus', () => {
  assert.equal(parsePromTime('1.5'), 1500);
  assert.equal(parsePromTime('2015-07-01T20:10:51.781Z'), 1435781451781);
  assert.throws(() => parsePromTime(''), /cannot parse "" to a valid timestamp/);
  assert.equal(parsePromDurationParam('1m30s'), 90000);
  assert.equal(parsePromDurationParam('0.5'), 500);
});

test('a client that disconnects cancels the evaluation', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inSelect = new Promise<void>((r) => (entered = r));
  const q = new MemoryQuerier().add({ __name__: 'up' }, [[0, 1]]);
  // A querier that stalls until the test lets it go, so the client can leave mid-query.
  const slow = Object.assign(Object.create(q) as MemoryQuerier, {
    select: async (...a: Parameters<MemoryQuerier['select']>) => {
      entered();
      await gate;
      return q.select(...a);
    },
  });
  let outcome: unknown;
  class SpyEngine extends Engine {
    override async instantQuery(...a: Parameters<Engine['instantQuery']>) {
      try {
        return (outcome = await super.instantQuery(...a));
      } catch (e) {
        outcome = e;
        throw e;
      }
    }
  }
  const a = createHttpServer({ logger: pino({ level: 'silent' }), bodyLimit: 1 << 20 });
  registerQueryRoutes(a, { storage: storageOf(slow), engine: new SpyEngine() });
  await a.listen({ host: '127.0.0.1', port: 0 });
  const addr = a.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const ac = new AbortController();
  const req = fetch(`http://127.0.0.1:${port}/api/v1/query?query=up&time=0`, { signal: ac.signal }).catch(() => undefined);
  // Leave only once the query is really running, however slow the machine is.
  await inSelect;
  ac.abort();
  await req;
  // The server learns of the closed socket asynchronously; give it ample time before the query may finish.
  await new Promise((r) => setTimeout(r, 500));
  release();
  for (let i = 0; i < 50 && outcome === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  await a.close();
  assert.ok(outcome instanceof Error && (outcome as { errorType?: string }).errorType === 'canceled', `outcome: ${String(outcome)}`);
});
