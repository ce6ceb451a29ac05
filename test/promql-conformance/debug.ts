/** Manual tool: `npx tsx test/promql-conformance/debug.ts '<query>' ...` prints both answers side by side. */
import { startPair, query } from './harness.js';
import { dataStart, loadData, loadQueries, runQueries } from './run.js';

const pair = await startPair();
try {
  const t0 = dataStart();
  await loadData(pair, t0);
  const args = process.argv.slice(2);
  const mode = process.env.MODE ?? 'instant';
  for (const q0 of args.length ? args : loadQueries()) {
    const q = q0.replace(/\$\{T30\}/g, String((t0 + 1800000) / 1000));
    const params: Record<string, string> =
      mode === 'range'
        ? { query: q, start: String((t0 + 300000) / 1000), end: String((t0 + 3600000) / 1000), step: process.env.STEP ?? '60' }
        : { query: q, time: String((t0 + Number(process.env.AT ?? 1800) * 1000) / 1000) };
    const path = mode === 'range' ? '/api/v1/query_range' : '/api/v1/query';
    const [a, b] = await Promise.all([query(pair.prometheus, path, params), query(pair.sextant, path, params)]);
    console.log('QUERY', q, '\n  prometheus:', JSON.stringify(a).slice(0, 3000), '\n  sextant:   ', JSON.stringify(b).slice(0, 3000));
  }
  if (process.env.ALL) {
    const out = await runQueries(pair, t0, loadQueries());
    for (const o of out) if (o.failure) console.log('FAIL', o.query, o.failure);
  }
} finally {
  await pair.stop();
}
