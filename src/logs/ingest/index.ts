/** Log ingest: Loki push, Elasticsearch _bulk, OTLP logs. See routes.ts and docs/logs.md. */
export { registerLogIngestRoutes, type LogIngestDeps } from './routes.js';
export { DEFAULT_BULK_LABEL_FIELDS, parseBulkLabelFields } from './es-bulk.js';
export { encodePushProtobuf, type PushEntry } from './loki-push.js';
