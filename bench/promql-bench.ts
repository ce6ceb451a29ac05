/**
 * PromQL range-query latency, Sextant vs Prometheus 2.42, on the same data: 10,000 series over 24 hours
 * (5,000 counters, 5,000 classic histogram buckets) at a 60 s interval.
 *
 *   npx tsx bench/promql-bench.ts [--series-scale 1] [--runs 7]
 *
 * Prometheus (Debian 2.42, started on loopback) receives the data by remote_write in time order; Sextant
 * (in-process real TSDB + query API) through its Appender. Both are then queried over HTTP with the same
 * range queries; the median latency of each, the ratio and the geometric mean of the ratios are printed
 * as a Markdown table.
 */
import pino from 'pino';
import { rmSync } from 'node:fs';
import { labelsFromRecord, type Labels } from '../src/model/labels.js';
import { createHttpServer } from '../src/server/http.js';
import { TSDB } from '../src/metrics/tsdb/db.js';
import { encodeWriteRequest, snappyCompress } from '../src/metrics/remote/codec.js';
import { registerQueryRoutes } from '../src/metrics/api/query.js';
import { Engine } from '../src/metrics/promql/engine.js';
import { startPrometheus } from '../test/peers/prometheus.js';
import { tempDir } from '../test/peers/process.js';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SCALE = opt('series-scale', 1);
const RUNS = opt('runs', 7);
const INTERVAL = 60_000;
const SPAN = 24 * 3600_000;

interface Gen {
  labels: Labels;
  next: (i: number) => number;
}

function series(): Gen[] {
  const out: Gen[] = [];
  const jobs = 10;
  const instances = Math.round(100 * SCALE);
  const codes = ['200', '201', '404', '500', '503'];
  for (let j = 0; j < jobs; j++) {
    for (let k = 0; k < instances; k++) {
      for (const code of codes) {
        const rate = 1 + ((j * 31 + k * 7 + code.charCodeAt(0)) % 50);
        let v = 0;
        out.push({
          labels: labelsFromRecord({ __name__: 'bench_requests_total', job: `job-${j}`, instance: `i${k}`, code }),
          next: (i) => {
            v += rate * (0.5 + ((i * 7919 + k) % 100) / 100);
            if (i % 997 === k % 997) v = 0; // occasional counter reset
            return Math.round(v);
          },
        });
      }
    }
  }
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (let j = 0; j < jobs; j++) {
    for (let k = 0; k < instances / 2; k++) {
      les.forEach((le, b) => {
        let v = 0;
        out.push({
          labels: labelsFromRecord({ __name__: 'bench_latency_seconds_bucket', job: `job-${j}`, instance: `i${k}`, le }),
          next: (i) => {
            v += Math.floor((b + 1) * (3 + ((i + k) % 5)));
            return v;
          },
        });
      });
    }
  }
  return out;
}

const QUERIES: [string, string][] = [
  ['sum by (job) (rate)', 'sum by (job) (rate(bench_requests_total[5m]))'],
  ['histogram_quantile', 'histogram_quantile(0.99, sum by (le) (rate(bench_latency_seconds_bucket[5m])))'],
  ['topk', 'topk(10, sum by (instance) (rate(bench_requests_total[5m])))'],
  ['regex matcher', 'sum(rate(bench_requests_total{instance=~"i1.*|i2[0-5]", code!~"5.."}[5m]))'],
  ['subquery', 'max_over_time(sum by (job) (rate(bench_requests_total[5m]))[1h:5m])'],
  ['binary of aggregations', 'sum by (job) (rate(bench_requests_total{code=~"5.."}[5m])) / sum by (job) (rate(bench_requests_total[5m]))'],
];

async function timeQuery(url: string, q: string, start: number, end: number, step: number): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: q, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) }).toString(),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  const ms = performance.now() - t;
  if (body.status !== 'success') throw new Error(`${url}: ${q}: ${body.error}`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const gens = series();
  const end = Math.floor(Date.now() / INTERVAL) * INTERVAL - INTERVAL;
  const start = end - SPAN;
  const points = SPAN / INTERVAL + 1;
  console.error(`${gens.length} series x ${points} points`);

  const prom = await startPrometheus('global:\n  scrape_interval: 15s\n');
  const dir = tempDir('promql-bench');
  const db = await TSDB.open({ dir });
  const logger = pino({ level: 'silent' });
  const app = createHttpServer({ logger, bodyLimit: 64 * 1024 * 1024 });
  registerQueryRoutes(app, { storage: db, engine: new Engine() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const sextantUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  try {
    const t0 = performance.now();
    const chunk = 30; // samples per series per request
    for (let from = 0; from < points; from += chunk) {
      const batch = gens.map((g) => {
        const samples = [];
        for (let i = from; i < Math.min(points, from + chunk); i++) samples.push({ t: start + i * INTERVAL, v: g.next(i) });
        return { labels: g.labels, samples };
      });
      const app2 = db.appender();
      for (const s of batch) for (const p of s.samples) app2.append(s.labels, p.t, p.v);
      const body = snappyCompress(encodeWriteRequest(batch));
      const [res] = await Promise.all([
        fetch(`${prom.url}/api/v1/write`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
          body,
        }),
        app2.commit(),
      ]);
      if (res.status >= 300) throw new Error(`remote write: ${res.status} ${await res.text()}`);
    }
    console.error(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Let Prometheus finish head compaction before timing.
    await new Promise((r) => setTimeout(r, 5000));

    const step = 5 * 60_000;
    const rows: { name: string; q: string; prom: number; sextant: number }[] = [];
    for (const [name, q] of QUERIES) {
      await timeQuery(prom.url, q, start, end, step);
      await timeQuery(sextantUrl, q, start, end, step);
      const p: number[] = [];
      const s: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        p.push(await timeQuery(prom.url, q, start, end, step));
        s.push(await timeQuery(sextantUrl, q, start, end, step));
      }
      rows.push({ name, q, prom: median(p), sextant: median(s) });
      console.error(`${name}: prometheus ${median(p).toFixed(1)} ms, sextant ${median(s).toFixed(1)} ms`);
    }
    const ratios = rows.map((r) => r.sextant / r.prom);
    const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
    console.log(`Data: ${gens.length} series x ${points} samples (24 h at 60 s); range queries over the 24 h, step 5m; median of ${RUNS} runs each.\n`);
    console.log('| Query | Prometheus 2.42 (ms) | Sextant (ms) | Ratio (Sextant/Prometheus) |');
    console.log('|---|---:|---:|---:|');
    for (const r of rows) console.log(`| \`${r.q}\` | ${r.prom.toFixed(1)} | ${r.sextant.toFixed(1)} | ${(r.sextant / r.prom).toFixed(2)} |`);
    console.log(`| **Geometric mean of ratios** | | | **${geo.toFixed(2)}** |`);
  } finally {
    await app.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
    await prom.stop();
  }
}

await main();
