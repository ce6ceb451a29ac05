/**
 * A reusable, deterministic corpus of realistic Kubernetes logs for the log benchmarks: JSON application logs
 * (level, msg, trace_id, durations, user ids) and nginx-style access logs (with rt= and trace_id=) from many pods,
 * in time order, with a rare needle string for search benchmarks.
 *
 * For the query benchmarks (part 2): write the raw files once, then ingest them with the same seed/size:
 *
 *   npx tsx bench/logs-corpus.ts --out /tmp/logs-corpus --bytes 2G [--seed 1] [--start-ms <epoch ms>] [--duration 1h]
 *
 * writes one file per pod (`<namespace>_<pod>.log`, lines only) plus `manifest.json` (seed, bytes, lines, start,
 * end, the needle and how many lines carry it). `generateCorpus()` yields the same lines with their stream labels
 * and timestamps, so `bench/logs-ingest.ts` pushes exactly the text `grep -F` reads. Every stream has
 * `job="x"` as the issue's queries expect, plus namespace, pod, container and app.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export interface CorpusOptions {
  /** Raw bytes to generate (line text + newline). */
  bytes: number;
  seed?: number;
  /** First timestamp, ms since epoch. */
  startMs: number;
  /** Time span the lines are spread over, ms. */
  durationMs: number;
  pods?: number;
  /**
   * How entry timestamps are drawn. 'tick' (the default, as every figure before 2026-11-21 10:00 was measured):
   * line i is stamped start + i × step, so all timestamps share the step as a common divisor. 'ns': the same
   * tick plus a random offset below one step, to the nanosecond, as container runtimes (CRI, Docker) and
   * shippers that stamp on read produce them; nothing but the timestamps changes.
   */
  timestamps?: 'tick' | 'ns';
}

export interface CorpusLine {
  /** Index of the stream in `streams`. */
  stream: number;
  tsNs: bigint;
  line: string;
}

export interface CorpusStream {
  labels: Record<string, string>;
  /** File name for the raw corpus. */
  file: string;
  kind: 'json' | 'access';
}

/** Needle for `|= "needle"` benchmarks: about one line in 200,000 carries it. */
export const NEEDLE = 'needle-7f3a9c';
const NEEDLE_EVERY = 200_000;

/** xorshift32: fast and deterministic. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const NAMESPACES = ['shop', 'payments', 'identity', 'search', 'platform', 'data', 'edge', 'ml'];
const APPS = ['api', 'checkout', 'cart', 'auth', 'catalog', 'worker', 'gateway', 'recommender', 'billing', 'notifier'];
const PATHS = ['/api/v1/items', '/api/v1/cart', '/api/v1/users', '/healthz', '/api/v2/search', '/static/app.js', '/api/v1/orders', '/metrics'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUS = [200, 200, 200, 200, 200, 201, 204, 301, 304, 400, 404, 500, 503];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'kube-probe/1.29',
  'Go-http-client/1.1',
  'curl/8.5.0',
];
const LEVELS = ['info', 'info', 'info', 'info', 'info', 'debug', 'debug', 'warn', 'error'];
const MESSAGES = [
  'request completed',
  'cache miss, loading from database',
  'user session refreshed',
  'payment authorized',
  'retrying upstream call',
  'order persisted',
  'slow query detected',
  'connection pool exhausted, waiting',
  'feature flag evaluated',
  'message published to queue',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function corpusStreams(pods = 200, seed = 1): CorpusStream[] {
  const r = rng(seed * 7919);
  const out: CorpusStream[] = [];
  for (let i = 0; i < pods; i++) {
    const ns = NAMESPACES[i % NAMESPACES.length];
    const app = APPS[Math.floor(r() * APPS.length)];
    const pod = `${app}-${Math.floor(r() * 0xffffff).toString(16).padStart(6, '0')}-${Math.floor(r() * 0xfffff).toString(36)}`;
    const kind = i % 3 === 0 ? 'access' : 'json';
    const container = kind === 'access' ? 'nginx' : app;
    out.push({ labels: { job: 'x', namespace: ns, pod, container, app }, file: `${ns}_${pod}.log`, kind });
  }
  return out;
}

function hex(r: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(r() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Lines in time order; stops once `bytes` raw bytes have been produced. */
export function* generateCorpus(opts: CorpusOptions): Generator<CorpusLine> {
  const seed = opts.seed ?? 1;
  const r = rng(seed);
  const streams = corpusStreams(opts.pods ?? 200, seed);
  // Average raw line is ~230 bytes; spread the expected line count evenly over the duration.
  const expectedLines = Math.max(1, Math.round(opts.bytes / 230));
  const stepNs = (BigInt(opts.durationMs) * 1_000_000n) / BigInt(expectedLines);
  let ts = BigInt(opts.startMs) * 1_000_000n;
  // Its own generator, so that the lines are the same text whichever way they are stamped.
  const jitter = opts.timestamps === 'ns' ? rng(seed + 7919) : undefined;
  const jitterRange = Number(stepNs);
  let produced = 0;
  let n = 0;
  while (produced < opts.bytes) {
    const si = Math.floor(r() * streams.length);
    const s = streams[si];
    const tsNs = jitter ? ts + BigInt(Math.floor(jitter() * jitterRange)) : ts;
    const ms = Number(ts / 1_000_000n);
    const d = new Date(ms);
    const trace = hex(r, 32);
    let line: string;
    if (s.kind === 'access') {
      const ip = `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;
      const path = `${PATHS[Math.floor(r() * PATHS.length)]}${r() < 0.5 ? `/${Math.floor(r() * 100000)}` : ''}`;
      const status = STATUS[Math.floor(r() * STATUS.length)];
      const stamp = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
      line = `${ip} - - [${stamp}] "${METHODS[Math.floor(r() * METHODS.length)]} ${path} HTTP/1.1" ${status} ${Math.floor(r() * 50000)} "-" "${AGENTS[Math.floor(r() * AGENTS.length)]}" rt=${(r() * 2).toFixed(3)} trace_id=${trace}`;
    } else {
      const level = LEVELS[Math.floor(r() * LEVELS.length)];
      line = JSON.stringify({
        ts: d.toISOString(),
        level,
        msg: MESSAGES[Math.floor(r() * MESSAGES.length)],
        trace_id: trace,
        span_id: hex(r, 16),
        user_id: Math.floor(r() * 1_000_000),
        duration_ms: Math.round(r() * 250000) / 100,
        http_status: STATUS[Math.floor(r() * STATUS.length)],
        region: NAMESPACES[Math.floor(r() * 4)] === 'shop' ? 'eu-west-1' : 'us-east-1',
      });
    }
    if (n % NEEDLE_EVERY === NEEDLE_EVERY - 1) line += ` ${NEEDLE}`;
    produced += Buffer.byteLength(line) + 1;
    n++;
    yield { stream: si, tsNs, line };
    ts += stepNs;
  }
}

export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(s.trim());
  if (!m) throw new Error(`not a size: ${s}`);
  return Math.round(Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase()));
}

export function parseDurationMs(s: string): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(s);
  if (!m) throw new Error(`not a duration: ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] as 'ms'];
}

