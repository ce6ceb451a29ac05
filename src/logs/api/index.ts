/** Loki's query API (query, labels, series, index, tail) and the live-tail hub ingest publishes to. */
export { registerLokiQueryRoutes, type LokiQueryRouteDeps } from './routes.js';
export { LogTailHub, type TailListener } from './tail-hub.js';
