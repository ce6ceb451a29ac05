export { registerTraceIngestRoutes, type TraceIngestDeps } from './routes.js';
export { startOtlpGrpcServer, type OtlpGrpcServerOptions } from './grpc.js';
export { translateOtlpTraces, decodeOtlpTracesProtobuf, decodeOtlpTracesJson, traceProtoTypes } from './otlp.js';
export { decodeZipkinV2 } from './zipkin.js';
