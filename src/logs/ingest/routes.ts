/**
 * The log ingest endpoints on the shared HTTP server:
 *
 *   POST /loki/api/v1/push                 Loki push (JSON, gzip JSON, protobuf + snappy)      → 204
 *   POST|PUT /_bulk, /:index/_bulk         Elasticsearch bulk (NDJSON index/create)           → ES bulk response
 *   GET|HEAD / (non-browser), /_license, /_xpack, /_cluster/health, /_nodes, /_cat/*, templates, ILM, ...
 *                                          the handshakes Fluent Bit, Logstash, Filebeat and Vector probe
 *   POST /v1/logs                          OTLP/HTTP logs (protobuf or JSON, gzip)             → partial_success
 *
 * Every path validates the whole request before storing any of it (a malformed body stores nothing), then
 * appends once; per-entry refusals (too old, too long, bad labels) are reported in each protocol's own way
 * while the rest are stored.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { LogEntry } from '../model.js';
import type { LogAppendResult, LogStore } from '../store/interface.js';
import { BodyError, decompress, DEFAULT_MAX_DECOMPRESSED, encodeRpcStatus, otlpEncoding, rawBody, unsupportedOtlpContentType } from '../../server/request-body.js';
import { decodePushJson, decodePushProtobuf, PushDecodeError, type PushStream } from './loki-push.js';
import { BulkDecodeError, DEFAULT_BULK_LABEL_FIELDS, generateId, mapDocument, parseBulk } from './es-bulk.js';
import {
  decodeOtlpLogsJson,
  decodeOtlpLogsProtobuf,
  encodeLogsResponseJson,
  encodeLogsResponseProtobuf,
  OtlpLogsDecodeError,
  translateOtlpLogs,
} from './otlp-logs.js';
import { formatLabels, LabelParseError, parseLabelString, toLabels, validateStreamLabels } from './labels.js';
import { countAppend, rejectedLines, requestsFailed, type Protocol } from './metrics.js';

export interface LogIngestDeps {
  store: LogStore;
  logger: Logger;
  /** `_bulk` document fields that become stream labels (`path` or `path=label`); see docs/logs.md. */
  bulkLabelFields?: string[];
  /** Largest decompressed body, bytes (413 above). Default 64 MiB. */
  maxDecompressedBytes?: number;
  /** The Elasticsearch version the handshake reports (default 8.11.0; use 7.x for old shippers). */
  esVersion?: string;
  /**
   * Longest line in bytes (Loki's max_line_size; 0 = no limit). With `maxLineTruncate` longer lines are cut
   * here (at a UTF-8 boundary) and counted; without it the store refuses them (give it the same limit).
   */
  maxLineBytes?: number;
  maxLineTruncate?: boolean;
  /** Called with the entries the store acknowledged (durable), e.g. to feed live tails. */
  onStored?: (entries: readonly LogEntry[]) => void;
  now?: () => number;
}

const MAX_ERROR_LINES = 10;

