/**
 * Differential PromQL conformance: the same remote-written data in Debian's Prometheus 2.42 and in Sextant,
 * the same queries (queries.txt) against both HTTP APIs, answers compared (same label sets, floats within
 * 1e-9 relative, NaN equal to NaN, same error type and message).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { query, startPair } from './harness.js';
import { dataStart, loadData, loadQueries, runQueries } from './run.js';

interface Stats {
  samples: { totalQueryableSamples: number };
}

function shape(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return typeof v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
}

/** Queries that differ for a documented reason (each line: query, tab, reason). Empty means every query must pass. */
function knownFailures(): Map<string, string> {
  const text = readFileSync(join(import.meta.dirname, 'known-failures.txt'), 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [q, reason] = line.split('\t');
    out.set(q === '(empty)' ? '' : q, reason ?? '');
  }
  return out;
}

test('PromQL answers match Prometheus 2.42', { timeout: 600_000 }, async () => {
  const queries = loadQueries();
  assert.ok(queries.length >= 500, `only ${queries.length} queries`);
  const pair = await startPair();
  try {
    const t0 = dataStart();
    await loadData(pair, t0);
    const outcomes = await runQueries(pair, t0, queries);
    const failed = outcomes.filter((o) => o.failure);
    const known = knownFailures();
    for (const f of failed) console.log(`FAIL ${JSON.stringify(f.query)}${known.has(f.query) ? ' (known)' : ''}\n    ${f.failure}`);
    console.log(`${outcomes.length - failed.length} passed, ${failed.length} failed`);
    const unexpected = failed.filter((f) => !known.has(f.query)).map((f) => f.query);
    assert.deepEqual(unexpected, [], `${unexpected.length} queries differ from Prometheus`);

    // stats=all: same JSON shape; the number of samples read agrees for a plain selector and a rate.
    for (const q of ['http_requests_total', 'sum(rate(http_requests_total[5m]))']) {
      const params = { query: q, start: String((t0 + 600_000) / 1000), end: String((t0 + 900_000) / 1000), step: '60', stats: 'all' };
      const [a, b] = await Promise.all([query(pair.prometheus, '/api/v1/query_range', params), query(pair.sextant, '/api/v1/query_range', params)]);
      const sa = (a.data as unknown as { stats: Stats }).stats;
      const sb = (b.data as unknown as { stats: Stats }).stats;
      assert.deepEqual(shape(sb), shape(sa), q);
      assert.equal(sb.samples.totalQueryableSamples, sa.samples.totalQueryableSamples, q);
    }
  } finally {
    await pair.stop();
  }
});
