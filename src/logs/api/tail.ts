/**
 * /loki/api/v1/tail over WebSocket, in Loki's tail message shape `{"streams":[...],"dropped_entries":...}`.
 *
 * With a tail hub (the server always has one) the tail is push-based, as Loki's tailer is: it subscribes to
 * the hub before reading anything, sends the most recent `limit` entries from the store (the catch-up), then
 * every entry ingest publishes — only after the store acknowledged it, so a tailed line is durable — that
 * matches the selector and passes the pipeline. Entries published during the catch-up read are held and sent
 * after it, without the ones the read already returned.
 *
 * A tailer that falls behind does not make the server buffer without bound: while the socket's send buffer
 * is over MAX_SOCKET_BUFFER, or more than MAX_PENDING entries wait, new entries are dropped and reported in
 * the next message's `dropped_entries` (labels + timestamp, at most MAX_DROPPED per message), as Loki does.
 *
 * `delay_for` holds each entry until its timestamp is that far behind the clock, then sends in time order.
 *
 * Without a hub (a query-only deployment) the store is polled every `pollMs` instead.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { LogStore } from '../store/interface.js';
import type { LogEntry } from '../model.js';
import type { LogSelectorExpr } from '../logql/ast.js';
import { LogQLEngine, type ResultStream } from '../logql/engine.js';
import { LogQLParseError, parseLogSelector } from '../logql/parse.js';
import { Pipeline } from '../logql/pipeline.js';
import { streamsJson } from './routes.js';
import { BadRequest, nowNs, parseLimit, parseLokiTime } from './params.js';
import { labelsKey, labelsToRecord, type Labels } from '../../model/labels.js';
import { compileMatcher } from '../../model/matcher.js';
import type { LogTailHub } from './tail-hub.js';

export interface TailDeps {
  store: LogStore;
  logger: Logger;
  now: () => number;
  pollMs: number;
  hub?: LogTailHub;
  /** Slow-client limits (tests lower them). */
  maxSocketBuffer?: number;
  maxPending?: number;
}

const MAX_DELAY_S = 5;
/** Bytes queued in the socket beyond which new entries are dropped rather than buffered. */
export const MAX_SOCKET_BUFFER = 4 * 1024 * 1024;
/** Entries waiting (catch-up or delay_for) beyond which new ones are dropped. */
export const MAX_PENDING = 10_000;
/** Loki's maxDroppedEntriesPerTailResponse. */
const MAX_DROPPED = 1000;

/** The part of a ws WebSocket the tailer uses (@types/ws is not installed). */
export interface TailSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'close' | 'error', fn: () => void): void;
  readonly bufferedAmount?: number;
}

export interface TailRequest {
  expr: LogSelectorExpr;
  limit: number;
  start: bigint;
  delayNs: bigint;
}

interface Pending {
  labels: Labels;
  key: string;
  ts: bigint;
  line: string;
  source: LogEntry;
}

function parseTail(req: FastifyRequest, now: () => number): TailRequest {
  const q = (req.query ?? {}) as Record<string, string | undefined>;
  const expr = parseLogSelector(q.query ?? '');
  const limit = parseLimit(q.limit);
  const start = parseLokiTime(q.start, nowNs(now) - 3600n * 1000000000n);
  const delay = q.delay_for ? Number(q.delay_for) : 0;
  if (!Number.isFinite(delay) || delay < 0) throw new BadRequest(`invalid delay_for '${q.delay_for}'`);
  if (delay > MAX_DELAY_S) throw new BadRequest(`delay_for can't be greater than ${MAX_DELAY_S}`);
  return { expr, limit, start, delayNs: BigInt(Math.round(delay * 1e9)) };
}

export function registerTailRoute(app: FastifyInstance, deps: TailDeps): void {
  const engine = new LogQLEngine({ store: deps.store });
  app.get(
    '/loki/api/v1/tail',
    {
      websocket: true,
      // Bad queries are refused with 400 before the upgrade, as Loki does.
      preValidation: async (req, reply) => {
        try {
          parseTail(req, deps.now);
        } catch (e) {
          if (e instanceof LogQLParseError || e instanceof BadRequest) return reply.code(400).type('text/plain').send(e.message);
          throw e;
        }
      },
    },
    (socket: TailSocket, req: FastifyRequest) => {
      const t = parseTail(req, deps.now);
      if (deps.hub) pushTail(socket, t, engine, deps, deps.hub);
      else pollTail(socket, t, engine, deps);
    },
  );
}

