// The log paths wired into the real server: push through Loki's API, _bulk and OTLP, read back through the
// Loki query API (part 2's routes), the ES banner on GET / for shippers, and logs surviving a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startSextant } from '../../src/server/sextant.js';

test('real server: Loki push + _bulk ingest, query_range reads them, restart keeps them', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sextant-logs-'));
  const logger = pino({ level: 'silent' });
  let sx = await startSextant({ dataDir, listen: '127.0.0.1:0', logger, defaultScrapeIntervalMs: 60_000 });
  try {
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    let r = await fetch(`${sx.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streams: [{ stream: { job: 'e2e' }, values: [[String(nowNs - 2000n), 'hello needle'], [String(nowNs - 1000n), 'other']] }] }),
    });
    assert.equal(r.status, 204);
    r = await fetch(`${sx.url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ create: { _index: 'e2e-es' } })}\n${JSON.stringify({ '@timestamp': new Date().toISOString(), message: 'from bulk needle' })}\n`,
    });
    assert.equal(r.status, 200);
    r = await fetch(`${sx.url}/`, { headers: { accept: 'application/json' } });
    assert.equal(((await r.json()) as { version: { number: string } }).version.number, '8.11.0');

    const query = async (): Promise<string[]> => {
      const q = new URLSearchParams({ query: '{job=~".+"} |= "needle"', start: String(nowNs - 3_600_000_000_000n), end: String(nowNs + 60_000_000_000n), limit: '100' });
      const res = await fetch(`${sx.url}/loki/api/v1/query_range?${q}`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { data: { result: { values: [string, string][] }[] } };
      return body.data.result.flatMap((s) => s.values.map((v) => v[1])).sort();
    };
    assert.deepEqual(await query(), ['hello needle']);
    const q2 = new URLSearchParams({ query: '{index="e2e-es"}', start: String(nowNs - 3_600_000_000_000n), end: String(nowNs + 60_000_000_000n) });
    const es = (await (await fetch(`${sx.url}/loki/api/v1/query_range?${q2}`)).json()) as { data: { result: { values: [string, string][] }[] } };
    assert.equal(es.data.result[0]?.values[0]?.[1], 'from bulk needle');

    await sx.stop();
    sx = await startSextant({ dataDir, listen: '127.0.0.1:0', logger, defaultScrapeIntervalMs: 60_000 });
    assert.deepEqual(await query(), ['hello needle']);
  } finally {
    await sx.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
