/**
 * The storage choice for traces, measured: the same synthetic spans in (a) the embedded store's blocks and
 * (b) a ZSTD Parquet file read by DuckDB (as the log store does), sorted by trace id so row-group statistics
 * prune the trace-by-id lookup. Same queries: trace by id (all spans, payload decoded), and
 * service=svc-3 AND duration >= 500ms, newest 20 traces.
 *
 *   npx tsx bench/traces-duckdb-compare.ts [--spans 1000000]
 */
import { mkdtemp, rm, mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { openTraceStore } from '../src/traces/store/index.js';
import { writeBlock } from '../src/traces/store/block.js';
import { encodeSpans, decodeSpans } from '../src/traces/store/span-codec.js';
import type { Span } from '../src/traces/model.js';
import { makeTrace, rng, traceIdOf } from './traces-data.js';

const { values } = parseArgs({ options: { spans: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '50' } } });
const SPANS = Number(values.spans);
const RUNS = Number(values.runs);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const dir = await mkdtemp(join(tmpdir(), 'traces-duck-'));
const traces = Math.ceil(SPANS / 10);
const r = rng(42);
const base = BigInt(Date.now() - 3_600_000) * 1_000_000n;
await mkdir(join(dir, 'blocks'), { recursive: true });
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
await conn.run('CREATE TABLE spans (trace_id VARCHAR, span_id VARCHAR, service VARCHAR, name VARCHAR, start_ns BIGINT, duration_ns BIGINT, status UTINYINT, payload VARCHAR)');
let tStore = 0;
let tDuck = 0;
const PER_BLOCK = 20_000;
for (let t = 0, seq = 0; t < traces; t += PER_BLOCK, seq++) {
  const spans: Span[] = [];
  for (let k = t; k < Math.min(traces, t + PER_BLOCK); k++) spans.push(...makeTrace(k, base, r));
  let a = performance.now();
  await writeBlock(join(dir, 'blocks'), seq, spans, 0);
  tStore += performance.now() - a;
  a = performance.now();
  const app = await conn.createAppender('spans');
  for (const s of spans) {
    app.appendVarchar(s.traceId);
    app.appendVarchar(s.spanId);
    app.appendVarchar(s.serviceName);
    app.appendVarchar(s.name);
    app.appendBigInt(s.startTimeUnixNano);
    app.appendBigInt(s.endTimeUnixNano - s.startTimeUnixNano);
    app.appendUTinyInt(s.status.code === 'error' ? 2 : 0);
    app.appendVarchar(new TextDecoder().decode(encodeSpans([s])));
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
  tDuck += performance.now() - a;
}
const parquet = join(dir, 'spans.parquet');
let a = performance.now();
await conn.run(`COPY (SELECT * FROM spans ORDER BY trace_id) TO '${parquet}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
tDuck += performance.now() - a;
await conn.run('DROP TABLE spans');
console.log(`write ${SPANS.toLocaleString()} spans: blocks ${(tStore / 1000).toFixed(1)} s, DuckDB appender + sorted Parquet ${(tDuck / 1000).toFixed(1)} s; Parquet ${((await stat(parquet)).size / 1e6).toFixed(0)} MB`);

const store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
const ids = Array.from({ length: RUNS }, (_, i) => traceIdOf(Math.floor(rng(i + 1)() * traces)));
const lookStore: number[] = [];
const lookDuck: number[] = [];
for (const id of ids) {
  a = performance.now();
  const s1 = await store.getTrace(id);
  lookStore.push(performance.now() - a);
  a = performance.now();
  const res = await conn.runAndReadAll(`SELECT payload FROM read_parquet('${parquet}') WHERE trace_id = $1`, [id]);
  const s2 = res.getRows().map((row) => decodeSpans(new TextEncoder().encode(row[0] as string))[0]);
  lookDuck.push(performance.now() - a);
  if (s1?.length !== 10 || s2.length !== 10) throw new Error(`lookup mismatch ${s1?.length} ${s2.length}`);
}
console.log(`trace by id (median of ${RUNS}): store ${median(lookStore).toFixed(2)} ms, DuckDB/Parquet ${median(lookDuck).toFixed(2)} ms`);
const sStore: number[] = [];
const sDuck: number[] = [];
for (let i = 0; i < Math.min(RUNS, 15); i++) {
  a = performance.now();
  await store.search({ start: 0n, end: 2n ** 62n, serviceName: 'svc-3', minDurationNs: 500_000_000n, limit: 20 });
  sStore.push(performance.now() - a);
  a = performance.now();
  const top = await conn.runAndReadAll(
    `SELECT trace_id, max(start_ns) AS t FROM read_parquet('${parquet}') WHERE service = 'svc-3' AND duration_ns >= 500000000 GROUP BY trace_id ORDER BY t DESC LIMIT 20`,
  );
  const tids = top.getRows().map((row) => row[0] as string);
  // Like the store, return whole traces: fetch their spans.
  await conn.runAndReadAll(`SELECT payload FROM read_parquet('${parquet}') WHERE trace_id IN (${tids.map((t) => `'${t}'`).join(',')})`);
  sDuck.push(performance.now() - a);
}
console.log(`search service=svc-3 minDuration=500ms limit 20 (median): store ${median(sStore).toFixed(1)} ms, DuckDB/Parquet ${median(sDuck).toFixed(1)} ms`);
await store.close();
conn.closeSync();
await rm(dir, { recursive: true, force: true });
