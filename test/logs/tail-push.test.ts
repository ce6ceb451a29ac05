/**
 * Push-based live tail: ingest → tail hub → WebSocket, against the real log store and the real push API.
 * The poll interval is set to an hour, so anything that arrives was pushed, not polled.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/server/http.js';
import { openLogStore } from '../../src/logs/store/index.js';
import type { LogAppendResult, LogStore } from '../../src/logs/store/interface.js';
import type { LogEntry } from '../../src/logs/model.js';
import { registerLogIngestRoutes } from '../../src/logs/ingest/routes.js';
import { registerLokiQueryRoutes } from '../../src/logs/api/routes.js';
import { LogTailHub } from '../../src/logs/api/tail-hub.js';
import { pushTail, type TailSocket } from '../../src/logs/api/tail.js';
import { LogQLEngine } from '../../src/logs/logql/engine.js';
import { parseLogSelector } from '../../src/logs/logql/parse.js';
import { tempDir } from '../peers/process.js';

const ns = (ms: number): string => String(BigInt(ms) * 1000000n);
const HOUR = 3_600_000;

interface TailMsg {
  streams: { stream: Record<string, string>; values: [string, string][] }[];
  dropped_entries: { labels: Record<string, string>; timestamp: string }[] | null;
}
interface TestSocket {
  onmessage: ((ev: { data: unknown }) => void) | null;
  onopen: (() => void) | null;
  onerror: (() => void) | null;
  close(): void;
}

let app: FastifyInstance;
let store: LogStore;
let dir: string;
let base: string;
/** While set, the store's append waits for it: lets a test hold an acknowledgement back. */
let appendGate: Promise<void> | undefined;
/** While set, the store's select waits for it (the tail's catch-up read). */
let selectGate: Promise<void> | undefined;

before(async () => {
  dir = tempDir('logs-tail-push');
  const logger = pino({ level: 'silent' });
  const real = await openLogStore({ dir, rejectOlderThanMs: HOUR, maxLineBytes: 64 });
  store = {
    ...real,
    append: async (entries: readonly LogEntry[]): Promise<LogAppendResult> => {
      const res = await real.append(entries);
      if (appendGate) await appendGate; // durable, but not yet acknowledged to the pusher
      return res;
    },
    select: (p) =>
      (async function* () {
        if (selectGate) await selectGate;
        yield* real.select(p);
      })(),
    series: real.series.bind(real),
    labelNames: real.labelNames.bind(real),
    labelValues: real.labelValues.bind(real),
    stats: real.stats.bind(real),
    close: real.close.bind(real),
  };
  const hub = new LogTailHub();
  app = createHttpServer({ logger, bodyLimit: 1 << 24 });
  registerLogIngestRoutes(app, { store, logger, onStored: (e) => hub.publish(e) });
  registerLokiQueryRoutes(app, { store, logger, tailPollMs: HOUR, tailHub: hub });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

after(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openTail(params: Record<string, string>): Promise<{ messages: TailMsg[]; next: (n: number, ms?: number) => Promise<TailMsg[]>; close: () => void }> {
  const { WebSocket } = (await import('ws' as string)) as { WebSocket: new (url: string) => TestSocket };
  const ws = new WebSocket(`${base.replace('http', 'ws')}/loki/api/v1/tail?${new URLSearchParams(params)}`);
  const messages: TailMsg[] = [];
  let wake: (() => void) | undefined;
  ws.onmessage = (ev) => {
    messages.push(JSON.parse(String(ev.data)) as TailMsg);
    wake?.();
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('websocket error'));
  });
  /** Waits until `n` messages have arrived in total (rejects after `ms`). */
  const next = async (n: number, ms = 5000): Promise<TailMsg[]> => {
    const until = Date.now() + ms;
    while (messages.length < n) {
      const left = until - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for message ${n}; got ${JSON.stringify(messages)}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, left);
      });
    }
    return messages;
  };
  return { messages, next, close: () => ws.close() };
}

