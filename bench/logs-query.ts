/**
 * LogQL query benchmark over the log corpus (bench/logs-corpus.ts) in the real log store:
 *
 *   1. `{job="x"} |= "<needle>"` over the whole corpus, timed against `grep -F <needle>` over the same raw
 *      files in the same run (alternating, warm page cache for both); the ratio is the figure (goal ≤ 1.0).
 *   2. `sum by (level) (count_over_time({job="x"} | json | __error__="" [1m]))` over one hour of data,
 *      step 1m. (The issue writes it without `| __error__=""`; a third of the streams are access logs,
 *      which `| json` cannot parse, and Loki — like Sextant — then fails the query with a pipeline error.)
 *
 *   npx tsx bench/logs-query.ts [--dir /tmp/sextant-logs-query-bench] [--bytes 2G] [--duration 6h] [--runs 5]
 *
 * The corpus (raw files) and the store are built once under --dir and reused by later runs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { corpusStreams, generateCorpus, NEEDLE, parseBytes, parseDurationMs } from './logs-corpus.js';
import { openLogStore } from '../src/logs/store/index.js';
import type { LogEntry } from '../src/logs/model.js';
import { labelsFromRecord } from '../src/model/labels.js';
import { LogQLEngine, type LogQLResult } from '../src/logs/logql/engine.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/sextant-logs-query-bench' },
    bytes: { type: 'string', default: '2G' },
    duration: { type: 'string', default: '6h' },
    runs: { type: 'string', default: '5' },
  },
});
const dir = values.dir!;
const rawDir = join(dir, 'raw');
const storeDir = join(dir, 'store');
const runs = Number(values.runs);

interface Manifest {
  seed: number;
  bytes: number;
  lines: number;
  startNs: string;
  endNs: string;
  needle: string;
  needleLines: number;
  pods: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const log = (msg: string): void => void process.stderr.write(`${new Date().toISOString()} ${msg}\n`);

// ---- corpus ----
mkdirSync(dir, { recursive: true });
const paramsFile = join(dir, 'params.json');
if (!existsSync(join(rawDir, 'manifest.json'))) {
  const durationMs = parseDurationMs(values.duration!);
  const startMs = Math.floor(Date.now() / 3600000) * 3600000 - durationMs - 3600000;
  writeFileSync(paramsFile, JSON.stringify({ bytes: values.bytes, startMs, durationMs }));
  log(`writing ${values.bytes} raw corpus to ${rawDir}`);
  const r = spawnSync('npx', ['tsx', 'bench/logs-corpus.ts', '--out', rawDir, '--bytes', values.bytes!, '--start-ms', String(startMs), '--duration', values.duration!], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('corpus generation failed');
}
const params = JSON.parse(readFileSync(paramsFile, 'utf8')) as { bytes: string; startMs: number; durationMs: number };
const manifest = JSON.parse(readFileSync(join(rawDir, 'manifest.json'), 'utf8')) as Manifest;

// ---- store ----
const ingested = join(dir, 'ingested.json');
if (!existsSync(ingested)) {
  log(`ingesting ${manifest.lines} lines into ${storeDir}`);
  const store = await openLogStore({ dir: storeDir });
  const streams = corpusStreams(manifest.pods, manifest.seed).map((s) => labelsFromRecord(s.labels));
  let batch: LogEntry[] = [];
  let n = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const l of generateCorpus({ bytes: parseBytes(params.bytes), seed: manifest.seed, startMs: params.startMs, durationMs: params.durationMs, pods: manifest.pods })) {
    batch.push({ stream: streams[l.stream], ts: l.tsNs, line: l.line });
    if (batch.length === 20000) {
      const r = await store.append(batch);
      if (r.rejected.length) throw new Error(`rejected: ${JSON.stringify(r.rejected[0])}`);
      n += batch.length;
      batch = [];
      if (n % 1_000_000 === 0) log(`  ${n} lines, ${((n / (performance.now() - t0)) * 1000).toFixed(0)} lines/s`);
    }
  }
  if (batch.length) await store.append(batch);
  // Flush the last head too, so the stored size below is the columnar size (closing would leave it in the WAL).
  await (store as unknown as { flush(): Promise<void> }).flush();
  await store.close();
  const cpu = process.cpuUsage(cpu0);
  // CPU of this process (generator + store + DuckDB threads): the figure to compare on a shared machine.
  writeFileSync(ingested, JSON.stringify({ lines: manifest.lines, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
}

// ---- storage: stored bytes against gzip -6 of the same raw text (cached: the corpus does not change) ----
function dirBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + dirBytes(join(p, f)), 0);
}
const gzipFile = join(dir, 'gzip6.json');
if (!existsSync(gzipFile)) {
  log('gzip -6 of the raw corpus');
  const g = spawnSync('sh', ['-c', `cat '${rawDir}'/*.log | gzip -6 | wc -c`], { encoding: 'utf8', maxBuffer: 1 << 20 });
  writeFileSync(gzipFile, JSON.stringify({ bytes: Number(g.stdout.trim()) }));
}
const gzip6 = (JSON.parse(readFileSync(gzipFile, 'utf8')) as { bytes: number }).bytes;
const chunkDir = join(storeDir, 'chunks');
const byExt = (ext: string): number => readdirSync(chunkDir).filter((n) => n.endsWith(ext)).reduce((a, n) => a + statSync(join(chunkDir, n)).size, 0);
const stored = dirBytes(storeDir);
const storage = {
  storedBytes: stored,
  parquetBytes: byExt('.parquet'),
  indexBytes: byExt('.idx'),
  sidecarBytes: byExt('.json'),
  gzip6Bytes: gzip6,
  storedVsRaw: +(stored / manifest.bytes).toFixed(4),
  storedVsGzip6: +(stored / gzip6).toFixed(4),
  ingest: JSON.parse(readFileSync(ingested, 'utf8')) as { seconds: number; cpuSeconds?: number },
};
log(`stored ${stored} B = ${storage.storedVsGzip6} × gzip -6 (${gzip6} B)`);

// ---- queries ----
const store = await openLogStore({ dir: storeDir });
const engine = new LogQLEngine({ store });
const start = BigInt(manifest.startNs);
const end = BigInt(manifest.endNs) + 1n;

function countEntries(r: LogQLResult): number {
  return r.type === 'streams' ? r.streams.reduce((a, s) => a + s.entries.length, 0) : -1;
}

const grepTimes: number[] = [];
const needleTimes: number[] = [];
let grepHits = 0;
let needleHits = 0;
for (let i = 0; i < runs + 1; i++) {
  // The first round warms the page cache for both and is not counted.
  let t = performance.now();
  const g = spawnSync('sh', ['-c', `grep -F -r -h --exclude=manifest.json -- '${NEEDLE}' '${rawDir}' | wc -l`], { encoding: 'utf8' });
  const grepMs = performance.now() - t;
  grepHits = Number(g.stdout.trim());
  t = performance.now();
  const { result } = await engine.queryRange({ query: `{job="x"} |= "${NEEDLE}"`, start, end, stepMs: 1000, direction: 'backward', limit: 5000 });
  const needleMs = performance.now() - t;
  needleHits = countEntries(result);
  if (i > 0) {
    grepTimes.push(grepMs);
    needleTimes.push(needleMs);
  }
  log(`round ${i}: grep ${grepMs.toFixed(0)} ms (${grepHits}), sextant ${needleMs.toFixed(0)} ms (${needleHits})`);
}
if (needleHits !== manifest.needleLines || grepHits !== manifest.needleLines) {
  throw new Error(`needle hits differ: sextant ${needleHits}, grep ${grepHits}, manifest ${manifest.needleLines}`);
}

const hourStartMs = params.startMs + 2 * 3600000;
const metricQuery = 'sum by (level) (count_over_time({job="x"} | json | __error__="" [1m]))';
const metricTimes: number[] = [];
let levels = 0;
let samples = 0;
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const { result, stats } = await engine.queryRange({ query: metricQuery, start: BigInt(hourStartMs) * 1000000n, end: BigInt(hourStartMs + 3600000) * 1000000n, stepMs: 60000, direction: 'backward', limit: 0 });
  metricTimes.push(performance.now() - t);
  if (result.type === 'matrix') {
    levels = result.series.length;
    samples = result.series.reduce((a, s) => a + s.points.reduce((b, p) => b + p[1], 0), 0);
  }
  log(`metric round ${i}: ${metricTimes[i].toFixed(0)} ms, ${stats.linesProcessed} lines read`);
}
await store.close();

const out = {
  corpus: { bytes: manifest.bytes, lines: manifest.lines, needleLines: manifest.needleLines, durationMs: params.durationMs },
  storage,
  needle: { grepMs: median(grepTimes), sextantMs: median(needleTimes), ratio: median(needleTimes) / median(grepTimes), hits: needleHits },
  metric: { query: metricQuery, ms: median(metricTimes), levels, jsonLinesCounted: samples },
  runs,
  rounds: { grepMs: grepTimes.map(Math.round), sextantMs: needleTimes.map(Math.round) },
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
