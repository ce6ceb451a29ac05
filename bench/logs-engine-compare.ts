/**
 * DuckDB vs chdb as the embedded log engine, on the same slice of the log corpus (bench/logs-corpus.ts):
 * load time, JS → engine append rate (the store's real write path), stored bytes vs gzip -6, search and
 * top-N query times, and the worst event-loop stall while a load or query runs (the JS-side append loops are
 * synchronous in both and excluded). Both engines use ZSTD level 7.
 *
 * chdb is ~550 MB and not a dependency: install it outside the repo and point CHDB_DIR at it:
 *
 *   mkdir -p /tmp/chdb-bench && (cd /tmp/chdb-bench && npm init -y && npm install chdb)
 *   CHDB_DIR=/tmp/chdb-bench/node_modules/chdb npx tsx bench/logs-engine-compare.ts [--bytes 256M] [--rounds 3]
 */
import { createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateCorpus, NEEDLE, parseBytes } from './logs-corpus.js';

interface ChdbResult {
  text(): string;
}
interface ChdbSession {
  queryAsync(q: string, opts?: { format?: string }): Promise<ChdbResult>;
  insert(p: { table: string; values: string; format: 'JSONCompactEachRow' }): Promise<unknown>;
  close(): void;
}

const { values } = parseArgs({ options: { bytes: { type: 'string', default: '256M' }, rounds: { type: 'string', default: '3' } } });
const bytes = parseBytes(values.bytes);
const rounds = Number(values.rounds);
const dir = mkdtempSync(join(tmpdir(), 'engine-compare-'));
const ndjson = join(dir, 'rows.ndjson');
const raw = join(dir, 'raw.log');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function dirBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + dirBytes(join(p, f)), 0);
}

