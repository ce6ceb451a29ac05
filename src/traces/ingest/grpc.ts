/**
 * OTLP/gRPC trace receiver: opentelemetry.proto.collector.trace.v1.TraceService/Export on its own listener
 * (default 127.0.0.1:4317). grpc-js handles HTTP/2 framing and gzip message compression; messages arrive as
 * raw bytes (identity deserializer) so a malformed one becomes INVALID_ARGUMENT with the decoder's message
 * rather than grpc-js's generic INTERNAL.
 */
import * as grpc from '@grpc/grpc-js';
import type { Span } from '../model.js';
import type { TraceStore } from '../store/interface.js';
import { acceptSpans } from './accept.js';
import { failedRequests } from './metrics.js';
import { decodeOtlpTracesProtobuf, encodeTraceResponseProtobuf, OtlpDecodeError, translateOtlpTraces } from './otlp.js';

export interface OtlpGrpcServerOptions {
  /** host:port; port 0 picks a free one. Default 127.0.0.1:4317. */
  listen?: string;
  store: TraceStore;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  onSpans?: (spans: Span[]) => void;
  /** Largest message after decompression, bytes. Default 64 MiB. */
  maxMessageBytes?: number;
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const identity = (b: Buffer): Buffer => b;

export async function startOtlpGrpcServer(opts: OtlpGrpcServerOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const max = opts.maxMessageBytes ?? 64 * 1024 * 1024;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': max });
  const accept = { store: opts.store, onSpans: opts.onSpans, logger: opts.logger };
  const definition: grpc.ServiceDefinition = {
    Export: {
      path: EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
      originalName: 'export',
    },
  };
  const exportHandler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    let tr;
    try {
      tr = translateOtlpTraces(decodeOtlpTracesProtobuf(call.request));
    } catch (err) {
      failedRequests.inc({ protocol: 'otlp_grpc', code: 'INVALID_ARGUMENT' });
      const details = err instanceof OtlpDecodeError ? err.message : `invalid request: ${String(err)}`;
      callback({ code: grpc.status.INVALID_ARGUMENT, details });
      return;
    }
    acceptSpans(accept, 'otlp_grpc', tr.spans, tr.rejected).then(
      (res) => callback(null, Buffer.from(encodeTraceResponseProtobuf(res.rejected, res.message))),
      (err: unknown) => {
        failedRequests.inc({ protocol: 'otlp_grpc', code: 'UNAVAILABLE' });
        opts.logger.error({ err: String(err) }, 'OTLP/gRPC traces: storing failed');
        callback({ code: grpc.status.UNAVAILABLE, details: `storage error: ${err instanceof Error ? err.message : String(err)}` });
      },
    );
  };
  server.addService(definition, { Export: exportHandler });
  const listen = opts.listen ?? '127.0.0.1:4317';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  opts.logger.info({ listen, port }, 'OTLP/gRPC trace receiver listening');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5000);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
