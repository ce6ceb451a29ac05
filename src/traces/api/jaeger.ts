/**
 * Jaeger's query HTTP API (what the Jaeger UI and Grafana's Jaeger data source call), mounted under a prefix:
 * services, operations, trace search, trace by id, dependencies. Traces are in Jaeger's JSON model: µs times,
 * typed tags, events as logs, parent as CHILD_OF and links as FOLLOWS_FROM references, one process per
 * distinct resource.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AttrValue, Attributes, Span } from '../model.js';
import { newSearchStats, type TraceStore } from '../store/interface.js';
import { all, BadRequest, first, goDurationNs, intParam, optDuration, timeParam, type Query } from './params.js';
import { tagFilter } from './tag-conditions.js';

export interface JaegerTag {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64';
  value: string | number | boolean;
}
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  flags: number;
  startTime: number;
  duration: number;
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
  warnings: string[] | null;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
  warnings: string[] | null;
}

const US = 1000n;

function tag(key: string, v: AttrValue): JaegerTag {
  if (typeof v === 'boolean') return { key, type: 'bool', value: v };
  if (typeof v === 'bigint') return { key, type: 'int64', value: Number(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { key, type: 'int64', value: v } : { key, type: 'float64', value: v };
  if (typeof v === 'string') return { key, type: 'string', value: v };
  return { key, type: 'string', value: JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) };
}

function tags(a: Attributes, skip?: string): JaegerTag[] {
  const out: JaegerTag[] = [];
  for (const [k, v] of Object.entries(a)) if (k !== skip) out.push(tag(k, v));
  return out;
}

export function toJaegerTrace(traceId: string, spans: readonly Span[]): JaegerTrace {
  const processes: JaegerTrace['processes'] = {};
  const processIds = new Map<string, string>();
  const out: JaegerSpan[] = [];
  for (const s of spans) {
    const pk = JSON.stringify([s.serviceName, Object.entries(s.resource)], (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    let pid = processIds.get(pk);
    if (!pid) {
      pid = `p${processIds.size + 1}`;
      processIds.set(pk, pid);
      processes[pid] = { serviceName: s.serviceName, tags: tags(s.resource, 'service.name') };
    }
    const t = tags(s.attributes);
    if (s.kind !== 'unspecified') t.push({ key: 'span.kind', type: 'string', value: s.kind });
    if (s.status.code !== 'unset') t.push({ key: 'otel.status_code', type: 'string', value: s.status.code.toUpperCase() });
    if (s.status.message) t.push({ key: 'otel.status_description', type: 'string', value: s.status.message });
    if (s.status.code === 'error') t.push({ key: 'error', type: 'bool', value: true });
    if (s.scope.name) t.push({ key: 'otel.scope.name', type: 'string', value: s.scope.name });
    if (s.scope.version) t.push({ key: 'otel.scope.version', type: 'string', value: s.scope.version });
    const refs: JaegerSpan['references'] = [];
    if (s.parentSpanId) refs.push({ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId });
    for (const l of s.links) refs.push({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId });
    out.push({
      traceID: traceId,
      spanID: s.spanId,
      operationName: s.name,
      references: refs,
      flags: 1,
      startTime: Number(s.startTimeUnixNano / US),
      duration: Number((s.endTimeUnixNano - s.startTimeUnixNano) / US),
      tags: t,
      logs: s.events.map((e) => ({ timestamp: Number(e.timeUnixNano / US), fields: [{ key: 'event', type: 'string', value: e.name }, ...tags(e.attributes)] })),
      processID: pid,
      warnings: null,
    });
  }
  return { traceID: traceId, spans: out, processes, warnings: null };
}

/** What a search cut short by its budget tells the client. */
export function partialMessage(reason: string): string {
  return `partial result: ${reason}; older traces in the time range were not searched (narrow the time range or add conditions)`;
}

function envelope<T>(data: T, total = Array.isArray(data) ? data.length : 0): object {
  return { data, total, limit: 0, offset: 0, errors: null };
}

function jaegerError(reply: FastifyReply, code: number, msg: string): FastifyReply {
  return reply.code(code).send({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] });
}

/** Jaeger `tags` is JSON (`{"error":"true"}`); older clients send `tag=k:v` repeatedly. Grafana sends logfmt
 *  converted to JSON, but plain logfmt is accepted too. */
function tagPairs(q: Query): [string, string][] {
  const pairs: [string, string][] = [];
  const json = first(q, 'tags');
  if (json) {
    let obj: unknown;
    try {
      obj = JSON.parse(json);
    } catch {
      obj = undefined;
    }
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) pairs.push([k, String(v)]);
    } else {
      for (const part of json.split(/\s+/).filter(Boolean)) {
        const i = part.indexOf('=');
        if (i <= 0) throw new BadRequest(`malformed 'tags' parameter: expected a JSON object, got "${json}"`);
        pairs.push([part.slice(0, i), part.slice(i + 1).replace(/^"(.*)"$/, '$1')]);
      }
    }
  }
  for (const t of all(q, 'tag')) {
    const i = t.indexOf(':');
    if (i <= 0) throw new BadRequest(`malformed 'tag' parameter "${t}": expected key:value`);
    pairs.push([t.slice(0, i), t.slice(i + 1)]);
  }
  return pairs;
}

