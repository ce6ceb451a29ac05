/**
 * Log ingest and storage benchmark: the corpus of bench/logs-corpus.ts (JSON app logs and access logs from
 * many pods, with trace ids), streamed, never held in memory, pushed to a real Sextant server process through
 * the Loki push API (protobuf + snappy as Promtail sends it, ~1 MB of raw text per request, several
 * concurrent connections). Reports MB/s and lines/s, then stored bytes (after the head is flushed) against
 * raw bytes and against `gzip -6` of the same raw text, twice: the pushed lines alone, and the CRI log files
 * (`<RFC 3339 ns time> stdout F <line>`) a node holds for the same lines, which carry the timestamps the store keeps.
 *
 *   npx tsx bench/logs-ingest.ts [--bytes 2G] [--concurrency 4] [--batch 1M] [--timestamps tick|ns] [--keep DIR]
 *
 * --timestamps ns stamps entries to the nanosecond as container runtimes do (see bench/logs-corpus.ts); the
 * default, tick, is the corpus's regular step that earlier figures used.
 *
 * --keep leaves the server's data directory at DIR (logs under DIR/logs) for the query benchmarks: start
 * `sextant serve --data-dir DIR` on it, or open DIR/logs with openLogStore().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import snappy from 'snappy';
import { encodePushProtobuf, type PushEntry } from '../src/logs/ingest/index.js';
import { openLogStore } from '../src/logs/store/index.js';
import { corpusStreams, generateCorpus, parseBytes, type CorpusOptions } from './logs-corpus.js';

const { values } = parseArgs({
  options: {
    bytes: { type: 'string', default: '2G' },
    concurrency: { type: 'string', default: '4' },
    batch: { type: 'string', default: '1M' },
    keep: { type: 'string' },
    seed: { type: 'string', default: '1' },
    // 'tick' or 'ns': see CorpusOptions.timestamps in bench/logs-corpus.ts.
    timestamps: { type: 'string', default: 'tick' },
  },
});
if (values.timestamps !== 'tick' && values.timestamps !== 'ns') throw new Error('--timestamps: tick or ns');
const totalBytes = parseBytes(values.bytes);
const concurrency = Number(values.concurrency);
const batchBytes = parseBytes(values.batch);
const dataDir = values.keep ?? mkdtempSync(join(tmpdir(), 'logs-ingest-'));
const durationMs = 3_600_000;
// Recent enough for the server's default too-old window (1 week), old enough not to be in the future.
const corpus: CorpusOptions = { bytes: totalBytes, seed: Number(values.seed), startMs: Date.now() - durationMs - 120_000, durationMs, timestamps: values.timestamps };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function dirBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, f) => n + dirBytes(join(p, f)), 0);
}

async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli', 'run.ts'), 'serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/-/ready`);
      if (r.ok) return child;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error('server did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Pushes the corpus; returns raw bytes, lines and seconds. */
async function push(url: string): Promise<{ bytes: number; lines: number; seconds: number; requests: number }> {
  const streams = corpusStreams(200, corpus.seed);
  const labelStrings = streams.map((s) => `{${Object.keys(s.labels).sort().map((k) => `${k}=${JSON.stringify(s.labels[k])}`).join(', ')}}`);
  let bytes = 0;
  let lines = 0;
  let requests = 0;
  const inflight = new Set<Promise<void>>();
  const send = async (body: Buffer): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
      if (r.status === 204) return;
      const text = await r.text();
      if (r.status < 500 || attempt >= 5) throw new Error(`push failed: ${r.status} ${text.slice(0, 300)}`);
      await new Promise((res) => setTimeout(res, 200 * 2 ** attempt));
    }
  };
  let groups = new Map<number, PushEntry[]>();
  let groupBytes = 0;
  const t0 = performance.now();
  const flush = async (): Promise<void> => {
    const req = [...groups].map(([si, entries]) => ({ labels: labelStrings[si], entries }));
    groups = new Map();
    groupBytes = 0;
    const body = snappy.compressSync(Buffer.from(encodePushProtobuf(req)));
    requests++;
    const p = send(body).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= concurrency) await Promise.race(inflight);
  };
  for (const l of generateCorpus(corpus)) {
    let g = groups.get(l.stream);
    if (!g) groups.set(l.stream, (g = []));
    g.push({ ts: l.tsNs, line: l.line });
    const n = Buffer.byteLength(l.line) + 1;
    bytes += n;
    groupBytes += n;
    lines++;
    if (groupBytes >= batchBytes) await flush();
  }
  if (groupBytes > 0) await flush();
  await Promise.all(inflight);
  return { bytes, lines, seconds: (performance.now() - t0) / 1000, requests };
}

