/**
 * Loki's query HTTP API over the LogQL engine and the log store: query, query_range, labels, label values,
 * series, index stats, tail (WebSocket), buildinfo. JSON shapes and error codes are Loki's (errors are
 * plain-text bodies with 400 for bad queries), so Grafana's Loki data source works against Sextant.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { Labels } from '../../model/labels.js';
import { labelsKey, labelsToRecord } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import type { LogStore } from '../store/interface.js';
import { formatSampleValue } from '../../metrics/promql/aggregate.js';
import { LogQLEngine, LogQLExecError, type LogQLResult, type QueryStats, type ResultStream } from '../logql/engine.js';
import { LogQLParseError, parseLogQL } from '../logql/parse.js';
import { BadRequest, defaultStepMs, nowNs, parseDirection, parseLimit, parseLokiDurationMs, parseLokiTime } from './params.js';
import { registerTailRoute } from './tail.js';
import type { LogTailHub } from './tail-hub.js';
import { computeVolume, computeVolumeFromIndex, parseAggregateBy, parseTargetLabels } from './volume.js';
import { detectedFieldValues, detectedFields, detectedLabels } from './detected.js';
import { minePatterns } from './patterns.js';
import type { LogSelectorExpr } from '../logql/ast.js';

export interface LokiQueryRouteDeps {
  store: LogStore;
  logger: Logger;
  /** Clock (ms) for default time ranges; injectable for tests. */
  now?: () => number;
  /** Tail poll interval, ms (default 1000). */
  tailPollMs?: number;
  /** Entries published here (after the store acknowledged them) reach live tails at once; without it tails poll. */
  tailHub?: LogTailHub;
  /** A tail's slow-client limits: socket send-buffer bytes and waiting entries beyond which entries are dropped. */
  tailMaxSocketBuffer?: number;
  tailMaxPending?: number;
}

const HOUR_NS = 3600n * 1000000000n;

type Params = Record<string, string | string[] | undefined>;

function paramsOf(req: FastifyRequest): Params {
  const out: Params = {};
  for (const src of [req.query, req.body]) {
    if (!src || typeof src !== 'object' || Buffer.isBuffer(src)) continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      if (typeof v === 'string' || Array.isArray(v)) {
        const prev = out[k];
        const vals = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
        out[k] = prev === undefined ? (vals.length === 1 ? vals[0] : vals) : [...(Array.isArray(prev) ? prev : [prev]), ...vals];
      }
    }
  }
  return out;
}

function one(p: Params, name: string): string | undefined {
  const v = p[name];
  return Array.isArray(v) ? v[0] : v;
}

