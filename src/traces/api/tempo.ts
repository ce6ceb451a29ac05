/**
 * Tempo's query HTTP API (what Grafana's Tempo data source calls), mounted under a prefix: trace by id (OTLP
 * JSON, or protobuf when asked for), TraceQL and tag search, tag names and values (v1 and v2), echo, buildinfo.
 * Times in `start`/`end` are Unix seconds; `minDuration`/`maxDuration` apply to the whole trace as in Tempo.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Span } from '../model.js';
import type { TraceStore } from '../store/interface.js';
import { parseTraceQL, TraceQLError } from '../query/parse.js';
import type { FieldExpr, SpansetExpr, TraceQLQuery } from '../query/ast.js';
import { searchTraceQL, type TraceMatch } from '../query/search.js';
import { encodeTraceByIdResponseProtobuf, encodeTraceProtobuf, keyValues, toOtlpJson, type OtlpKeyValue } from './otlp-json.js';
import { BadRequest, first, intParam, optDuration, parseLogfmt, timeParam, type Query } from './params.js';
import { tagFilter } from './tag-conditions.js';
import { abortOnClose, partialMessage } from './jaeger.js';
import { newSearchStats } from '../store/interface.js';
import { INTRINSIC_TAGS, isScoped, matchedSpans, tagNamesOf, tagValuesOf, type TagScope } from './tempo-tags.js';

const SEC = 1_000_000_000n;
export const SEXTANT_TEMPO_VERSION = '2.6.0-sextant';

interface SearchSpan {
  spanID: string;
  name: string;
  startTimeUnixNano: string;
  durationNanos: string;
  attributes?: OtlpKeyValue[];
}
interface SpanSet {
  spans: SearchSpan[];
  matched: number;
}
export interface TempoSearchTrace {
  traceID: string;
  rootServiceName: string;
  rootTraceName: string;
  startTimeUnixNano: string;
  durationMs: number;
  spanSet: SpanSet;
  spanSets: SpanSet[];
  serviceStats: Record<string, { spanCount: number; errorCount?: number }>;
}

/** Attribute names the query mentions: Tempo returns those with each matched span. */
function mentioned(e: SpansetExpr | FieldExpr, out = new Set<string>()): Set<string> {
  switch (e.type) {
    case 'filter':
      if (e.expr) mentioned(e.expr, out);
      break;
    case 'pipe':
      mentioned(e.left, out);
      if (e.stage.type !== 'scalarFilter') mentioned(e.stage, out);
      break;
    case 'spansetOp':
    case 'logical':
    case 'compare':
      mentioned(e.left, out);
      mentioned(e.right, out);
      break;
    case 'not':
      mentioned(e.expr, out);
      break;
    case 'field':
      if (e.field.type === 'attribute') out.add(`${e.field.scope}\u0000${e.field.name}`);
      break;
  }
  return out;
}

function searchSpan(s: Span, attrs: Set<string>): SearchSpan {
  const a: Record<string, Span['attributes'][string]> = {};
  for (const k of attrs) {
    const [scope, name] = k.split('\u0000');
    const v = scope === 'resource' ? s.resource[name] : (s.attributes[name] ?? (scope === 'any' ? s.resource[name] : undefined));
    if (v !== undefined) a[name] = v;
  }
  const out: SearchSpan = {
    spanID: s.spanId,
    name: s.name,
    startTimeUnixNano: s.startTimeUnixNano.toString(),
    durationNanos: (s.endTimeUnixNano - s.startTimeUnixNano).toString(),
  };
  if (Object.keys(a).length) out.attributes = keyValues(a);
  return out;
}

export function toTempoSearchTrace(m: TraceMatch, q: TraceQLQuery, spss: number): TempoSearchTrace {
  const attrs = mentioned(q.root);
  const spanSet: SpanSet = { spans: m.matched.slice(0, spss).map((s) => searchSpan(s, attrs)), matched: m.matched.length };
  const stats: TempoSearchTrace['serviceStats'] = {};
  for (const s of m.spans) {
    const st = (stats[s.serviceName] ??= { spanCount: 0 });
    st.spanCount++;
    if (s.status.code === 'error') st.errorCount = (st.errorCount ?? 0) + 1;
  }
  return {
    traceID: m.traceId,
    rootServiceName: m.rootServiceName || '<root span not yet received>',
    rootTraceName: m.rootSpanName,
    startTimeUnixNano: m.startTimeUnixNano.toString(),
    durationMs: Math.floor(Number(m.durationNs) / 1e6),
    spanSet,
    spanSets: [spanSet],
    serviceStats: stats,
  };
}