async function writeRaw(out: string, opts: CorpusOptions): Promise<void> {
  mkdirSync(out, { recursive: true });
  const streams = corpusStreams(opts.pods ?? 200, opts.seed ?? 1);
  const files: WriteStream[] = streams.map((s) => createWriteStream(join(out, s.file)));
  const pending: string[][] = streams.map(() => []);
  let lines = 0;
  let bytes = 0;
  let needles = 0;
  let first = 0n;
  let last = 0n;
  const flush = async (i: number): Promise<void> => {
    if (pending[i].length === 0) return;
    const ok = files[i].write(pending[i].join(''));
    pending[i] = [];
    if (!ok) await new Promise((r) => files[i].once('drain', () => r(undefined)));
  };
  for (const l of generateCorpus(opts)) {
    if (lines === 0) first = l.tsNs;
    last = l.tsNs;
    pending[l.stream].push(`${l.line}\n`);
    if (pending[l.stream].length >= 256) await flush(l.stream);
    lines++;
    bytes += Buffer.byteLength(l.line) + 1;
    if (l.line.includes(NEEDLE)) needles++;
  }
  for (let i = 0; i < files.length; i++) {
    await flush(i);
    await new Promise<void>((r) => files[i].end(() => r()));
  }
  const manifest = { seed: opts.seed ?? 1, bytes, lines, startNs: String(first), endNs: String(last), needle: NEEDLE, needleLines: needles, pods: streams.length };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
  process.stdout.write(`${JSON.stringify(manifest)}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      bytes: { type: 'string', default: '2G' },
      seed: { type: 'string', default: '1' },
      'start-ms': { type: 'string' },
      duration: { type: 'string', default: '1h' },
      pods: { type: 'string', default: '200' },
    },
  });
  if (!values.out) {
    process.stderr.write('usage: npx tsx bench/logs-corpus.ts --out DIR [--bytes 2G] [--seed 1] [--start-ms MS] [--duration 1h]\n');
    process.exit(2);
  }
  const durationMs = parseDurationMs(values.duration);
  await writeRaw(values.out, {
    bytes: parseBytes(values.bytes),
    seed: Number(values.seed),
    startMs: values['start-ms'] ? Number(values['start-ms']) : Date.now() - durationMs - 60_000,
    durationMs,
    pods: Number(values.pods),
  });
}
