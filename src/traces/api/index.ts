export { registerTraceQueryRoutes, JAEGER_PREFIX, TEMPO_PREFIX, type TraceQueryDeps } from './routes.js';
export { toJaegerTrace, dependencies, type JaegerTrace, type JaegerSpan, type JaegerTag } from './jaeger.js';
export { toOtlpJson, encodeTraceProtobuf, type OtlpResourceSpans, type OtlpJsonSpan } from './otlp-json.js';
export { toTempoSearchTrace, type TempoSearchTrace } from './tempo.js';
