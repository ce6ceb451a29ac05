import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/peers/process.js';
import { findBlocks, walBytes } from './blocks.js';
import { runLoad } from './load.js';
import { buildTemplates } from './requests.js';
import { generateSeries } from './series.js';
import { dataDir, readCpuSeconds, readRss, startSystem } from './systems.js';

async function query(url: string, q: string, time: number): Promise<number> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}&time=${time / 1000}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  return Number(body.data.result[0]?.value[1] ?? NaN);
}

test('the load reaches real Prometheus 2.42 in order: every sample accepted and queryable', async () => {
  const dir = tempDir('bench-load');
  const prom = await startSystem('prometheus', { dir });
  try {
    const set = generateSeries(1500, 11);
    // Small batches and more connections than batches per round would allow a batch to overtake the
    // same series' previous round if the ordering were wrong.
    const templates = buildTemplates(set, 100);
    const start = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
    const rounds: number[] = [];
    const res = await runLoad({ url: prom.url, set, templates, startMs: start, rounds: 6, concurrency: 8, warmupRounds: 1, onRound: (r) => rounds.push(r) });
    assert.equal(res.samplesRefused, 0, res.refusals.join('\n'));
    assert.equal(res.samplesSent, 9000);
    assert.equal(res.requests, 90);
    assert.equal(rounds.length, 6);
    assert.ok(res.sustainedSamplesPerSec > 0 && Number.isFinite(res.sustainedSamplesPerSec));
    const end = start + 6 * 15000;
    assert.equal(await query(prom.url, 'count({__name__=~".+"})', end), 1500);
    const raw = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent('{__name__=~".+"}[10m]')}&time=${end / 1000}`);
    const matrix = (await raw.json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
    assert.equal(matrix.data.result.reduce((n, s) => n + s.values.length, 0), 9000);
    const expectedValues = new Map(set.labels.map((ls, i) => [JSON.stringify(Object.fromEntries(ls.map((l) => [l.name, l.value]))), set.values[i]]));
    for (const s of matrix.data.result) {
      const last = Number(s.values[s.values.length - 1][1]);
      assert.equal(last, expectedValues.get(JSON.stringify(Object.fromEntries(Object.entries(s.metric).sort(([a], [b]) => (a < b ? -1 : 1))))));
    }
    assert.ok(readRss(prom.pid).rss > 10 * 2 ** 20);
    assert.ok(readCpuSeconds(prom.pid) > 0);
    assert.ok(prom.readyMs > 0);
  } finally {
    await prom.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('after SIGKILL Prometheus replays its WAL on restart and the data is back', async () => {
  const dir = tempDir('bench-restart');
  let prom = await startSystem('prometheus', { dir });
  try {
    const set = generateSeries(3000, 12);
    const start = Math.floor((Date.now() - 600_000) / 1000) * 1000;
    await runLoad({ url: prom.url, set, templates: buildTemplates(set, 1000), startMs: start, rounds: 3, concurrency: 2 });
    await prom.stop('SIGKILL');
    assert.ok(walBytes(dataDir(dir)) > 0);
    assert.deepEqual(findBlocks(dataDir(dir)), []);
    prom = await startSystem('prometheus', { dir });
    // Prometheus writes its WAL in 32 KiB pages; a kill may lose the last partial page, not more.
    const n = await query(prom.url, 'count({__name__=~".+"})', start + 3 * 15000);
    assert.ok(n >= 2900 && n <= 3000, `${n} series after restart`);
  } finally {
    await prom.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('findBlocks reads meta.json stats and sizes a block directory', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const root = tempDir('bench-blocks');
  try {
    const b = join(root, 'data', '01HZZZZZZZZZZZZZZZZZZZZZZZ');
    mkdirSync(join(b, 'chunks'), { recursive: true });
    mkdirSync(join(root, 'data', 'wal'), { recursive: true });
    writeFileSync(join(b, 'chunks', '000001'), Buffer.alloc(1000));
    writeFileSync(join(b, 'index'), Buffer.alloc(300));
    const meta = JSON.stringify({ minTime: 0, maxTime: 7200000, stats: { numSamples: 1000, numSeries: 2, numChunks: 9 } });
    writeFileSync(join(b, 'meta.json'), meta);
    writeFileSync(join(root, 'data', 'wal', '00000000'), Buffer.alloc(5000));
    const blocks = findBlocks(join(root, 'data'));
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0].bytes, 1300 + meta.length);
    assert.equal(blocks[0].numSamples, 1000);
    assert.equal(walBytes(join(root, 'data')), 5000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