/** Runs fn while sampling event-loop delay every 5 ms; returns its time and the worst stall. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; maxLagMs: number; value: T }> {
  let maxLag = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 5);
    last = now;
  }, 5);
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  clearInterval(timer);
  return { ms, maxLagMs: maxLag, value };
}

async function writeInputs(): Promise<{ lines: number; rawBytes: number; sample: [number, bigint, string][] }> {
  const out = createWriteStream(ndjson);
  const rawOut = createWriteStream(raw);
  let lines = 0;
  let rawBytes = 0;
  const sample: [number, bigint, string][] = [];
  let buf = '';
  let rbuf = '';
  for (const l of generateCorpus({ bytes, startMs: Date.now() - 3_600_000, durationMs: 3_600_000 })) {
    buf += `${JSON.stringify({ stream_id: l.stream, ts: l.tsNs.toString(), line: l.line })}\n`;
    rbuf += `${l.line}\n`;
    if (sample.length < 200_000) sample.push([l.stream, l.tsNs, l.line]);
    lines++;
    rawBytes += Buffer.byteLength(l.line) + 1;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise((r) => out.once('drain', () => r(undefined)));
      if (!rawOut.write(rbuf)) await new Promise((r) => rawOut.once('drain', () => r(undefined)));
      buf = '';
      rbuf = '';
    }
  }
  out.write(buf);
  rawOut.write(rbuf);
  await new Promise<void>((r) => out.end(() => r()));
  await new Promise<void>((r) => rawOut.end(() => r()));
  return { lines, rawBytes, sample };
}

const results: Record<string, Record<string, number | string>> = {};

async function benchDuckDB(sample: [number, bigint, string][]): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const parquet = join(dir, 'duck.parquet');
  const load = await timed(() =>
    conn.run(
      // read_ndjson_objects + ->>: read_json with a VARCHAR column would try to parse JSON-looking strings.
      `COPY (SELECT (j->>'stream_id')::UINTEGER AS stream_id, (j->>'ts')::BIGINT AS ts, j->>'line' AS line FROM read_ndjson_objects('${ndjson}') AS t(j) ORDER BY stream_id, ts) ` +
        `TO '${parquet}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 7, ROW_GROUP_SIZE 122880, PARQUET_VERSION V2)`,
    ),
  );
  // The store's write path: rows appended from JS, then written as one Parquet file.
  await conn.run('CREATE TEMP TABLE head (stream_id UINTEGER, ts BIGINT, line VARCHAR)');
  const append = await timed(async () => {
    const app = await conn.createAppender('head');
    for (const [s, ts, line] of sample) {
      app.appendUInteger(s);
      app.appendBigInt(ts);
      app.appendVarchar(line);
      app.endRow();
    }
    app.flushSync();
    app.closeSync();
    await conn.run(`COPY (SELECT * FROM head ORDER BY stream_id, ts) TO '${join(dir, 'head.parquet')}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 7, PARQUET_VERSION V2)`);
  });
  const search: number[] = [];
  const topn: number[] = [];
  const agg: number[] = [];
  let lag = 0;
  let hits = '';
  for (let i = 0; i < rounds; i++) {
    const a = await timed(async () => (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${parquet}') WHERE contains(line, '${NEEDLE}')`)).getRows()[0][0]);
    hits = String(a.value);
    const b = await timed(() => conn.runAndReadAll(`SELECT stream_id, ts, line FROM read_parquet('${parquet}') WHERE stream_id IN (1, 5, 9) ORDER BY ts DESC LIMIT 1000`));
    const c = await timed(() =>
      conn.runAndReadAll(`SELECT json_extract_string(line, '$.level') AS level, count(*) FROM read_parquet('${parquet}') WHERE starts_with(line, '{') AND json_valid(line) GROUP BY level`),
    );
    search.push(a.ms);
    topn.push(b.ms);
    agg.push(c.ms);
    lag = Math.max(lag, a.maxLagMs, b.maxLagMs, c.maxLagMs);
  }
  results.duckdb = {
    load_s: +(load.ms / 1000).toFixed(2),
    js_append_rows_per_s: Math.round(sample.length / (append.ms / 1000)),
    stored_bytes: statSync(parquet).size,
    search_needle_ms: Math.round(median(search)),
    needle_hits: hits,
    topn_3_streams_ms: Math.round(median(topn)),
    count_by_level_json_ms: Math.round(median(agg)),
    max_event_loop_stall_ms: Math.round(Math.max(lag, load.maxLagMs)),
    installed_mb: Math.round(dirBytes(join(import.meta.dirname, '..', 'node_modules', '@duckdb')) / 1e6),
  };
  conn.closeSync();
  db.closeSync();
}

async function benchChdb(sample: [number, bigint, string][]): Promise<void> {
  const chdbDir = process.env.CHDB_DIR;
  if (!chdbDir) {
    process.stderr.write('CHDB_DIR not set: skipping chdb\n');
    return;
  }
  const mod = (await import(join(chdbDir, 'index.js'))) as { Session: new (path: string) => ChdbSession };
  const sessDir = join(dir, 'chdb');
  const s = new mod.Session(sessDir);
  await s.queryAsync(
    'CREATE TABLE logs (stream_id UInt32, ts Int64, line String CODEC(ZSTD(7))) ENGINE = MergeTree ORDER BY (stream_id, ts)',
  );
  const load = await timed(async () => {
    await s.queryAsync(`INSERT INTO logs SELECT stream_id, toInt64(ts), line FROM file('${ndjson}', JSONEachRow, 'stream_id UInt32, ts String, line String')`);
    await s.queryAsync('OPTIMIZE TABLE logs FINAL');
  });
  await s.queryAsync('CREATE TABLE head (stream_id UInt32, ts Int64, line String CODEC(ZSTD(7))) ENGINE = MergeTree ORDER BY (stream_id, ts)');
  const append = await timed(async () => {
    // chdb's insert takes text; JSONCompactEachRow is its cheapest JS-side format.
    let payload = '';
    for (const [st, ts, line] of sample) payload += `[${st},${ts},${JSON.stringify(line)}]\n`;
    await s.insert({ table: 'head', values: payload, format: 'JSONCompactEachRow' });
  });
  const stored = Number((await s.queryAsync("SELECT sum(bytes_on_disk) FROM system.parts WHERE table = 'logs' AND active", { format: 'CSV' })).text().trim());
  const search: number[] = [];
  const topn: number[] = [];
  const agg: number[] = [];
  let lag = 0;
  let hits = '';
  for (let i = 0; i < rounds; i++) {
    const a = await timed(async () => (await s.queryAsync(`SELECT count() FROM logs WHERE position(line, '${NEEDLE}') > 0`, { format: 'CSV' })).text().trim());
    hits = a.value;
    const b = await timed(() => s.queryAsync('SELECT stream_id, ts, line FROM logs WHERE stream_id IN (1, 5, 9) ORDER BY ts DESC LIMIT 1000', { format: 'JSONCompact' }));
    const c = await timed(() =>
      s.queryAsync("SELECT JSONExtractString(line, 'level') AS level, count() FROM logs WHERE startsWith(line, '{') GROUP BY level", { format: 'CSV' }),
    );
    search.push(a.ms);
    topn.push(b.ms);
    agg.push(c.ms);
    lag = Math.max(lag, a.maxLagMs, b.maxLagMs, c.maxLagMs);
  }
  results.chdb = {
    load_s: +(load.ms / 1000).toFixed(2),
    js_append_rows_per_s: Math.round(sample.length / (append.ms / 1000)),
    stored_bytes: stored,
    search_needle_ms: Math.round(median(search)),
    needle_hits: hits,
    topn_3_streams_ms: Math.round(median(topn)),
    count_by_level_json_ms: Math.round(median(agg)),
    max_event_loop_stall_ms: Math.round(Math.max(lag, load.maxLagMs)),
    installed_mb: Math.round(dirBytes(join(chdbDir, '..')) / 1e6),
  };
  s.close();
}

try {
  const { lines, rawBytes, sample } = await writeInputs();
  const gzipBytes = Number(execSync(`gzip -6 -c '${raw}' | wc -c`).toString().trim());
  process.stdout.write(`corpus: ${lines} lines, ${rawBytes} raw bytes, gzip -6 ${gzipBytes} bytes (${(gzipBytes / rawBytes).toFixed(3)})\n`);
  await benchDuckDB(sample);
  await benchChdb(sample);
  for (const [engine, r] of Object.entries(results)) {
    r.stored_vs_raw = +(Number(r.stored_bytes) / rawBytes).toFixed(3);
    r.stored_vs_gzip6 = +(Number(r.stored_bytes) / gzipBytes).toFixed(3);
    process.stdout.write(`${engine}: ${JSON.stringify(r)}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