/** Tempo's legacy `tags=` search as a TraceQL query: one span must carry every tag; as in Tempo, a value
 *  matches as a case-insensitive substring (and a number-looking value also matches that number). */
export function tagsToTraceQL(tags: string): string {
  const f = tagFilter(parseLogfmt(tags));
  const parts: string[] = [];
  const str = (v: unknown): string => JSON.stringify(String(v));
  const contains = (v: string): string => str(`(?i).*${v.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')}.*`);
  if (f.serviceName !== undefined) parts.push(`resource.service.name =~ ${contains(f.serviceName)}`);
  if (f.spanName !== undefined) parts.push(`name =~ ${contains(f.spanName)}`);
  if (f.status !== undefined) parts.push(`status = ${f.status}`);
  for (const c of f.conditions) {
    if (c.field === 'kind') parts.push(`kind = ${String(c.value)}`);
    else if (c.field === 'status') parts.push(`status != error`);
    else {
      const name = c.field.slice(1);
      const ident = /^[A-Za-z_][\w.\-/]*$/.test(name) ? `.${name}` : `."${name.replace(/["\\]/g, '\\$&')}"`;
      const v = String(c.value);
      const n = Number(v);
      parts.push(v.trim() !== '' && Number.isFinite(n) ? `(${ident} =~ ${contains(v)} || ${ident} = ${n})` : `${ident} =~ ${contains(v)}`);
    }
  }
  return `{ ${parts.join(' && ')} }`;
}

function sendText(reply: FastifyReply, code: number, text: string): FastifyReply {
  return reply.code(code).type('text/plain; charset=utf-8').send(text);
}

function wantsProtobuf(req: FastifyRequest): boolean {
  const a = req.headers.accept ?? '';
  return /application\/(x-)?protobuf/.test(a);
}

function valueType(name: string, v: string): string {
  const base = name.replace(/^(resource|span)?\./, '');
  if (base === 'status' || base === 'kind') return 'keyword';
  if (/^-?\d+$/.test(v)) return 'int';
  if (/^-?\d+\.\d+$/.test(v)) return 'float';
  if (v === 'true' || v === 'false') return 'bool';
  return 'string';
}

