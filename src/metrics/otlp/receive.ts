/**
 * POST /v1/metrics: OTLP/HTTP metrics ingest (binary protobuf or JSON, optionally gzip-compressed).
 * Replies with ExportMetricsServiceResponse in the request's encoding; refused data points are reported in
 * partial_success (HTTP 200), as the OTLP spec asks. Malformed requests get 400 with a google.rpc.Status
 * body; a storage failure gets 503 so exporters retry.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, register } from 'prom-client';
import { sortLabels, validateLabels } from '../../model/labels.js';
import { AppendError, type Storage } from '../storage/interface.js';
import {
  decodeOtlpMetricsJson,
  decodeOtlpMetricsProtobuf,
  encodeExportResponseJson,
  encodeExportResponseProtobuf,
  OtlpDecodeError,
  type OtlpExportMetricsRequest,
  type PartialSuccess,
} from './decode.js';
import { translateOtlpMetrics, type Translation } from './translate.js';
import { BodyError, decompress, encodeRpcStatus, otlpEncoding, unsupportedOtlpContentType } from '../../server/request-body.js';

export interface OtlpMetricsDeps {
  storage: Storage;
  logger: Logger;
  /** Largest decompressed body accepted, bytes. Default 64 MiB. */
  maxDecompressedBytes?: number;
}

function counter(name: string, help: string): Counter<string> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help });
}

const receivedPoints = counter('sextant_otlp_metrics_received_data_points_total', 'OTLP metric data points received.');
const rejectedPoints = counter('sextant_otlp_metrics_rejected_data_points_total', 'OTLP metric data points refused (translation or storage).');
const appendedSamples = counter('sextant_otlp_metrics_appended_samples_total', 'Prometheus samples appended from OTLP metrics.');

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_UNAVAILABLE = 14;

export interface OtlpAppendResult {
  appended: number;
  rejectedPoints: number;
  errors: string[];
}

/** Appends a translation through one appender; points with any refused sample count as rejected. */
export async function appendTranslation(storage: Storage, tr: Translation): Promise<OtlpAppendResult> {
  const app = storage.appender();
  const badPoints = new Set<number>();
  const errors = [...tr.errors];
  let appended = 0;
  const note = (point: number, msg: string): void => {
    if (point >= 0) badPoints.add(point);
    if (errors.length < 10) errors.push(msg);
  };
  try {
    for (const s of tr.samples) {
      let raw = s.labels;
      if (raw.some((l) => l.value === '')) raw = raw.filter((l) => l.value !== '');
      const invalid = validateLabels(raw);
      if (invalid !== undefined) {
        note(s.point, invalid);
        continue;
      }
      const labels = sortLabels(raw.slice());
      try {
        app.append(labels, s.t, s.v);
        appended++;
      } catch (err) {
        if (!(err instanceof AppendError)) throw err;
        // A re-sent target_info with the same timestamp is harmless; do not report it.
        if (s.point >= 0) note(s.point, `${err.message} for ${labels.find((l) => l.name === '__name__')?.value ?? ''} at ${s.t}`);
      }
    }
  } catch (err) {
    app.rollback();
    throw err;
  }
  await app.commit();
  return { appended, rejectedPoints: tr.rejectedPoints + badPoints.size, errors };
}

type Encoding = 'json' | 'protobuf';

export function registerOtlpMetricsRoutes(app: FastifyInstance, deps: OtlpMetricsDeps): void {
  const maxDecompressed = deps.maxDecompressedBytes ?? 64 * 1024 * 1024;
  const log = deps.logger.child({ component: 'otlp-metrics' });

  const sendStatus = (reply: FastifyReply, enc: Encoding, http: number, grpcCode: number, message: string): FastifyReply => {
    if (enc === 'json') return reply.code(http).type('application/json').send(JSON.stringify({ code: grpcCode, message }));
    return reply.code(http).type('application/x-protobuf').send(Buffer.from(encodeRpcStatus(grpcCode, message)));
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const enc = otlpEncoding(req.headers['content-type']);
    if (!enc) {
      return reply.code(415).type('text/plain; charset=utf-8').send(`${unsupportedOtlpContentType(req.headers['content-type'])}\n`);
    }
    const cenc = (req.headers['content-encoding'] ?? '').toLowerCase();
    // OTLP/HTTP names gzip only; the other encodings the log receivers take stay refused here.
    if (cenc !== 'gzip' && cenc !== '' && cenc !== 'identity') {
      return sendStatus(reply, enc, 415, GRPC_INVALID_ARGUMENT, `unsupported Content-Encoding ${JSON.stringify(cenc)}`);
    }
    let body: Uint8Array;
    try {
      body = decompress(req.body instanceof Uint8Array ? req.body : Buffer.alloc(0), cenc, maxDecompressed);
    } catch (err) {
      if (err instanceof BodyError) return sendStatus(reply, enc, err.status, GRPC_INVALID_ARGUMENT, err.message);
      throw err;
    }

    let msg: OtlpExportMetricsRequest;
    try {
      msg = enc === 'json' ? decodeOtlpMetricsJson(Buffer.from(body).toString('utf8')) : decodeOtlpMetricsProtobuf(body);
    } catch (err) {
      if (err instanceof OtlpDecodeError) return sendStatus(reply, enc, 400, GRPC_INVALID_ARGUMENT, err.message);
      throw err;
    }

    const tr = translateOtlpMetrics(msg);
    receivedPoints.inc(tr.points);
    let res: OtlpAppendResult;
    try {
      res = await appendTranslation(deps.storage, tr);
    } catch (err) {
      log.error({ err }, 'OTLP metrics: storage append/commit failed');
      return sendStatus(reply, enc, 503, GRPC_UNAVAILABLE, `storage error: ${err instanceof Error ? err.message : String(err)}`);
    }
    appendedSamples.inc(res.appended);
    let partial: PartialSuccess | undefined;
    if (res.rejectedPoints > 0 || res.errors.length > 0) {
      rejectedPoints.inc(res.rejectedPoints);
      partial = { rejectedDataPoints: res.rejectedPoints, errorMessage: res.errors.join('; ') };
      log.warn({ rejected: res.rejectedPoints, errors: res.errors }, 'OTLP metrics: data points rejected');
    }
    if (enc === 'json') return reply.code(200).type('application/json').send(encodeExportResponseJson(partial));
    return reply.code(200).type('application/x-protobuf').send(Buffer.from(encodeExportResponseProtobuf(partial)));
  };

  // Encapsulated so gzip'd JSON reaches the handler as raw bytes instead of fastify's JSON parser.
  app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    sub.post('/v1/metrics', handler);
  });
}
