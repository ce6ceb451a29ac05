/**
 * /loki/api/v1/tail over WebSocket: sends the recent entries, then polls the store for entries newer than the
 * last one sent (only the time range after the cursor is read, with filters pushed down) and sends them as
 * Loki's tail messages `{"streams":[...],"dropped_entries":null}`. Entries that arrive with timestamps older
 * than the cursor are not sent (Loki's tailer sees them at ingest; a store poll cannot).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { LogStore } from '../store/interface.js';
import type { LogSelectorExpr } from '../logql/ast.js';
import { LogQLEngine, type ResultStream } from '../logql/engine.js';
import { LogQLParseError, parseLogSelector } from '../logql/parse.js';
import { streamsJson } from './routes.js';
import { BadRequest, nowNs, parseLimit, parseLokiTime } from './params.js';
import { labelsKey } from '../../model/labels.js';

export interface TailDeps {
  store: LogStore;
  logger: Logger;
  now: () => number;
  pollMs: number;
}

const MAX_DELAY_S = 5;

/** The part of a ws WebSocket the tailer uses (@types/ws is not installed). */
interface TailSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'close' | 'error', fn: () => void): void;
}

interface TailRequest {
  expr: LogSelectorExpr;
  limit: number;
  start: bigint;
  delayNs: bigint;
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
          // The most recent `limit` entries since start, oldest first.
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
    },
  );
}
