/**
 * Trace ingest over HTTP:
 *
 *   POST /v1/traces     OTLP/HTTP (application/x-protobuf or application/json, optionally gzip)
 *                       → 200 ExportTraceServiceResponse, partial_success.rejected_spans for refused spans;
 *                         400 google.rpc.Status (or {code,message} in JSON) for a malformed body
 *   POST /api/v2/spans  Zipkin v2 JSON (optionally gzip) → 202; 400 with a message for anything malformed
 *
 * A request is decoded and validated whole before anything is stored, so a malformed one stores nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Span } from '../model.js';
import type { TraceStore } from '../store/interface.js';
import { BodyError, decompress, DEFAULT_MAX_DECOMPRESSED, encodeRpcStatus, otlpEncoding, rawBody, unsupportedOtlpContentType } from '../../server/request-body.js';
import { acceptSpans } from './accept.js';
import { failedRequests } from './metrics.js';
import {
  decodeOtlpTracesJson,
  decodeOtlpTracesProtobuf,
  encodeTraceResponseJson,
  encodeTraceResponseProtobuf,
  OtlpDecodeError,
  translateOtlpTraces,
  type TranslatedSpans,
} from './otlp.js';
import { decodeZipkinV2, ZipkinDecodeError } from './zipkin.js';

export interface TraceIngestDeps {
  store: TraceStore;
  logger: Logger;
  /** Called with the stored spans of each request (span metrics, service graph). */
  onSpans?: (spans: Span[]) => void;
  /** Largest decompressed body, bytes (413 above). Default 64 MiB. */
  maxDecompressedBytes?: number;
}

export function registerTraceIngestRoutes(app: FastifyInstance, deps: TraceIngestDeps): void {
  const log = deps.logger.child({ component: 'traces-ingest' });
  const maxBody = deps.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED;
  const accept = { store: deps.store, onSpans: deps.onSpans, logger: log };

  const otlp = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const enc = otlpEncoding(req.headers['content-type']);
    const json = enc === 'json';
    const status = (code: number, grpc: number, message: string): FastifyReply => {
      failedRequests.inc({ protocol: 'otlp_http', code: String(code) });
      if (json) return reply.code(code).type('application/json').send(JSON.stringify({ code: grpc, message }));
      return reply.code(code).type('application/x-protobuf').send(Buffer.from(encodeRpcStatus(grpc, message)));
    };
    if (!enc) return status(415, 3, unsupportedOtlpContentType(req.headers['content-type']));
    let tr: TranslatedSpans;
    try {
      const body = decompress(rawBody(req.body), String(req.headers['content-encoding'] ?? ''), maxBody);
      tr = translateOtlpTraces(json ? decodeOtlpTracesJson(body.toString('utf8')) : decodeOtlpTracesProtobuf(body));
    } catch (err) {
      if (err instanceof BodyError) return status(err.status, 3, err.message);
      if (err instanceof OtlpDecodeError) return status(400, 3, err.message);
      throw err;
    }
    let res;
    try {
      res = await acceptSpans(accept, 'otlp_http', tr.spans, tr.rejected);
    } catch (err) {
      log.error({ err }, 'OTLP traces: storing failed');
      return status(503, 14, `storage error: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (json) return reply.code(200).type('application/json').send(encodeTraceResponseJson(res.rejected, res.message));
    return reply.code(200).type('application/x-protobuf').send(Buffer.from(encodeTraceResponseProtobuf(res.rejected, res.message)));
  };

  const zipkin = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const fail = (code: number, message: string): FastifyReply => {
      failedRequests.inc({ protocol: 'zipkin', code: String(code) });
      return reply.code(code).type('text/plain; charset=utf-8').send(`${message}\n`);
    };
    const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (ctype !== '' && ctype !== 'application/json' && ctype !== 'text/plain') {
      return fail(400, `unsupported content type ${JSON.stringify(ctype)}: only Zipkin v2 JSON (application/json) is accepted`);
    }
    let spans: Span[];
    try {
      const body = decompress(rawBody(req.body), String(req.headers['content-encoding'] ?? ''), maxBody);
      spans = decodeZipkinV2(body.toString('utf8'));
    } catch (err) {
      if (err instanceof BodyError) return fail(err.status, err.message);
      if (err instanceof ZipkinDecodeError) return fail(400, err.message);
      throw err;
    }
    try {
      const res = await acceptSpans(accept, 'zipkin', spans, []);
      if (res.rejected > 0) return fail(400, res.message);
    } catch (err) {
      log.error({ err }, 'Zipkin spans: storing failed');
      return fail(503, `storage error: ${err instanceof Error ? err.message : String(err)}`);
    }
    return reply.code(202).send();
  };

  // Encapsulated so every body (gzip JSON, protobuf) reaches the handlers as raw bytes.
  app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    sub.post('/v1/traces', otlp);
    sub.post('/api/v2/spans', zipkin);
  });
}