/**
 * A corpus line as the kubelet writes it to /var/log/pods (CRI format: RFC 3339 time to the ns, stream, full-line
 * tag), i.e. the file an agent or Promtail reads and parses back into exactly the pushed timestamp and line.
 */
function criLine(tsNs: bigint, line: string): string {
  const frac = String(tsNs % 1_000_000_000n).padStart(9, '0').replace(/0+$/, '');
  return `${new Date(Number(tsNs / 1_000_000n)).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z stdout F ${line}`;
}

/**
 * `gzip -6` of the corpus regenerated from the same seed and streamed into gzip: as the pushed lines, or as the
 * CRI log files they come from on a node. Returns the text's bytes and the compressed bytes.
 */
async function gzipBytes(format: 'lines' | 'cri'): Promise<{ raw: number; gz: number }> {
  const gz = spawn('gzip', ['-6', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = 0;
  let raw = 0;
  gz.stdout.on('data', (d: Buffer) => (out += d.length));
  const done = new Promise<void>((r) => gz.on('close', () => r()));
  let buf = '';
  for (const l of generateCorpus(corpus)) {
    const text = `${format === 'cri' ? criLine(l.tsNs, l.line) : l.line}\n`;
    raw += Buffer.byteLength(text);
    buf += text;
    if (buf.length >= 1 << 20) {
      if (!gz.stdin.write(buf)) await new Promise((r) => gz.stdin.once('drain', () => r(undefined)));
      buf = '';
    }
  }
  gz.stdin.end(buf);
  await done;
  return { raw, gz: out };
}

/** CPU seconds (user + system) a process has used so far, from /proc: robust to a machine shared with others. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const port = await freePort();
const server = await startServer(port);
let result;
let serverCpu = 0;
const clientCpu0 = process.cpuUsage();
try {
  const cpu0 = cpuSeconds(server.pid as number);
  result = await push(`http://127.0.0.1:${port}/loki/api/v1/push`);
  serverCpu = cpuSeconds(server.pid as number) - cpu0;
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}
// Closing leaves the head in the WAL (replayed on open); flush it so the stored size is the columnar size.
const tFlush = performance.now();
const store = await openLogStore({ dir: join(dataDir, 'logs') });
await (store as unknown as { flush(): Promise<void> }).flush();
const stats = await store.stats([], 0n, 9_000_000_000_000_000_000n);
await store.close();
const flushSeconds = (performance.now() - tFlush) / 1000;
const chunkBytes = dirBytes(join(dataDir, 'logs', 'chunks'));
const logsBytes = dirBytes(join(dataDir, 'logs'));
const { gz } = await gzipBytes('lines');
const cri = await gzipBytes('cri');
const summary = {
  raw_bytes: result.bytes,
  lines: result.lines,
  requests: result.requests,
  concurrency,
  seconds: +result.seconds.toFixed(1),
  mb_per_s: +(result.bytes / 1e6 / result.seconds).toFixed(1),
  lines_per_s: Math.round(result.lines / result.seconds),
  server_cpu_s: +serverCpu.toFixed(1),
  mb_per_server_cpu_s: +(result.bytes / 1e6 / serverCpu).toFixed(1),
  client_cpu_s: +((process.cpuUsage(clientCpu0).user + process.cpuUsage(clientCpu0).system) / 1e6).toFixed(1),
  load_average_1m: +(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  final_flush_s: +flushSeconds.toFixed(1),
  stored_entries: stats.entries,
  stored_bytes: logsBytes,
  columnar_bytes: chunkBytes,
  gzip6_bytes: gz,
  stored_vs_raw: +(logsBytes / result.bytes).toFixed(3),
  gzip6_vs_raw: +(gz / result.bytes).toFixed(3),
  stored_vs_gzip6: +(logsBytes / gz).toFixed(3),
  timestamps: values.timestamps,
  cri_raw_bytes: cri.raw,
  cri_gzip6_bytes: cri.gz,
  stored_vs_cri_gzip6: +(logsBytes / cri.gz).toFixed(3),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
else process.stdout.write(`data kept in ${dataDir}\n`);