const entryKey = (streamKey: string, ts: bigint, line: string): string => `${streamKey}\u0000${ts}\u0000${line}`;

/** One push-based tail session on an open socket (exported for the slow-client tests). */
export function pushTail(socket: TailSocket, t: TailRequest, engine: LogQLEngine, deps: TailDeps, hub: LogTailHub): void {
  const maxBuffer = deps.maxSocketBuffer ?? MAX_SOCKET_BUFFER;
  const maxPending = deps.maxPending ?? MAX_PENDING;
  const matchers = t.expr.matchers.map(compileMatcher);
  const pipeline = new Pipeline(t.expr.pipeline);
  const ac = new AbortController();
  let closed = false;
  let catchingUp = true;
  let pending: Pending[] = [];
  let dropped: { labels: Record<string, string>; timestamp: string }[] = [];
  let flushScheduled = false;
  let delayTimer: NodeJS.Timeout | undefined;

  const drop = (p: Pending): void => {
    if (dropped.length < MAX_DROPPED) dropped.push({ labels: labelsToRecord(p.labels), timestamp: String(p.ts) });
  };

  const send = (entries: Pending[]): void => {
    if (closed || (entries.length === 0 && dropped.length === 0)) return;
    if ((socket.bufferedAmount ?? 0) > maxBuffer) {
      for (const p of entries) drop(p);
      return;
    }
    const streams = new Map<string, ResultStream>();
    for (const p of entries) {
      let s = streams.get(p.key);
      if (!s) streams.set(p.key, (s = { labels: p.labels, entries: [] }));
      s.entries.push({ ts: p.ts, line: p.line, source: p.source });
    }
    const msg = { streams: streamsJson([...streams.values()], 'forward', false), dropped_entries: dropped.length > 0 ? dropped : null };
    dropped = [];
    socket.send(JSON.stringify(msg));
  };

  const flush = (): void => {
    flushScheduled = false;
    if (closed || catchingUp) return;
    if (delayTimer) {
      clearTimeout(delayTimer);
      delayTimer = undefined;
    }
    let ready = pending;
    if (t.delayNs > 0n) {
      const cutoff = nowNs(deps.now) - t.delayNs;
      ready = pending.filter((p) => p.ts <= cutoff);
      pending = pending.filter((p) => p.ts > cutoff);
      if (pending.length > 0) {
        let next = pending[0].ts;
        for (const p of pending) if (p.ts < next) next = p.ts;
        const waitMs = Number((next + t.delayNs - nowNs(deps.now)) / 1_000_000n) + 1;
        delayTimer = setTimeout(flush, Math.max(1, waitMs));
      }
    } else pending = [];
    ready.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    send(ready);
  };

  const onEntries = (entries: readonly LogEntry[]): void => {
    if (closed) return;
    let added = false;
    for (const e of entries) {
      if (e.ts < t.start) continue;
      if (!matchers.every((m) => m.matches(streamValue(e.stream, m.name)))) continue;
      const r = pipeline.process(e);
      if (!r) continue;
      const p: Pending = { labels: r.labels, key: r.key, ts: e.ts, line: r.line, source: e };
      // A client that cannot keep up loses entries (reported), never server memory.
      if (pending.length >= maxPending || (!catchingUp && t.delayNs === 0n && (socket.bufferedAmount ?? 0) > maxBuffer)) drop(p);
      else {
        pending.push(p);
        added = true;
      }
    }
    if ((added || dropped.length > 0) && !catchingUp && !flushScheduled) {
      flushScheduled = true;
      // One message for everything published in this turn of the event loop.
      setImmediate(flush);
    }
  };

  const unsubscribe = hub.subscribe(onEntries);
  socket.on('close', () => {
    closed = true;
    unsubscribe();
    ac.abort();
    if (delayTimer) clearTimeout(delayTimer);
  });
  socket.on('error', () => socket.close());

  void (async () => {
    try {
      // The most recent `limit` entries since start, oldest first (the catch-up).
      const stats = { linesProcessed: 0, bytesProcessed: 0, entriesReturned: 0, execTimeSeconds: 0 };
      const end = nowNs(deps.now) - t.delayNs + 1n;
      const initial = await engine.selectLogs(t.expr, t.start, end, 'backward', t.limit, stats, ac.signal);
      if (closed) return;
      const seen = new Set<string>();
      const initialEntries: Pending[] = [];
      for (const s of initial) {
        const key = labelsKey(s.labels);
        for (const e of s.entries) {
          seen.add(entryKey(key, e.ts, e.line));
          initialEntries.push({ labels: s.labels, key, ts: e.ts, line: e.line, source: e.source });
        }
      }
      initialEntries.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      send(initialEntries);
      // Published while the store was read: the read may already have returned them.
      pending = pending.filter((p) => !seen.has(entryKey(p.key, p.ts, p.line)));
      catchingUp = false;
      flush();
    } catch (e) {
      if (!closed) {
        deps.logger.warn({ err: e }, 'tail failed');
        socket.close(1011, (e as Error).message.slice(0, 120));
      }
    }
  })();
}

