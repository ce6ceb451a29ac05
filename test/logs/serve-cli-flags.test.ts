// `sextant serve` as a process with the logs/traces flags: each flag changes what the started server does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openLogStore } from '../../src/logs/store/index.js';
import { openTraceStore } from '../../src/traces/store/index.js';
import type { Span } from '../../src/traces/model.js';

const RUN = join(import.meta.dirname, '../../src/cli/run.ts');
const DAY_MS = 86_400_000;

interface Server {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

async function startServe(args: string[]): Promise<Server> {
  const proc = spawn(process.execPath, ['--import', 'tsx', RUN, 'serve', '--listen', '127.0.0.1:0', '--otlp-grpc-listen', '', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /open (http:\/\/\S+?)\/ in your browser/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${err}`));
    });
  });
  return {
    url,
    proc,
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000, detail?: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A data dir holding one log file and one trace block written `ageMs` ago. */
async function oldData(dir: string, ageMs: number): Promise<void> {
  const then = Date.now() - ageMs;
  const logs = await openLogStore({ dir: join(dir, 'logs'), now: () => then, maxHeadBytes: 1 });
  const res = await logs.append(Array.from({ length: 50 }, (_, i) => ({ stream: [{ name: 'job', value: 'old' }], ts: BigInt(then) * 1_000_000n + BigInt(i), line: `old line ${i} ${'x'.repeat(100)}` })));
  assert.equal(res.accepted, 50);
  await logs.close();
  const traces = await openTraceStore({ dir: join(dir, 'traces'), now: () => then, maintenanceIntervalMs: 0 });
  const span: Span = {
    traceId: '0123456789abcdef0123456789abcdef',
    spanId: '0123456789abcdef',
    name: 'old',
    kind: 'server',
    startTimeUnixNano: BigInt(then) * 1_000_000n,
    endTimeUnixNano: BigInt(then + 5) * 1_000_000n,
    attributes: { pad: randomBytes(2000).toString('hex') }, // incompressible: the block is well over 1 KB
    events: [],
    links: [],
    status: { code: 'ok' },
    resource: { 'service.name': 'old' },
    scope: { name: 't' },
    serviceName: 'old',
  };
  assert.equal((await traces.append([span])).accepted, 1);
  await traces.flush();
  await traces.close();
  assert.ok(parquetFiles(dir).length > 0 && traceBlocks(dir).length > 0, 'old data written');
}

const parquetFiles = (dir: string): string[] => {
  const d = join(dir, 'logs', 'chunks');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.parquet')) : [];
};
const traceBlocks = (dir: string): string[] => {
  const d = join(dir, 'traces', 'blocks');
  return existsSync(d) ? readdirSync(d) : [];
};

function push(url: string, stream: Record<string, string>, values: [string, string][]): Promise<Response> {
  return fetch(`${url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streams: [{ stream, values }] }) });
}

async function queryLines(url: string, query: string): Promise<{ stream: Record<string, string>; values: [string, string][] }[]> {
  const now = Date.now();
  const q = new URLSearchParams({ query, start: String((now - 3600_000) * 1e6), end: String((now + 60_000) * 1e6), limit: '100' });
  const res = await fetch(`${url}/loki/api/v1/query_range?${q}`);
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { data: { result: { stream: Record<string, string>; values: [string, string][] }[] } }).data.result;
}

const ns = (ms: number): string => `${BigInt(ms) * 1_000_000n}`;