function many(p: Params, name: string): string[] {
  const v = p[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Loki answers errors with a plain-text body. */
function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

type LokiHandler = (p: Params, req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

function handleError(reply: FastifyReply, e: unknown, logger: Logger): FastifyReply {
  if (e instanceof LogQLParseError || e instanceof BadRequest || e instanceof LogQLExecError) return sendError(reply, 400, e.message);
  if ((e as Error)?.name === 'AbortError') return sendError(reply, 499, 'context canceled');
  logger.error({ err: e }, 'loki query failed');
  return sendError(reply, 500, (e as Error)?.message ?? String(e));
}

function statsJson(s: QueryStats): object {
  const exec = s.execTimeSeconds || 1e-9;
  return {
    summary: {
      bytesProcessedPerSecond: Math.round(s.bytesProcessed / exec),
      linesProcessedPerSecond: Math.round(s.linesProcessed / exec),
      totalBytesProcessed: s.bytesProcessed,
      totalLinesProcessed: s.linesProcessed,
      totalEntriesReturned: s.entriesReturned,
      execTime: s.execTimeSeconds,
      queueTime: 0,
      subqueries: 0,
      splits: 0,
      shards: 0,
      totalPostFilterLines: s.entriesReturned,
      totalStructuredMetadataBytesProcessed: 0,
    },
    querier: { store: { totalChunksRef: 0, totalChunksDownloaded: 0, chunksDownloadTime: 0, chunk: {} } },
    ingester: { totalReached: 0, totalChunksMatched: 0, totalBatches: 0, totalLinesSent: 0, store: { chunk: {} } },
    cache: {},
  };
}

function sortEntries(streams: ResultStream[], direction: 'forward' | 'backward'): void {
  const sign = direction === 'forward' ? 1 : -1;
  for (const s of streams) s.entries.sort((a, b) => (a.ts < b.ts ? -sign : a.ts > b.ts ? sign : 0));
}

/** Streams as Loki writes them; with categorize-labels, stream = stored labels and per-entry metadata/parsed. */
export function streamsJson(streams: ResultStream[], direction: 'forward' | 'backward', categorize: boolean): object[] {
  sortEntries(streams, direction);
  if (!categorize) {
    return streams.map((s) => ({ stream: labelsToRecord(s.labels), values: s.entries.map((e) => [String(e.ts), e.line]) }));
  }
  const byStream = new Map<string, { stream: Labels; values: unknown[] }>();
  for (const s of streams) {
    for (const e of s.entries) {
      const src = e.source.stream;
      const k = labelsKey(src);
      let g = byStream.get(k);
      if (!g) {
        g = { stream: src, values: [] };
        byStream.set(k, g);
      }
      const base = new Set(src.map((l) => l.name));
      const meta = e.source.metadata ?? {};
      const parsed: Record<string, string> = {};
      for (const l of s.labels) if (!base.has(l.name) && !(l.name in meta)) parsed[l.name] = l.value;
      const extra: Record<string, Record<string, string>> = {};
      if (Object.keys(meta).length) extra.structuredMetadata = { ...meta };
      if (Object.keys(parsed).length) extra.parsed = parsed;
      g.values.push([String(e.ts), e.line, extra]);
    }
  }
  const out = [...byStream.values()].map((g) => ({ stream: labelsToRecord(g.stream), values: g.values }));
  return out;
}

function resultJson(r: LogQLResult, direction: 'forward' | 'backward', categorize: boolean): { resultType: string; result: unknown } {
  switch (r.type) {
    case 'streams':
      return { resultType: 'streams', result: streamsJson(r.streams, direction, categorize) };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.series.map((s) => ({ metric: labelsToRecord(s.labels), values: s.points.map(([t, v]) => [t / 1000, formatSampleValue(v)]) })),
      };
    case 'vector':
      return { resultType: 'vector', result: r.samples.map((s) => ({ metric: labelsToRecord(s.labels), value: [r.timeMs / 1000, formatSampleValue(s.value)] })) };
    case 'scalar':
      return { resultType: 'scalar', result: [r.timeMs / 1000, formatSampleValue(r.value)] };
  }
}

function wantsCategorized(req: FastifyRequest): boolean {
  const h = req.headers['x-loki-response-encoding-flags'];
  const v = Array.isArray(h) ? h.join(',') : h ?? '';
  return v.split(',').map((x) => x.trim()).includes('categorize-labels');
}

/** Abort evaluation when the client goes away. */
function abortOnClose(reply: FastifyReply): AbortController {
  const ac = new AbortController();
  // The response closing before it was written means the client went away.
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac;
}

/** Matchers of a stream selector given as `query` / `match[]` (a log query; its pipeline is ignored). */
function selectorMatchers(q: string): Matcher[] {
  const e = parseLogQL(q);
  if (e.kind !== 'log') throw new BadRequest('only stream selectors are accepted here');
  return [...e.matchers];
}

export function registerLokiQueryRoutes(app: FastifyInstance, deps: LokiQueryRouteDeps): void {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const engine = new LogQLEngine({ store });

  /** A Loki read endpoint: GET or form POST, its parameters parsed, any error answered in Loki's format. */
  const route = (url: string, answer: LokiHandler): void => {
    app.route({
      method: ['GET', 'POST'],
      url,
      handler: async (req, reply) => {
        try {
          return await answer(paramsOf(req), req, reply);
        } catch (e) {
          return handleError(reply, e, logger);
        }
      },
    });
  };

  const range = (p: Params, defaultSinceNs = HOUR_NS): { start: bigint; end: bigint } => {
    const end = parseLokiTime(one(p, 'end'), nowNs(now));
    const since = one(p, 'since');
    const sinceNs = since ? BigInt(Math.round(parseLokiDurationMs(since, 'since'))) * 1000000n : defaultSinceNs;
    const start = parseLokiTime(one(p, 'start'), end - sinceNs);
    if (end < start) throw new BadRequest('end timestamp must not be before or equal to start time');
    return { start, end };
  };

  const queryRange: LokiHandler = async (p, req, reply) => {
    const query = one(p, 'query') ?? '';
    if (query === '') throw new BadRequest('query must not be empty');
    const { start, end } = range(p);
    const direction = parseDirection(one(p, 'direction'));
    const limit = parseLimit(one(p, 'limit'));
    const stepText = one(p, 'step');
    const stepMs = stepText ? parseLokiDurationMs(stepText, 'step') : defaultStepMs(start, end);
    if (stepMs <= 0) throw new BadRequest('zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (Number(end - start) / 1e6 / stepMs > 11000) {
      throw new BadRequest('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
    }
    const expr = parseLogQL(query);
    const ac = abortOnClose(reply);
    // Log queries read [start, end]: Loki's end is inclusive for them.
    const { result, stats } = await engine.queryRange({ query: expr, start, end: expr.kind === 'log' ? end + 1n : end, stepMs, direction, limit, signal: ac.signal });
    const categorize = wantsCategorized(req) && result.type === 'streams';
    return reply.send({
      status: 'success',
      data: { ...resultJson(result, direction, categorize), stats: statsJson(stats), ...(categorize ? { encodingFlags: ['categorize-labels'] } : {}) },
    });
  };

  const queryInstant: LokiHandler = async (p, req, reply) => {
    const query = one(p, 'query') ?? '';
    if (query === '') throw new BadRequest('query must not be empty');
    const time = parseLokiTime(one(p, 'time'), nowNs(now));
    const direction = parseDirection(one(p, 'direction'));
    const limit = parseLimit(one(p, 'limit'));
    const ac = abortOnClose(reply);
    const { result, stats } = await engine.queryInstant({ query, time, direction, limit, signal: ac.signal });
    const categorize = wantsCategorized(req) && result.type === 'streams';
    return reply.send({
      status: 'success',
      data: { ...resultJson(result, direction, categorize), stats: statsJson(stats), ...(categorize ? { encodingFlags: ['categorize-labels'] } : {}) },
    });
  };

  route('/loki/api/v1/query_range', queryRange);
  route('/loki/api/v1/query', queryInstant);

  const labels: LokiHandler = async (p, _req, reply) => {
    const { start, end } = range(p, 6n * HOUR_NS);
    const q = one(p, 'query');
    let names: string[];
    if (q) {
      const series = await store.series(selectorMatchers(q), start, end);
      names = [...new Set(series.flatMap((s) => s.map((l) => l.name)))].sort();
    } else names = await store.labelNames(start, end);
    return reply.send({ status: 'success', data: names });
  };
  route('/loki/api/v1/labels', labels);
  route('/loki/api/v1/label', labels);

  route('/loki/api/v1/label/:name/values', async (p, req, reply) => {
    const { start, end } = range(p, 6n * HOUR_NS);
    const q = one(p, 'query');
    const name = (req.params as { name: string }).name;
    const values = await store.labelValues(name, q ? selectorMatchers(q) : [], start, end);
    return reply.send({ status: 'success', data: values });
  });

  route('/loki/api/v1/series', async (p, _req, reply) => {
    const { start, end } = range(p, 6n * HOUR_NS);
    const matches = [...many(p, 'match[]'), ...many(p, 'match')];
    if (matches.length === 0) throw new BadRequest('0 matcher groups supplied');
    const seen = new Map<string, Labels>();
    for (const m of matches) for (const s of await store.series(selectorMatchers(m), start, end)) seen.set(labelsKey(s), s);
    return reply.send({ status: 'success', data: [...seen.values()].map(labelsToRecord) });
  });

  route('/loki/api/v1/index/stats', async (p, _req, reply) => {
    const { start, end } = range(p);
    const q = one(p, 'query') ?? '';
    if (q === '') throw new BadRequest('query must not be empty');
    const s = await store.stats(selectorMatchers(q), start, end);
    return reply.send({ streams: s.streams, chunks: s.chunks, bytes: s.bytes, entries: s.entries });
  });

  const positiveInt = (p: Params, name: string, def: number, alt?: string): number => {
    const v = one(p, name) ?? (alt ? one(p, alt) : undefined);
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new BadRequest(`${name} must be a positive value`);
    return n;
  };

  // Log volume by series or label (Grafana's logs volume, Logs Drilldown). `limit` 0 means the default, as Loki.
  const volume = (ranged: boolean): LokiHandler => async (p, _req, reply) => {
    const query = one(p, 'query') ?? '';
    if (query === '') throw new BadRequest('query must not be empty');
    const { start, end } = range(p);
    const limitText = one(p, 'limit');
    const limit = limitText === undefined || limitText === '' || limitText === '0' ? 100 : positiveInt(p, 'limit', 100);
    let stepMs = 0;
    if (ranged) {
      const stepText = one(p, 'step');
      stepMs = stepText ? parseLokiDurationMs(stepText, 'step') : defaultStepMs(start, end);
      if (stepMs <= 0) throw new BadRequest('zero or negative query resolution step widths are not accepted. Try a positive integer');
      if (Number(end - start) / 1e6 / stepMs > 11000) {
        throw new BadRequest('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
      }
    }
    const ac = abortOnClose(reply);
    const vr = {
      query,
      start,
      end,
      stepMs,
      limit,
      targetLabels: parseTargetLabels(one(p, 'targetLabels')),
      aggregateBy: parseAggregateBy(one(p, 'aggregateBy')),
      signal: ac.signal,
    };
    const r = ranged ? await computeVolume(store, vr) : { resultType: 'vector' as const, series: await computeVolumeFromIndex(store, vr) };
    const result =
      r.resultType === 'vector'
        ? r.series.map((s) => ({ metric: s.metric, value: s.values[0] }))
        : r.series.map((s) => ({ metric: s.metric, values: s.values }));
    return reply.send({ status: 'success', data: { resultType: r.resultType, result, stats: statsJson({ linesProcessed: 0, bytesProcessed: 0, entriesReturned: 0, execTimeSeconds: 0 }) } });
  };
  route('/loki/api/v1/index/volume', volume(false));
  route('/loki/api/v1/index/volume_range', volume(true));

  route('/loki/api/v1/detected_labels', async (p, _req, reply) => {
    const { start, end } = range(p);
    const q = (one(p, 'query') ?? '').trim();
    const matchers = q === '' || /^\{\s*\}$/.test(q) ? [] : selectorMatchers(q);
    return reply.send({ detectedLabels: await detectedLabels(store, matchers, start, end) });
  });

  const fieldsRequest = (p: Params): { expr: LogSelectorExpr; start: bigint; end: bigint; lineLimit: number; limit: number } => {
    const q = one(p, 'query') ?? '';
    if (q === '') throw new BadRequest('query must not be empty');
    const expr = parseLogQL(q);
    if (expr.kind !== 'log') throw new BadRequest('only log queries are accepted here');
    const { start, end } = range(p);
    return { expr, start, end: end + 1n, lineLimit: positiveInt(p, 'line_limit', 100), limit: positiveInt(p, 'limit', 1000, 'field_limit') };
  };
  route('/loki/api/v1/detected_fields', async (p, _req, reply) => {
    const r = fieldsRequest(p);
    const ac = abortOnClose(reply);
    const fields = await detectedFields(engine, r.expr, r.start, r.end, r.lineLimit, r.limit, ac.signal);
    // As Loki's proto JSON: fields and limit are omitted when there are no fields.
    return reply.send(fields.length > 0 ? { fields, limit: r.limit } : {});
  });
  route('/loki/api/v1/detected_field/:name/values', async (p, req, reply) => {
    const r = fieldsRequest(p);
    const ac = abortOnClose(reply);
    const values = await detectedFieldValues(engine, r.expr, (req.params as { name: string }).name, r.start, r.end, r.lineLimit, r.limit, ac.signal);
    return reply.send(values.length > 0 ? { values, limit: r.limit } : {});
  });

  // Log patterns (Logs Drilldown): mined from the range's lines at query time; see patterns.ts.
  route('/loki/api/v1/patterns', async (p, _req, reply) => {
    const q = one(p, 'query') ?? '';
    if (q === '') throw new BadRequest('query must not be empty');
    const expr = parseLogQL(q);
    if (expr.kind !== 'log') throw new BadRequest('only log queries are accepted here');
    const { start, end } = range(p);
    const stepText = one(p, 'step');
    // Loki's pattern samples have a 10 s resolution.
    const stepMs = stepText ? parseLokiDurationMs(stepText, 'step') : Math.max(10_000, defaultStepMs(start, end));
    if (stepMs <= 0) throw new BadRequest('zero or negative query resolution step widths are not accepted. Try a positive integer');
    const ac = abortOnClose(reply);
    return reply.send({ status: 'success', data: await minePatterns(engine, expr, start, end + 1n, stepMs, ac.signal) });
  });

  app.get('/loki/api/v1/status/buildinfo', async () => ({
    version: '3.0.0',
    revision: 'sextant',
    branch: 'main',
    buildUser: 'sextant',
    buildDate: '',
    goVersion: '',
  }));
  // Loki's readiness probe path (Sextant's own is /-/ready).
  if (!app.hasRoute({ method: 'GET', url: '/ready' })) app.get('/ready', async (_req, reply) => reply.type('text/plain').send('ready'));

  app.register(async (scope) => {
    if (!scope.hasDecorator('websocketServer')) await scope.register(websocket);
    registerTailRoute(scope, { store, logger, now, pollMs: deps.tailPollMs ?? 1000, hub: deps.tailHub, maxSocketBuffer: deps.tailMaxSocketBuffer, maxPending: deps.tailMaxPending });
  });
}
