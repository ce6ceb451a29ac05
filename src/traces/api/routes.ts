/**
 * The trace query APIs on Sextant's main port: Jaeger's under /jaeger (Grafana's Jaeger data source URL
 * http://HOST:7070/jaeger; the Jaeger UI's query base) and Tempo's under /tempo (Grafana's Tempo data source URL
 * http://HOST:7070/tempo). Both answer `/api/traces/<id>`, in different shapes, hence the prefixes.
 */
import type { FastifyInstance } from 'fastify';
import type { TraceStore } from '../store/interface.js';
import { registerJaegerRoutes } from './jaeger.js';
import { registerTempoRoutes } from './tempo.js';

export const JAEGER_PREFIX = '/jaeger';
export const TEMPO_PREFIX = '/tempo';

export interface TraceQueryDeps {
  store: TraceStore;
  logger: { child(bindings: object): unknown };
  now?: () => number;
}

export function registerTraceQueryRoutes(app: FastifyInstance, deps: TraceQueryDeps): void {
  registerJaegerRoutes(app, JAEGER_PREFIX, deps.store, deps.now ?? Date.now);
  registerTempoRoutes(app, TEMPO_PREFIX, deps.store);
}