export function registerTempoRoutes(app: FastifyInstance, prefix: string, store: TraceStore): void {
  const wrap =
    (h: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | object | string>) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | object | string> => {
      try {
        return await h(req, reply);
      } catch (e) {
        if (e instanceof BadRequest || e instanceof TraceQLError) return sendText(reply, 400, e.message);
        req.log.error({ err: e }, 'tempo query failed');
        return sendText(reply, 500, e instanceof Error ? e.message : String(e));
      }
    };

  app.get(`${prefix}/api/echo`, async (_req, reply) => sendText(reply, 200, 'echo'));
  app.get(`${prefix}/api/status/buildinfo`, async () => ({
    version: SEXTANT_TEMPO_VERSION,
    revision: '',
    branch: '',
    buildUser: '',
    buildDate: '',
    goVersion: '',
  }));

  const byId = (v2: boolean) =>
    wrap(async (req, reply) => {
      const raw = (req.params as { id: string }).id.toLowerCase();
      if (!/^[0-9a-f]{1,32}$/.test(raw)) throw new BadRequest(`invalid trace id "${raw}"`);
      const id = raw.padStart(32, '0');
      const q = req.query as Query;
      const spans = await store.getTrace(id, timeParam(q, 'start', SEC), timeParam(q, 'end', SEC));
      if (!spans) return sendText(reply, 404, `trace not found: ${id}`);
      if (wantsProtobuf(req)) {
        const body = v2 ? encodeTraceByIdResponseProtobuf(spans) : encodeTraceProtobuf(spans);
        return reply.type('application/protobuf').send(Buffer.from(body));
      }
      const resourceSpans = toOtlpJson(spans);
      // v1 answers the trace itself (`batches` is what Tempo's JSON calls its resource spans); v2 wraps it.
      return v2 ? { trace: { resourceSpans }, status: 'complete' } : { batches: resourceSpans };
    });
  app.get(`${prefix}/api/traces/:id`, byId(false));
  app.get(`${prefix}/api/v2/traces/:id`, byId(true));

  app.get(
    `${prefix}/api/search`,
    wrap(async (req) => {
      const q = req.query as Query;
      const text = first(q, 'q');
      const tags = first(q, 'tags');
      const query = parseTraceQL(text ?? (tags ? tagsToTraceQL(tags) : '{}'));
      const limit = intParam(q, 'limit', 20, 1000);
      const spss = intParam(q, 'spss', 3, 1000);
      const t0 = Date.now();
      const stats = newSearchStats();
      const matches = await searchTraceQL(store, query, {
        start: timeParam(q, 'start', SEC) ?? 0n,
        end: timeParam(q, 'end', SEC) ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n,
        limit,
        minTraceDurationNs: optDuration(q, 'minDuration'),
        maxTraceDurationNs: optDuration(q, 'maxDuration'),
        signal: abortOnClose(req),
        stats,
      });
      // Tempo's metrics; a search stopped by its budget shows completedJobs < totalJobs (jobs = blocks here, as
      // Tempo counts one job per block range) and says why in `warning`.
      const metrics = {
        inspectedTraces: stats.inspectedTraces,
        inspectedBytes: String(stats.inspectedBytes),
        completedJobs: stats.blocksSearched + 1,
        totalJobs: stats.blocksTotal + 1,
        elapsedMs: Date.now() - t0,
      };
      const traces = matches.map((m) => toTempoSearchTrace(m, query, spss));
      if (stats.partial) {
        req.log.warn({ reason: stats.partial, q: query.source }, 'tempo search stopped early');
        return { traces, metrics, partial: true, warning: partialMessage(stats.partial) };
      }
      return { traces, metrics };
    }),
  );

  /** The tag request's query and time range (Unix seconds), when it has them. */
  const tagScope = (req: FastifyRequest): TagScope => {
    const q = req.query as Query;
    return { q: first(q, 'q'), start: timeParam(q, 'start', SEC), end: timeParam(q, 'end', SEC) };
  };
  const scopedNames = async (req: FastifyRequest, scope: 'resource' | 'span' | 'intrinsic'): Promise<string[]> => {
    const ts = tagScope(req);
    if (scope === 'intrinsic' || !isScoped(ts)) return store.tagNames(scope);
    return tagNamesOf(await matchedSpans(store, ts, abortOnClose(req)))[scope];
  };

  app.get(
    `${prefix}/api/search/tags`,
    wrap(async (req) => {
      const scope = first(req.query as Query, 'scope');
      if (scope === 'intrinsic') return { tagNames: await store.tagNames('intrinsic') };
      if (scope === 'resource' || scope === 'span') return { tagNames: await scopedNames(req, scope) };
      if (!isScoped(tagScope(req))) return { tagNames: await store.tagNames() };
      const names = tagNamesOf(await matchedSpans(store, tagScope(req), abortOnClose(req)));
      return { tagNames: [...new Set([...names.resource, ...names.span])].sort() };
    }),
  );
  app.get(
    `${prefix}/api/v2/search/tags`,
    wrap(async (req) => {
      const scope = first(req.query as Query, 'scope');
      const scopes = (['resource', 'span', 'intrinsic'] as const).filter((s) => !scope || scope === 'none' || scope === s);
      const ts = tagScope(req);
      if (!isScoped(ts)) return { scopes: await Promise.all(scopes.map(async (name) => ({ name, tags: await store.tagNames(name) }))) };
      const names = tagNamesOf(await matchedSpans(store, ts, abortOnClose(req)));
      return { scopes: scopes.map((name) => ({ name, tags: name === 'intrinsic' ? INTRINSIC_TAGS : names[name] })) };
    }),
  );
  app.get(
    `${prefix}/api/search/tag/:name/values`,
    wrap(async (req) => {
      const name = (req.params as { name: string }).name;
      const ts = tagScope(req);
      if (!isScoped(ts)) return { tagValues: await store.tagValues(name) };
      return { tagValues: [...new Set(tagValuesOf(name, await matchedSpans(store, ts, abortOnClose(req))).map((v) => v.value))] };
    }),
  );
  app.get(
    `${prefix}/api/v2/search/tag/:name/values`,
    wrap(async (req) => {
      const name = (req.params as { name: string }).name;
      const ts = tagScope(req);
      if (isScoped(ts)) return { tagValues: tagValuesOf(name, await matchedSpans(store, ts, abortOnClose(req))) };
      const vals = await store.tagValues(name);
      return { tagValues: vals.map((value) => ({ type: valueType(name, value), value })) };
    }),
  );
}
