/** /api/v1/status/* and /api/v1/metadata, /api/v1/targets: what the server knows about itself. */
import type { FastifyInstance } from 'fastify';
import { sendData, sendError } from '../../server/prom-response.js';
import type { Storage } from '../storage/interface.js';
import { paramsOf, single } from './params.js';
import type { Labels } from '../../model/labels.js';
import { compileMatcher, type Matcher } from '../../model/matcher.js';
import { getLabel } from '../../model/labels.js';
import { BUILD_INFO } from '../../server/build-info.js';

export interface TargetsSource {
  targets(state?: 'active' | 'dropped' | 'any'): { activeTargets: unknown[]; droppedTargets: unknown[] };
  metadata(metric?: string, limit?: number): Record<string, { type: string; help: string; unit: string }[]>;
  targetMetadata(matchTarget?: (labels: Labels) => boolean, metric?: string, limit?: number): unknown[];
}

export interface StatusDeps {
  /** Parses `match_target` selectors (`{job="x"}`) into matchers. */
  parseSelector: (text: string) => Matcher[];
  storage: Storage;
  scrape: TargetsSource;
  /** The YAML the running configuration was loaded from. */
  configYaml: () => string;
  flags: () => Record<string, string>;
  startTime: Date;
  reloadStatus: () => { success: boolean; time: Date };
}

export function registerStatusRoutes(app: FastifyInstance, deps: StatusDeps): void {
  app.get('/api/v1/status/buildinfo', async (_req, reply) => sendData(reply, BUILD_INFO));
  app.get('/api/v1/status/config', async (_req, reply) => sendData(reply, { yaml: deps.configYaml() }));
  app.get('/api/v1/status/flags', async (_req, reply) => sendData(reply, deps.flags()));
  app.get('/api/v1/status/runtimeinfo', async (_req, reply) => {
    const rs = deps.reloadStatus();
    const mem = process.memoryUsage();
    return sendData(reply, {
      startTime: deps.startTime.toISOString(),
      CWD: process.cwd(),
      reloadConfigSuccess: rs.success,
      lastConfigTime: rs.time.toISOString(),
      corruptionCount: 0,
      goroutineCount: 0,
      GOMAXPROCS: 1,
      GOGC: '',
      GODEBUG: '',
      storageRetention: deps.flags()['storage.tsdb.retention.time'] ?? '',
      nodeVersion: process.version,
      heapUsedBytes: mem.heapUsed,
    });
  });
  app.get('/api/v1/status/tsdb', async (req, reply) => {
    const limitParam = single(paramsOf(req), 'limit');
    const limit = limitParam === undefined ? 10 : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1) return sendError(reply, 'bad_data', 'limit must be a positive number');
    const s = deps.storage.headStats(limit);
    return sendData(reply, {
      headStats: { numSeries: s.numSeries, numLabelPairs: s.seriesCountByLabelValuePair.length, chunkCount: s.numChunks, minTime: s.minTime, maxTime: s.maxTime },
      seriesCountByMetricName: s.seriesCountByMetricName,
      labelValueCountByLabelName: s.labelValueCountByLabelName,
      memoryInBytesByLabelName: s.memoryInBytesByLabelName,
      seriesCountByLabelValuePair: s.seriesCountByLabelValuePair,
    });
  });
  app.get('/api/v1/targets', async (req, reply) => {
    const state = single(paramsOf(req), 'state') ?? 'any';
    if (state !== 'active' && state !== 'dropped' && state !== 'any') {
      // Prometheus treats unknown states as "any".
      return sendData(reply, deps.scrape.targets('any'));
    }
    return sendData(reply, deps.scrape.targets(state));
  });
  app.get('/api/v1/targets/metadata', async (req, reply) => {
    const p = paramsOf(req);
    const limitParam = single(p, 'limit');
    const limit = limitParam === undefined || limitParam === '' ? -1 : Number(limitParam);
    if (!Number.isInteger(limit)) return sendError(reply, 'bad_data', 'limit must be a number');
    let match: ((labels: Labels) => boolean) | undefined;
    const selector = single(p, 'match_target');
    if (selector) {
      let matchers: Matcher[];
      try {
        matchers = deps.parseSelector(selector);
      } catch (err) {
        return sendError(reply, 'bad_data', (err as Error).message);
      }
      const compiled = matchers.map(compileMatcher);
      match = (labels) => compiled.every((m) => m.matches(getLabel(labels, m.name)));
    }
    return sendData(reply, deps.scrape.targetMetadata(match, single(p, 'metric'), limit));
  });
  app.get('/api/v1/metadata', async (req, reply) => {
    const p = paramsOf(req);
    const limitParam = single(p, 'limit');
    const limit = limitParam === undefined || limitParam === '' ? -1 : Number(limitParam);
    if (!Number.isInteger(limit)) return sendError(reply, 'bad_data', 'limit must be a number');
    return sendData(reply, deps.scrape.metadata(single(p, 'metric'), limit));
  });
}