function streamValue(stream: Labels, name: string): string {
  for (const l of stream) if (l.name === name) return l.value;
  return '';
}

/** The store-polling tail, for a query API without an ingest hub. */
function pollTail(socket: TailSocket, t: TailRequest, engine: LogQLEngine, deps: TailDeps): void {
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const ac = new AbortController();
  socket.on('close', () => {
    closed = true;
    ac.abort();
    if (timer) clearTimeout(timer);
  });
  socket.on('error', () => socket.close());
  let cursor = t.start;
  // Entries already sent at the cursor timestamp (several can share one ns).
  let sentAtCursor = new Set<string>();

  const send = (streams: ResultStream[]): void => {
    if (closed || streams.length === 0) return;
    socket.send(JSON.stringify({ streams: streamsJson(streams, 'forward', false), dropped_entries: null }));
  };

  const advance = (streams: ResultStream[]): ResultStream[] => {
    const out: ResultStream[] = [];
    let maxTs = cursor;
    for (const s of streams) {
      const key = labelsKey(s.labels);
      const entries = s.entries.filter((e) => !(e.ts === cursor && sentAtCursor.has(`${key}\u0000${e.line}`)));
      if (entries.length) out.push({ labels: s.labels, entries });
      for (const e of entries) if (e.ts > maxTs) maxTs = e.ts;
    }
    const atMax = new Set<string>(maxTs === cursor ? sentAtCursor : []);
    for (const s of out) for (const e of s.entries) if (e.ts === maxTs) atMax.add(`${labelsKey(s.labels)}\u0000${e.line}`);
    cursor = maxTs;
    sentAtCursor = atMax;
    return out;
  };

  const stats = { linesProcessed: 0, bytesProcessed: 0, entriesReturned: 0, execTimeSeconds: 0 };
  const poll = async (): Promise<void> => {
    if (closed) return;
    try {
      const end = nowNs(deps.now) - t.delayNs + 1n;
      if (end > cursor) {
        const streams = await engine.selectLogs(t.expr, cursor, end, 'forward', 0, stats, ac.signal);
        send(advance(streams));
      }
    } catch (e) {
      if (!closed) deps.logger.warn({ err: e }, 'tail poll failed');
    }
    if (!closed) timer = setTimeout(() => void poll(), deps.pollMs);
  };

  void (async () => {
    try {
      const end = nowNs(deps.now) - t.delayNs + 1n;
      const initial = await engine.selectLogs(t.expr, t.start, end, 'backward', t.limit, stats, ac.signal);
      send(advance(initial));
      if (cursor === t.start) cursor = end - 1n;
    } catch (e) {
      if (!closed) {
        deps.logger.warn({ err: e }, 'tail failed');
        socket.close(1011, (e as Error).message.slice(0, 120));
        return;
      }
    }
    timer = setTimeout(() => void poll(), deps.pollMs);
  })();
}
