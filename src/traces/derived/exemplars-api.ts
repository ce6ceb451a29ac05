/**
 * GET|POST /api/v1/query_exemplars?query=<PromQL>&start=&end= in Prometheus's shape: every vector selector in
 * the expression picks exemplar series (as Prometheus does), here the span-metrics latency buckets.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Matcher } from '../../model/matcher.js';
import { parseExpr } from '../../metrics/promql/parser/index.js';
import { MAX_TIME_MS, MIN_TIME_MS, paramsOf, parseTimeParam, single } from '../../metrics/api/params.js';
import { PromApiError, sendData, sendError } from '../../server/prom-response.js';
import type { ExemplarSource } from './exemplars.js';

/** All vector selectors' matchers in an expression. */
export function selectorsOf(node: unknown, out: Matcher[][] = []): Matcher[][] {
  if (node === null || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    for (const x of node) selectorsOf(x, out);
    return out;
  }
  const o = node as { kind?: string; matchers?: Matcher[] };
  if (o.kind === 'vectorSelector' && Array.isArray(o.matchers)) {
    out.push(o.matchers);
    return out;
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'pos' && k !== 'func') selectorsOf(v, out);
  return out;
}

export function registerExemplarRoutes(app: FastifyInstance, deps: { exemplars: ExemplarSource }): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const params = paramsOf(req);
      const q = single(params, 'query');
      if (!q) throw new PromApiError('bad_data', 'invalid parameter "query": query must not be empty');
      const start = parseTimeParam(single(params, 'start'), 'start', MIN_TIME_MS);
      const end = parseTimeParam(single(params, 'end'), 'end', MAX_TIME_MS);
      if (end < start) throw new PromApiError('bad_data', 'end timestamp must not be before start timestamp');
      let expr;
      try {
        expr = parseExpr(q);
      } catch (err) {
        throw new PromApiError('bad_data', `invalid parameter "query": ${err instanceof Error ? err.message : String(err)}`);
      }
      const series = deps.exemplars.query(selectorsOf(expr), start, end);
      return sendData(
        reply,
        series.map((s) => ({
          seriesLabels: Object.fromEntries(s.seriesLabels.map((l) => [l.name, l.value])),
          exemplars: s.exemplars.map((e) => ({
            labels: { trace_id: e.traceId, span_id: e.spanId },
            value: String(e.value),
            timestamp: e.timestampMs / 1000,
          })),
        })),
      );
    } catch (err) {
      if (err instanceof PromApiError) return sendError(reply, err.errorType, err.message);
      throw err;
    }
  };
  app.get('/api/v1/query_exemplars', handler);
  app.post('/api/v1/query_exemplars', handler);
}