async function push(stream: Record<string, string>, values: [string, string][]): Promise<number> {
  const res = await fetch(`${base}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream, values }] }),
  });
  await res.text();
  return res.status;
}

const lines = (msgs: TailMsg[]): string[] => msgs.flatMap((m) => m.streams.flatMap((s) => s.values.map((v) => v[1])));

test('a pushed line reaches the tail at once (no poll), through selector and pipeline, in Loki tail shape', async () => {
  await push({ job: 'p1' }, [[ns(Date.now() - 1000), 'before connect keep']]);
  const tail = await openTail({ query: '{job="p1"} |= "keep" | logfmt | level="error" or level=""', start: ns(Date.now() - 60_000) });
  try {
    const [first] = await tail.next(1);
    assert.deepEqual(lines([first]), ['before connect keep'], 'the catch-up read comes first');
    const pushedAt = Date.now();
    assert.equal(await push({ job: 'p1' }, [
      [ns(Date.now()), 'level=error msg="keep me"'],
      [ns(Date.now()), 'level=info msg="keep not me"'],
      [ns(Date.now()), 'level=error msg="filtered out by |="'],
    ]), 204);
    assert.equal(await push({ job: 'other' }, [[ns(Date.now()), 'level=error keep other stream']]), 204);
    const msgs = await tail.next(2);
    const latency = Date.now() - pushedAt;
    assert.ok(latency < 1000, `arrived after ${latency} ms; the poll interval is an hour`);
    assert.deepEqual(lines(msgs.slice(1)), ['level=error msg="keep me"']);
    assert.deepEqual(msgs[1].streams[0].stream, { job: 'p1', level: 'error', msg: 'keep me' });
    assert.equal(msgs[1].dropped_entries, null);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(tail.messages.length, 2, 'nothing else was sent');
  } finally {
    tail.close();
  }
});

test('a line is tailed only after the store acknowledged it; refused entries are never tailed', async () => {
  const tail = await openTail({ query: '{job="p2"}' });
  try {
    let open!: () => void;
    appendGate = new Promise<void>((r) => (open = r));
    const pushed = push({ job: 'p2' }, [[ns(Date.now()), 'durable first'], [ns(Date.now() - 2 * HOUR), 'too old'], [ns(Date.now()), 'x'.repeat(100)]]);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(tail.messages.length, 0, 'nothing before the acknowledgement');
    appendGate = undefined;
    open();
    assert.equal(await pushed, 400, 'too old and too long refused');
    const msgs = await tail.next(1);
    assert.deepEqual(lines(msgs), ['durable first']);
  } finally {
    appendGate = undefined;
    tail.close();
  }
});

test('entries pushed during the catch-up read are sent once, after it', async () => {
  await push({ job: 'p3' }, [[ns(Date.now() - 5000), 'old one']]);
  let open!: () => void;
  selectGate = new Promise<void>((r) => (open = r));
  const tail = await openTail({ query: '{job="p3"}', start: ns(Date.now() - 60_000) });
  try {
    // Stored (and published) while the tail's store read waits, inside the read's range: the read returns it
    // too, and it must not be sent twice.
    assert.equal(await push({ job: 'p3' }, [[ns(Date.now() - 2000), 'during catch-up']]), 204);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(tail.messages.length, 0);
    selectGate = undefined;
    open();
    await tail.next(1);
    assert.equal(await push({ job: 'p3' }, [[ns(Date.now()), 'after']]), 204);
    const msgs = await tail.next(2);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(lines(tail.messages), ['old one', 'during catch-up', 'after']);
    assert.equal(msgs.length, 2, 'catch-up (with the entry published meanwhile), then the live push');
    assert.deepEqual(lines([msgs[0]]), ['old one', 'during catch-up']);
  } finally {
    selectGate = undefined;
    tail.close();
  }
});

test('delay_for holds a pushed entry until its timestamp is that far behind', async () => {
  const tail = await openTail({ query: '{job="p4"}', delay_for: '1' });
  try {
    const t0 = Date.now();
    assert.equal(await push({ job: 'p4' }, [[ns(t0), 'delayed']]), 204);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(tail.messages.length, 0, 'not before the delay');
    const msgs = await tail.next(1, 3000);
    assert.ok(Date.now() - t0 >= 1000);
    assert.deepEqual(lines(msgs), ['delayed']);
  } finally {
    tail.close();
  }
});

test('a slow tailer drops entries and reports them in dropped_entries instead of buffering', async () => {
  const sent: TailMsg[] = [];
  let closeFn: (() => void) | undefined;
  const socket: TailSocket & { bufferedAmount: number } = {
    bufferedAmount: 0,
    send: (data) => void sent.push(JSON.parse(data) as TailMsg),
    close: () => closeFn?.(),
    on: (event, fn) => {
      if (event === 'close') closeFn = fn;
    },
  };
  const emptyStore = { select: async function* () {} } as unknown as LogStore;
  const hub = new LogTailHub();
  const deps = { store: emptyStore, logger: pino({ level: 'silent' }), now: Date.now, pollMs: HOUR, maxSocketBuffer: 1000, maxPending: 5 };
  pushTail(socket, { expr: parseLogSelector('{job="slow"}'), limit: 100, start: 0n, delayNs: 0n }, new LogQLEngine({ store: emptyStore }), deps, hub);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const entry = (i: number): LogEntry => ({ stream: [{ name: 'job', value: 'slow' }], ts: BigInt(1000 + i), line: `l${i}` });
  socket.bufferedAmount = 5000; // the client is not reading
  hub.publish([entry(1), entry(2), entry(3)]);
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 0, 'nothing queued in the socket while it is backed up');
  socket.bufferedAmount = 0;
  hub.publish([entry(4)]);
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 1);
  assert.deepEqual(lines(sent), ['l4']);
  assert.deepEqual(sent[0].dropped_entries, [1, 2, 3].map((i) => ({ labels: { job: 'slow' }, timestamp: String(1000 + i) })));
  assert.equal(hub.size, 1);
  socket.close();
  assert.equal(hub.size, 0, 'a closed tail unsubscribes');
});