export function registerJaegerRoutes(app: FastifyInstance, prefix: string, store: TraceStore, now: () => number): void {
  const wrap =
    (h: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | object>) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | object> => {
      try {
        return await h(req, reply);
      } catch (e) {
        if (e instanceof BadRequest) return jaegerError(reply, 400, e.message);
        req.log.error({ err: e }, 'jaeger query failed');
        return jaegerError(reply, 500, e instanceof Error ? e.message : String(e));
      }
    };

  app.get(`${prefix}/api/services`, wrap(async () => envelope(await store.services())));

  app.get(
    `${prefix}/api/services/:service/operations`,
    wrap(async (req) => envelope((await store.operations((req.params as { service: string }).service)).map((o) => o.name))),
  );

  app.get(
    `${prefix}/api/operations`,
    wrap(async (req) => {
      const q = req.query as Query;
      const service = first(q, 'service');
      if (!service) throw new BadRequest('parameter service is required');
      const kind = first(q, 'spanKind');
      const ops = (await store.operations(service))
        .filter((o) => !kind || o.kind === kind)
        .map((o) => ({ name: o.name, spanKind: o.kind === 'unspecified' ? '' : o.kind }));
      return envelope(ops);
    }),
  );

  app.get(
    `${prefix}/api/traces/:id`,
    wrap(async (req, reply) => {
      const id = (req.params as { id: string }).id.toLowerCase();
      if (!/^[0-9a-f]{1,32}$/.test(id)) throw new BadRequest(`malformed trace id "${id}"`);
      const full = id.padStart(32, '0');
      const spans = await store.getTrace(full);
      if (!spans) return jaegerError(reply, 404, 'trace not found');
      return envelope([toJaegerTrace(full, spans)]);
    }),
  );

  app.get(
    `${prefix}/api/traces`,
    wrap(async (req) => {
      const q = req.query as Query;
      const ids = all(q, 'traceID');
      if (ids.length > 0) {
        const found: JaegerTrace[] = [];
        for (const raw of ids) {
          const id = raw.toLowerCase().padStart(32, '0');
          const spans = await store.getTrace(id);
          if (spans) found.push(toJaegerTrace(id, spans));
        }
        return envelope(found);
      }
      const service = first(q, 'service');
      if (!service) throw new BadRequest('parameter service is required');
      const endNs = timeParam(q, 'end', US) ?? BigInt(now()) * 1_000_000n;
      const lookback = first(q, 'lookback');
      const startNs =
        timeParam(q, 'start', US) ?? (lookback && lookback !== 'custom' ? endNs - goDurationNs('lookback', lookback) : 0n);
      const operation = first(q, 'operation');
      const f = tagFilter(tagPairs(q));
      const limit = intParam(q, 'limit', 20, 1500);
      const stats = newSearchStats();
      const found = await store.search({
        start: startNs,
        end: endNs,
        serviceName: service,
        spanName: operation ?? f.spanName,
        status: f.status,
        minDurationNs: optDuration(q, 'minDuration'),
        maxDurationNs: optDuration(q, 'maxDuration'),
        conditions: f.conditions.length ? f.conditions : undefined,
        limit,
        signal: abortOnClose(req),
        stats,
      });
      const traces: JaegerTrace[] = [];
      for (const t of found) {
        const spans = await store.getTrace(t.traceId);
        if (spans) traces.push(toJaegerTrace(t.traceId, spans));
      }
      if (stats.partial) {
        // The traces found are real matches, the newest of the part searched: answer them and say what is missing.
        req.log.warn({ reason: stats.partial, blocks: `${stats.blocksSearched}/${stats.blocksTotal}` }, 'jaeger search stopped early');
        return { ...envelope(traces), errors: [{ code: 206, msg: partialMessage(stats.partial) }] };
      }
      return envelope(traces);
    }),
  );

  app.get(
    `${prefix}/api/dependencies`,
    wrap(async (req) => {
      const q = req.query as Query;
      const endMs = timeParam(q, 'endTs', 1n) ?? BigInt(now());
      const lookbackMs = timeParam(q, 'lookback', 1n) ?? 86_400_000n;
      return envelope(await dependencies(store, (endMs - lookbackMs) * 1_000_000n, endMs * 1_000_000n));
    }),
  );
}

/** Calls between services (parent span's service → child span's service) in up to 1000 recent traces. */
export async function dependencies(store: TraceStore, start: bigint, end: bigint): Promise<{ parent: string; child: string; callCount: number }[]> {
  const found = await store.search({ start, end, limit: 1000 });
  const counts = new Map<string, number>();
  for (const t of found) {
    const spans = await store.getTrace(t.traceId);
    if (!spans) continue;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    for (const s of spans) {
      const p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      if (!p || p.serviceName === s.serviceName) continue;
      const k = `${p.serviceName}\u0000${s.serviceName}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  return [...counts].map(([k, callCount]) => {
    const [parent, child] = k.split('\u0000');
    return { parent, child, callCount };
  });
}

/** Aborts the store search when the client goes away. */
export function abortOnClose(req: FastifyRequest): AbortSignal {
  const ac = new AbortController();
  const sock = req.raw.socket;
  const onClose = (): void => ac.abort();
  sock.once('close', onClose);
  // Keep-alive sockets serve many requests: drop the listener when this one is answered.
  req.raw.once('close', () => sock.off('close', onClose));
  return ac.signal;
}