test('serve: logs/traces retention time, max line size (reject), sample age window and _bulk label fields', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-cli-'));
  let s: Server | undefined;
  try {
    await oldData(dir, 3 * DAY_MS);
    s = await startServe([
      '--data-dir', dir,
      '--logs.retention.time', '1d',
      '--traces.retention.time', '1d',
      '--logs.max-line-size', '100B',
      '--logs.reject-old-samples.max-age', '2h',
      '--logs.creation-grace-period', '1m',
      '--logs.bulk.label-fields', 'kubernetes.namespace_name=ns,app',
    ]);
    // The settings in effect are listed with Prometheus's flags.
    const flags = ((await (await fetch(`${s.url}/api/v1/status/flags`)).json()) as { data: Record<string, string> }).data;
    assert.equal(flags['logs.retention.time'], '1d');
    assert.equal(flags['traces.retention.time'], '1d');
    assert.equal(flags['logs.max-line-size'], '100');
    assert.equal(flags['logs.reject-old-samples.max-age'], '2h');
    assert.equal(flags['logs.bulk.label-fields'], 'kubernetes.namespace_name=ns,app');
    const now = Date.now();
    // Line size: the long line is refused naming its stream, the short one in the same request stored.
    let res = await push(s.url, { job: 'size' }, [[ns(now), 'short'], [ns(now + 1), 'L'.repeat(150)]]);
    assert.equal(res.status, 400);
    const body = await res.text();
    assert.match(body, /max entry size '100' bytes exceeded for stream '\{job="size"\}'/);
    assert.match(body, /total ignored: 1 out of 2/);
    assert.deepEqual((await queryLines(s.url, '{job="size"}'))[0].values.map((v) => v[1]), ['short']);
    // Age window: 3 h old is refused with a 2 h max age (the default 1 week would take it); so is 5 min ahead.
    res = await push(s.url, { job: 'age' }, [[ns(now - 3 * 3600_000), 'too old'], [ns(now + 5 * 60_000), 'too new'], [ns(now - 1800_000), 'fine']]);
    assert.equal(res.status, 400);
    const ageBody = await res.text();
    assert.match(ageBody, /timestamp too old/);
    assert.match(ageBody, /timestamp too new/);
    assert.deepEqual((await queryLines(s.url, '{job="age"}'))[0].values.map((v) => v[1]), ['fine']);
    // _bulk label fields: exactly the configured ones (no default `index` label).
    res = await fetch(`${s.url}/logs-x/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `{"index":{}}\n${JSON.stringify({ '@timestamp': new Date(now).toISOString(), message: 'bulk line', app: 'web', kubernetes: { namespace_name: 'prod', pod_name: 'p1' } })}\n`,
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { errors: boolean }).errors, false);
    const series = await fetch(`${s.url}/loki/api/v1/series?${new URLSearchParams({ 'match[]': '{ns="prod"}' })}`);
    assert.deepEqual(((await series.json()) as { data: unknown[] }).data, [{ app: 'web', ns: 'prod' }]);
    // Retention: the 3-day-old log file and trace block are deleted by the periodic maintenance.
    await waitFor('old log file and trace block deleted', () => parquetFiles(dir).length === 0 && traceBlocks(dir).length === 0, 30_000, () => `log files ${parquetFiles(dir).join()}, trace blocks ${traceBlocks(dir).join()}`);
  } finally {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: max line size with truncation, logs/traces retention size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-cli-'));
  let s: Server | undefined;
  try {
    // Recent data: only the size limit can remove it.
    await oldData(dir, 3600_000);
    s = await startServe(['--data-dir', dir, '--logs.max-line-size', '100B', '--logs.max-line-size-truncate', '--logs.retention.size', '1KB', '--traces.retention.size', '1KB']);
    // The server's live tail sees the stored (truncated) line as soon as the push is acknowledged.
    const { WebSocket } = (await import('ws' as string)) as { WebSocket: new (url: string) => { onmessage: ((ev: { data: unknown }) => void) | null; onopen: (() => void) | null; close(): void } };
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/loki/api/v1/tail?${new URLSearchParams({ query: '{job="trunc"}' })}`);
    const tailed = new Promise<string>((resolve) => {
      ws.onmessage = (ev) => resolve((JSON.parse(String(ev.data)) as { streams: { values: [string, string][] }[] }).streams[0].values[0][1]);
    });
    await new Promise<void>((r) => (ws.onopen = () => r()));
    const now = Date.now();
    const res = await push(s.url, { job: 'trunc' }, [[ns(now), `${'é'.repeat(60)}tail`]]);
    assert.equal(res.status, 204, await res.text());
    assert.equal(await tailed, 'é'.repeat(50));
    ws.close();
    const line = (await queryLines(s.url, '{job="trunc"}'))[0].values[0][1];
    assert.equal(line, 'é'.repeat(50), 'cut at 100 bytes on a character boundary');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /sextant_logs_truncated_lines_total\{protocol="loki"\} 1\b/);
    await waitFor('files over the size limit deleted', () => parquetFiles(dir).length === 0 && traceBlocks(dir).length === 0, 30_000, () => `log files ${parquetFiles(dir).join()}, trace blocks ${traceBlocks(dir).join()}`);
  } finally {
    await s?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve: a bad flag value exits 2 naming the flag, before starting anything', async () => {
  // Every validation rule is covered in src/cli/main.test.ts; this checks the process contract once.
  const dataDir = join(tmpdir(), `sextant-never-created-${process.pid}`);
  const proc = spawn(process.execPath, ['--import', 'tsx', RUN, 'serve', '--data-dir', dataDir, '--logs.bulk.label-fields', 'host=1bad'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => proc.on('exit', r));
  assert.equal(code, 2, err);
  assert.match(err, /^sextant: --logs.bulk.label-fields: "host=1bad": "1bad" is not a valid label name/);
  assert.match(err, /Usage:/);
  assert.equal(existsSync(dataDir), false);
});