export function registerLogIngestRoutes(app: FastifyInstance, deps: LogIngestDeps): void {
  const log = deps.logger.child({ component: 'logs-ingest' });
  const maxBody = deps.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED;
  const now = deps.now ?? Date.now;
  const labelFields = deps.bulkLabelFields ?? [...DEFAULT_BULK_LABEL_FIELDS];
  const esVersion = deps.esVersion ?? '8.11.0';

  const fail = (reply: FastifyReply, protocol: Protocol, code: number, body: string, type = 'text/plain; charset=utf-8'): FastifyReply => {
    requestsFailed.inc({ protocol, code: String(code) });
    return reply.code(code).type(type).send(body);
  };

  const maxLine = deps.maxLineBytes ?? 0;
  const truncate = deps.maxLineTruncate === true && maxLine > 0;

  const append = async (protocol: Protocol, entries: LogEntry[]): Promise<LogAppendResult> => {
    let bytes = 0;
    let truncated = 0;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      bytes += e.line.length;
      // Cut here rather than in the store so the tails see the line exactly as stored. (UTF-16 length is a
      // lower bound of the byte length, so most lines skip the byte count.)
      if (truncate && e.line.length * 3 > maxLine && Buffer.byteLength(e.line) > maxLine) {
        entries[i] = { ...e, line: truncateUtf8(e.line, maxLine) };
        truncated++;
      }
    }
    const res: LogAppendResult = entries.length > 0 ? await deps.store.append(entries) : { accepted: 0, rejected: [] };
    countAppend(protocol, entries.length, bytes, { ...res, truncated: (res.truncated ?? 0) + truncated });
    if (deps.onStored && res.accepted > 0) {
      if (res.rejected.length === 0) deps.onStored(entries);
      else {
        const refused = new Set(res.rejected.map((r) => r.index));
        deps.onStored(entries.filter((_, i) => !refused.has(i)));
      }
    }
    return res;
  };

  // ---------------- Loki push ----------------
  const lokiPush = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const json = ctype.includes('json');
    let streams: PushStream[];
    try {
      const body = decompress(rawBody(req.body), String(req.headers['content-encoding'] ?? ''), maxBody, !json);
      streams = json ? decodePushJson(body.toString('utf8')) : decodePushProtobuf(body);
    } catch (err) {
      if (err instanceof BodyError) return fail(reply, 'loki', err.status, `${err.message}\n`);
      if (err instanceof PushDecodeError) return fail(reply, 'loki', 400, `${err.message}\n`);
      throw err;
    }
    const errors: string[] = [];
    let ignored = 0;
    let total = 0;
    const entries: LogEntry[] = [];
    for (const s of streams) {
      total += s.entries.length;
      let rec: Record<string, string>;
      try {
        rec = typeof s.labels === 'string' ? parseLabelString(s.labels) : s.labels;
      } catch (err) {
        if (!(err instanceof LabelParseError)) throw err;
        errors.push(err.message);
        ignored += s.entries.length;
        rejectedLines.inc({ protocol: 'loki', reason: 'invalid_labels' }, s.entries.length);
        continue;
      }
      const invalid = validateStreamLabels(rec);
      if (invalid) {
        errors.push(invalid);
        ignored += s.entries.length;
        rejectedLines.inc({ protocol: 'loki', reason: 'invalid_labels' }, s.entries.length);
        continue;
      }
      const stream = toLabels(rec);
      for (const e of s.entries) {
        const le: { -readonly [K in keyof LogEntry]: LogEntry[K] } = { stream, ts: e.ts, line: e.line };
        if (e.metadata) le.metadata = e.metadata;
        entries.push(le);
      }
    }
    let res: LogAppendResult;
    try {
      res = await append('loki', entries);
    } catch (err) {
      log.error({ err }, 'Loki push: storing failed');
      return fail(reply, 'loki', 500, `failed to store entries: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    for (const r of res.rejected) {
      const e = entries[r.index];
      errors.push(`entry with timestamp ${nsIso(e.ts)} ignored, reason: '${r.message}' for stream: ${formatLabels(Object.fromEntries(e.stream.map((l) => [l.name, l.value])))},`);
    }
    ignored += res.rejected.length;
    if (errors.length > 0) {
      const shown = errors.slice(0, MAX_ERROR_LINES);
      if (errors.length > shown.length) shown.push(`(${errors.length - shown.length} more errors)`);
      shown.push(`total ignored: ${ignored} out of ${total}`);
      log.debug({ ignored, total }, 'Loki push: entries refused');
      return fail(reply, 'loki', 400, `${shown.join('\n')}\n`);
    }
    return reply.code(204).send();
  };

  // ---------------- Elasticsearch bulk ----------------
  const esHeaders = (reply: FastifyReply): FastifyReply => reply.header('x-elastic-product', 'Elasticsearch');
  const esError = (reply: FastifyReply, status: number, type: string, reason: string): FastifyReply => {
    requestsFailed.inc({ protocol: 'elasticsearch', code: String(status) });
    return esHeaders(reply)
      .code(status)
      .type('application/json')
      .send(JSON.stringify({ error: { root_cause: [{ type, reason }], type, reason }, status }));
  };
  let seqNo = 0;
  const bulk = async (req: FastifyRequest<{ Params: { index?: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    const started = Date.now();
    let items;
    try {
      const body = decompress(rawBody(req.body), String(req.headers['content-encoding'] ?? ''), maxBody);
      items = parseBulk(body.toString('utf8'), req.params.index);
    } catch (err) {
      if (err instanceof BodyError) return esError(reply, err.status, 'illegal_argument_exception', err.message);
      if (err instanceof BulkDecodeError) return esError(reply, 400, 'illegal_argument_exception', err.message);
      throw err;
    }
    if (items.length === 0) return esError(reply, 400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
    const nowMs = now();
    const results: Record<string, unknown>[] = new Array(items.length);
    const entries: LogEntry[] = [];
    const entryItem: number[] = [];
    const itemError = (i: number, status: number, type: string, reason: string): void => {
      const it = items[i];
      results[i] = { [it.op]: { _index: it.index, _id: it.id ?? null, status, error: { type, reason, index: it.index } } };
      rejectedLines.inc({ protocol: 'elasticsearch', reason: type === 'illegal_argument_exception' ? 'rejected' : type });
    };
    items.forEach((it, i) => {
      if (it.op === 'delete' || it.op === 'update') {
        itemError(i, 400, 'illegal_argument_exception', `[${it.op}] is not supported: Sextant keeps logs append-only; use index or create`);
        return;
      }
      if (!it.index) {
        itemError(i, 400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
        return;
      }
      if (!it.doc) {
        itemError(i, 400, 'document_parsing_exception', `[1:1] ${it.docError ?? 'failed to parse'}`);
        return;
      }
      const m = mapDocument(it.doc, it.index, { labelFields });
      const invalid = validateStreamLabels(m.labels);
      if (invalid) {
        itemError(i, 400, 'illegal_argument_exception', invalid);
        return;
      }
      const e: { -readonly [K in keyof LogEntry]: LogEntry[K] } = { stream: toLabels(m.labels), ts: m.ts ?? BigInt(nowMs) * 1_000_000n, line: m.line };
      if (Object.keys(m.metadata).length > 0) e.metadata = m.metadata;
      if (m.traceId) e.traceId = m.traceId;
      if (m.spanId) e.spanId = m.spanId;
      entries.push(e);
      entryItem.push(i);
    });
    let res: LogAppendResult;
    try {
      res = await append('elasticsearch', entries);
    } catch (err) {
      log.error({ err }, '_bulk: storing failed');
      return esError(reply, 503, 'unavailable_shards_exception', `failed to store documents: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const r of res.rejected) {
      const i = entryItem[r.index];
      const it = items[i];
      results[i] = { [it.op]: { _index: it.index, _id: it.id ?? null, status: 400, error: { type: 'illegal_argument_exception', reason: r.message, index: it.index } } };
    }
    let errors = false;
    items.forEach((it, i) => {
      if (results[i]) {
        errors = true;
        return;
      }
      results[i] = {
        [it.op]: {
          _index: it.index,
          _id: it.id ?? generateId(nowMs),
          _version: 1,
          result: 'created',
          _shards: { total: 1, successful: 1, failed: 0 },
          _seq_no: seqNo++,
          _primary_term: 1,
          status: 201,
        },
      };
    });
    return esHeaders(reply)
      .code(200)
      .type('application/json')
      .send(JSON.stringify({ took: Date.now() - started, errors, items: results }));
  };

  const esInfo = (): string =>
    JSON.stringify({
      name: 'sextant',
      cluster_name: 'sextant',
      cluster_uuid: 'c2V4dGFudC1sb2dzLTAwMQ',
      version: {
        number: esVersion,
        build_flavor: 'default',
        build_type: 'docker',
        build_hash: '0000000000000000000000000000000000000000',
        build_date: '2023-11-04T10:04:57.184859352Z',
        build_snapshot: false,
        lucene_version: '9.8.0',
        minimum_wire_compatibility_version: '7.17.0',
        minimum_index_compatibility_version: '7.0.0',
      },
      tagline: 'You Know, for Search',
    });

  // GET / belongs to the web UI for browsers; shippers (which never ask for text/html) get the ES banner.
  app.addHook('onRequest', async (req, reply) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.url !== '/' && !req.url.startsWith('/?'))) return;
    if (String(req.headers.accept ?? '').includes('text/html')) return;
    esHeaders(reply).code(200).type('application/json');
    return req.method === 'HEAD' ? reply.send() : reply.send(esInfo());
  });

  // ---------------- OTLP logs ----------------
  const otlpLogs = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const enc = otlpEncoding(req.headers['content-type']);
    if (!enc) return fail(reply, 'otlp', 415, `${unsupportedOtlpContentType(req.headers['content-type'])}\n`);
    const json = enc === 'json';
    const status = (code: number, grpc: number, message: string): FastifyReply => {
      requestsFailed.inc({ protocol: 'otlp', code: String(code) });
      if (json) return reply.code(code).type('application/json').send(JSON.stringify({ code: grpc, message }));
      return reply.code(code).type('application/x-protobuf').send(Buffer.from(encodeRpcStatus(grpc, message)));
    };
    let records;
    try {
      const body = decompress(rawBody(req.body), String(req.headers['content-encoding'] ?? ''), maxBody);
      const msg = json ? decodeOtlpLogsJson(body.toString('utf8')) : decodeOtlpLogsProtobuf(body);
      records = translateOtlpLogs(msg, BigInt(now()) * 1_000_000n);
    } catch (err) {
      if (err instanceof BodyError) return status(err.status, 3, err.message);
      if (err instanceof OtlpLogsDecodeError) return status(400, 3, err.message);
      throw err;
    }
    const errors: string[] = [];
    let rejected = 0;
    const entries: LogEntry[] = [];
    for (const r of records) {
      const invalid = validateStreamLabels(r.labels);
      if (invalid) {
        rejected++;
        if (errors.length < MAX_ERROR_LINES) errors.push(invalid);
        rejectedLines.inc({ protocol: 'otlp', reason: 'invalid_labels' });
        continue;
      }
      const e: { -readonly [K in keyof LogEntry]: LogEntry[K] } = { stream: toLabels(r.labels), ts: r.ts, line: r.line };
      if (Object.keys(r.metadata).length > 0) e.metadata = r.metadata;
      if (r.traceId) e.traceId = r.traceId;
      if (r.spanId) e.spanId = r.spanId;
      entries.push(e);
    }
    let res: LogAppendResult;
    try {
      res = await append('otlp', entries);
    } catch (err) {
      log.error({ err }, 'OTLP logs: storing failed');
      return status(503, 14, `storage error: ${err instanceof Error ? err.message : String(err)}`);
    }
    rejected += res.rejected.length;
    for (const r of res.rejected) if (errors.length < MAX_ERROR_LINES) errors.push(r.message);
    const message = errors.join('; ');
    if (json) return reply.code(200).type('application/json').send(encodeLogsResponseJson(rejected, message));
    return reply.code(200).type('application/x-protobuf').send(Buffer.from(encodeLogsResponseProtobuf(rejected, message)));
  };

  // Encapsulated so every body (gzip JSON, NDJSON, snappy protobuf) reaches the handlers as raw bytes.
  app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    sub.post('/loki/api/v1/push', lokiPush);
    sub.post('/v1/logs', otlpLogs);
    for (const method of ['POST', 'PUT'] as const) {
      sub.route({ method, url: '/_bulk', handler: bulk });
      sub.route({ method, url: '/:index/_bulk', handler: bulk });
    }
    const ok = (body: unknown) => async (_req: FastifyRequest, reply: FastifyReply) =>
      esHeaders(reply).code(200).type('application/json').send(JSON.stringify(body));
    sub.get('/_license', ok({ license: { status: 'active', uid: 'sextant', type: 'basic', issue_date_in_millis: 0, max_nodes: 1000, issued_to: 'sextant', issuer: 'sextant', start_date_in_millis: -1 } }));
    sub.get('/_xpack', ok({ build: { hash: '0', date: '2023-11-04T10:04:57.184859352Z' }, license: { uid: 'sextant', type: 'basic', mode: 'basic', status: 'active' }, features: {} }));
    sub.get('/_cluster/health', ok({ cluster_name: 'sextant', status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1, active_primary_shards: 1, active_shards: 1, relocating_shards: 0, initializing_shards: 0, unassigned_shards: 0 }));
    sub.get('/_nodes', ok({ _nodes: { total: 1, successful: 1, failed: 0 }, cluster_name: 'sextant', nodes: { sextant: { name: 'sextant', version: esVersion, roles: ['data', 'ingest', 'master'], http: { publish_address: '127.0.0.1:9200' } } } }));
    sub.get('/_nodes/*', ok({ _nodes: { total: 1, successful: 1, failed: 0 }, cluster_name: 'sextant', nodes: { sextant: { name: 'sextant', version: esVersion, roles: ['data', 'ingest', 'master'], http: { publish_address: '127.0.0.1:9200' } } } }));
    sub.get('/_cat/*', async (req, reply) => {
      const asJson = String((req.query as Record<string, unknown>).format ?? '') === 'json';
      return esHeaders(reply).code(200).type(asJson ? 'application/json' : 'text/plain; charset=utf-8').send(asJson ? '[]' : '');
    });
    // Template, ILM, data stream and pipeline set-up calls are acknowledged: logs need no mapping here.
    for (const prefix of ['/_index_template', '/_template', '/_component_template', '/_ilm/policy', '/_data_stream', '/_ingest/pipeline']) {
      // HEAD comes with GET (fastify answers it from the GET handler without a body).
      for (const method of ['GET', 'PUT', 'POST', 'DELETE'] as const) {
        sub.route({
          method,
          url: `${prefix}/*`,
          handler: async (_req, reply) => {
            esHeaders(reply).code(200).type('application/json');
            return reply.send(method === 'GET' ? '{}' : '{"acknowledged":true}');
          },
        });
      }
    }
  });
}

/** The longest prefix of `line` that is at most `maxBytes` bytes of UTF-8, never splitting a character. */
export function truncateUtf8(line: string, maxBytes: number): string {
  const buf = Buffer.from(line, 'utf8');
  if (buf.length <= maxBytes) return line;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

function nsIso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

