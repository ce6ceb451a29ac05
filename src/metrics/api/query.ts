/**
 * /api/v1/query and /api/v1/query_range on the PromQL engine, with Prometheus 2.42's parameter parsing, error
 * texts and JSON shapes. Evaluation is cancelled when the client goes away.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { labelsToRecord } from '../../model/labels.js';
import { sendData, sendError } from '../../server/prom-response.js';
import type { Storage } from '../storage/interface.js';
import type { Engine, QueryResult, QueryStats } from '../promql/engine.js';
import { PromQLError } from '../promql/errors.js';
import { formatSampleValue } from '../promql/aggregate.js';
import { parsePromDurationParam, parsePromTime } from './params.js';

export interface QueryRouteDeps {
  storage: Storage;
  engine: Engine;
  /** Clock for a missing `time` parameter; injectable for tests. */
  now?: () => number;
  /**
   * Include `totalQueryableSamplesPerStep` for stats=all, as Prometheus does only with
   * --enable-feature=promql-per-step-stats. Off by default, like Prometheus.
   */
  perStepStats?: boolean;
}

class BadParam extends Error {}

/** Go's r.FormValue: the form body wins over the URL query; first value of a repeated key. */
function formValue(req: FastifyRequest, name: string): string {
  for (const src of [req.body, req.query]) {
    if (!src || typeof src !== 'object' || Buffer.isBuffer(src)) continue;
    const v = (src as Record<string, unknown>)[name];
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') return first;
  }
  return '';
}

function param<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new BadParam(`invalid parameter ${JSON.stringify(name)}: ${(e as Error).message}`);
  }
}

function secs(ms: number): number {
  return ms / 1000;
}

/** Prometheus's JSON result shapes: values as [unix seconds, "<Go 'f' -1 float>"]. */
export function resultJson(r: QueryResult): { resultType: string; result: unknown } {
  switch (r.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        result: r.result.map((s) => ({ metric: labelsToRecord(s.metric), value: [secs(s.t), formatSampleValue(s.v)] })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.result.map((s) => ({
          metric: labelsToRecord(s.metric),
          values: s.timestamps.map((t, i) => [secs(t), formatSampleValue(s.values[i])]),
        })),
      };
    case 'scalar':
      return { resultType: 'scalar', result: [secs(r.result.t), formatSampleValue(r.result.v)] };
    case 'string':
      return { resultType: 'string', result: [secs(r.result.t), r.result.v] };
  }
}

function statsJson(stats: QueryStats | undefined, mode: string): QueryStats | undefined {
  if (!stats || mode === '') return undefined;
  const out: QueryStats = { timings: stats.timings, samples: { ...stats.samples } };
  if (mode !== 'all') delete out.samples.totalQueryableSamplesPerStep;
  else if (out.samples.totalQueryableSamplesPerStep) {
    out.samples.totalQueryableSamplesPerStep = out.samples.totalQueryableSamplesPerStep.map(([t, n]) => [secs(t), n]);
  }
  return out;
}

/** Aborts when the client disconnects before the answer is sent. */
function abortOnDisconnect(_req: FastifyRequest, reply: FastifyReply): AbortController {
  const ac = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableEnded) ac.abort();
  };
  // The request stream closes once its body is read; only the response closing early means the client left.
  reply.raw.once('close', onClose);
  return ac;
}

export function registerQueryRoutes(app: FastifyInstance, deps: QueryRouteDeps): void {
  const now = deps.now ?? Date.now;

  const respond = async (reply: FastifyReply, run: () => Promise<QueryResult>, statsMode: string) => {
    try {
      const r = await run();
      const data: Record<string, unknown> = resultJson(r);
      const stats = statsJson(r.stats, statsMode);
      if (stats) data.stats = stats;
      return sendData(reply, data, r.warnings);
    } catch (e) {
      if (e instanceof BadParam) return sendError(reply, 'bad_data', e.message);
      if (e instanceof PromQLError) return sendError(reply, e.errorType, e.message);
      return sendError(reply, 'internal', (e as Error).message);
    }
  };

  const timeoutOf = (req: FastifyRequest): number | undefined => {
    const to = formValue(req, 'timeout');
    return to === '' ? undefined : param('timeout', () => parsePromDurationParam(to));
  };

  const instant = async (req: FastifyRequest, reply: FastifyReply) => {
    const statsMode = formValue(req, 'stats');
    return respond(
      reply,
      async () => {
        const timeText = formValue(req, 'time');
        const t = timeText === '' ? now() : param('time', () => parsePromTime(timeText));
        const timeoutMs = timeoutOf(req);
        const expr = formValue(req, 'query');
        const ac = abortOnDisconnect(req, reply);
        try {
          return await deps.engine.instantQuery(deps.storage.querier(), expr, t, ac.signal, { timeoutMs, perStepStats: statsMode === 'all' && deps.perStepStats === true });
        } catch (e) {
          if (e instanceof PromQLError && e.name === 'ParseError') throw new BadParam(`invalid parameter "query": ${e.message}`);
          throw e;
        }
      },
      statsMode,
    );
  };

  const range = async (req: FastifyRequest, reply: FastifyReply) => {
    const statsMode = formValue(req, 'stats');
    return respond(
      reply,
      async () => {
        const start = param('start', () => parsePromTime(formValue(req, 'start')));
        const end = param('end', () => parsePromTime(formValue(req, 'end')));
        if (end < start) throw new BadParam('end timestamp must not be before start time');
        const step = param('step', () => parsePromDurationParam(formValue(req, 'step')));
        if (!(step > 0)) throw new BadParam('zero or negative query resolution step widths are not accepted. Try a positive integer');
        if (Math.floor((end - start) / step) > 11000) {
          throw new BadParam('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)');
        }
        const timeoutMs = timeoutOf(req);
        const expr = formValue(req, 'query');
        const ac = abortOnDisconnect(req, reply);
        try {
          return await deps.engine.rangeQuery(deps.storage.querier(), expr, start, end, Math.round(step), ac.signal, {
            timeoutMs,
            perStepStats: statsMode === 'all' && deps.perStepStats === true,
          });
        } catch (e) {
          // Prometheus reports range-query parse errors without the parameter prefix.
          if (e instanceof PromQLError && e.errorType === 'bad_data') throw new BadParam(e.message);
          throw e;
        }
      },
      statsMode,
    );
  };

  app.get('/api/v1/query', instant);
  app.post('/api/v1/query', instant);
  app.get('/api/v1/query_range', range);
  app.post('/api/v1/query_range', range);
}
