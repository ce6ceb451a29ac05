/** /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values over the Querier. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Storage } from '../storage/interface.js';
import type { Matcher } from '../../model/matcher.js';
import { isValidLabelName, labelsToRecord } from '../../model/labels.js';
import { PromApiError, sendData, sendError } from '../../server/prom-response.js';
import { MAX_TIME_MS, MIN_TIME_MS, multi, paramsOf, parseTimeParam, single, type Params } from './params.js';

export interface SeriesDeps {
  storage: Storage;
  /** Parses a series selector into matchers; throws with Prometheus's parser message on a bad one. */
  parseSelector: (text: string) => Matcher[];
}

interface Range {
  start: number;
  end: number;
  matcherSets: Matcher[][];
  limit: number;
}

function parseRange(params: Params, deps: SeriesDeps, requireMatch: boolean): Range {
  const start = parseTimeParam(single(params, 'start'), 'start', MIN_TIME_MS);
  const end = parseTimeParam(single(params, 'end'), 'end', MAX_TIME_MS);
  const selectors = multi(params, 'match[]');
  if (requireMatch && selectors.length === 0) throw new PromApiError('bad_data', 'no match[] parameter provided');
  const matcherSets = selectors.map((s) => {
    try {
      return deps.parseSelector(s);
    } catch (err) {
      throw new PromApiError('bad_data', (err as Error).message);
    }
  });
  const limitText = single(params, 'limit');
  const limit = limitText === undefined || limitText === '' ? 0 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 0) throw new PromApiError('bad_data', 'limit must be a non-negative number');
  return { start, end, matcherSets, limit };
}

function handle(fn: (params: Params) => Promise<{ data: unknown; warnings?: string[] }>) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const { data, warnings } = await fn(paramsOf(req));
      return sendData(reply, data, warnings);
    } catch (err) {
      if (err instanceof PromApiError) return sendError(reply, err.errorType, err.message);
      throw err;
    }
  };
}

/** Applies `limit` as Prometheus 2.x does: truncate and warn. */
function limited<T>(items: T[], limit: number): { data: T[]; warnings?: string[] } {
  if (limit > 0 && items.length > limit) return { data: items.slice(0, limit), warnings: ['results truncated due to limit'] };
  return { data: items };
}

export function registerSeriesRoutes(app: FastifyInstance, deps: SeriesDeps): void {
  const series = handle(async (params) => {
    const r = parseRange(params, deps, true);
    const q = deps.storage.querier();
    const seen = new Map<string, Record<string, string>>();
    for (const m of r.matcherSets) {
      for (const labels of await q.series(m, r.start, r.end)) {
        const rec = labelsToRecord(labels);
        seen.set(JSON.stringify(rec), rec);
      }
    }
    return limited([...seen.values()], r.limit);
  });
  app.get('/api/v1/series', series);
  app.post('/api/v1/series', series);

  const labelNames = handle(async (params) => {
    const r = parseRange(params, deps, false);
    const q = deps.storage.querier();
    const sets = r.matcherSets.length === 0 ? [[]] : r.matcherSets;
    const names = new Set<string>();
    for (const m of sets) for (const n of await q.labelNames(m, r.start, r.end)) names.add(n);
    return limited([...names].sort(), r.limit);
  });
  app.get('/api/v1/labels', labelNames);
  app.post('/api/v1/labels', labelNames);

  app.get('/api/v1/label/:name/values', async (req, reply) => {
    const name = (req.params as { name: string }).name;
    if (!isValidLabelName(name)) return sendError(reply, 'bad_data', `invalid label name: "${name}"`);
    return handle(async (params) => {
      const r = parseRange(params, deps, false);
      const q = deps.storage.querier();
      const sets = r.matcherSets.length === 0 ? [[]] : r.matcherSets;
      const values = new Set<string>();
      for (const m of sets) for (const v of await q.labelValues(name, m, r.start, r.end)) values.add(v);
      return limited([...values].sort(), r.limit);
    })(req, reply);
  });
}
