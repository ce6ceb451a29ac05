/**
 * POST /api/v1/write: the Prometheus remote-write 1.0 receiver (snappy-compressed prometheus.WriteRequest).
 *
 * Status codes follow Prometheus 2.42 (checked against the real binary, see test/remote/receive.test.ts):
 * 204 on success; 400 with a text message for corrupt snappy, malformed protobuf and for out-of-order,
 * out-of-bounds or duplicate samples (a sender treats 4xx as final and does not retry); 413 for bodies over
 * the limits; 500 when the storage itself fails (the sender retries).
 *
 * Where Sextant deliberately differs from 2.42:
 *  - 2.42 rolls the whole request back at the first refused sample; Sextant refuses only that sample,
 *    commits the others and reports the first error plus per-reason counts in the 400 message. The sender
 *    drops the batch on 400 either way, so this loses strictly less data.
 *  - Label sets are validated (2.42 stores invalid label names and answers 500 for duplicate names, which
 *    makes senders retry forever): a series with invalid labels is refused with 400, its samples counted.
 *  - Native histograms are not stored yet; they are counted as refused but do not fail the request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Counter, register } from 'prom-client';
import { formatLabels, sortLabels, validateLabels, type Label, type Labels } from '../../model/labels.js';
import { AppendError, type Appender, type AppendErrorKind, type Storage } from '../storage/interface.js';
import {
  ProtobufDecodeError,
  snappyDecodedLength,
  SeriesLabelCache,
  snappyUncompress,
  SnappyDecodeError,
  visitWriteRequest,
  type VisitedSeries,
  type WriteSeries,
} from './codec.js';

export interface RemoteWriteReceiverDeps {
  storage: Storage;
  logger: Logger;
  /** Largest decompressed WriteRequest accepted, bytes (checked from the snappy header before decompressing). Default 64 MiB. */
  maxDecompressedBytes?: number;
  /**
   * The storage's own label array for a series it holds (e.g. TSDB.canonicalLabels). When given, the
   * receiver's label cache references those arrays instead of keeping a copy of every label set. Defaults
   * to `storage.canonicalLabels` when the storage has one.
   */
  canonicalLabels?: (labels: Labels) => Labels | undefined;
}

/** A storage that can hand out its own label array for a series it holds. */
export interface CanonicalLabelsSource {
  canonicalLabels(labels: Labels): Labels | undefined;
}

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

type RejectReason = AppendErrorKind | 'native_histogram';

function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  // Module state survives repeated registration in tests; reuse the registered metric.
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames });
}

const receivedSamples = counter('sextant_remote_write_received_samples_total', 'Samples received by the remote-write endpoint.');
const appendedSamples = counter('sextant_remote_write_appended_samples_total', 'Samples from remote write appended and committed.');
const rejectedSamples = counter('sextant_remote_write_rejected_samples_total', 'Samples from remote write refused, by reason.', ['reason']);
const failedRequests = counter('sextant_remote_write_failed_requests_total', 'Remote-write requests answered with an error, by status code.', [
  'code',
]);

const REASON_TEXT: Record<RejectReason, string> = {
  out_of_order: 'out of order sample',
  out_of_bounds: 'out of bounds',
  duplicate: 'duplicate sample for timestamp',
  too_old: 'too old sample',
  invalid_labels: 'invalid labels',
  native_histogram: 'native histograms not supported',
};

export interface WriteResult {
  appended: number;
  rejected: Map<RejectReason, number>;
  firstError?: string;
}

/**
 * Remembers the final (validated, sorted) label set of series sent before, keyed by their wire bytes, so a
 * series sent again is neither decoded nor re-validated (see SeriesLabelCache). What it stores is the
 * storage's own label array when `canonical` can supply it: one Map entry per series, not a second label set.
 */
export class ReceiverLabelCache {
  readonly decoded = new SeriesLabelCache();
  constructor(private readonly canonical?: (labels: Labels) => Labels | undefined) {}

  /** After a successful commit: stores the labels of series that were decoded and validated this time. */
  remember(entries: readonly { hash: number; labels: Labels }[]): void {
    for (const { hash, labels } of entries) this.decoded.put(hash, this.canonical?.(labels) ?? labels);
  }
}

/**
 * Appends series through one appender as they are decoded; refused samples are counted, not fatal. Series
 * whose labels were validated here are remembered in the cache once the request commits.
 */
class RequestAppender {
  readonly rejected = new Map<RejectReason, number>();
  appended = 0;
  received = 0;
  firstError: string | undefined;
  private learned: { hash: number; labels: Labels }[] | undefined;

  constructor(
    readonly app: Appender,
    private readonly cache: ReceiverLabelCache | undefined,
  ) {}

  private reject(reason: RejectReason, n: number, msg: string): void {
    if (n <= 0) return;
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + n);
    this.firstError ??= msg;
  }

  /** Throws only what the storage throws other than AppendError. */
  add(s: VisitedSeries): void {
    this.received += s.n;
    if (s.histogramCount) this.reject('native_histogram', s.histogramCount, REASON_TEXT.native_histogram);
    let labels: Labels;
    if (s.cached) labels = s.labels;
    else {
      // Prometheus drops labels with empty values before anything else.
      let raw: Label[] = s.labels;
      if (raw.some((l) => l.value === '')) raw = raw.filter((l) => l.value !== '');
      const res = checkedLabels(raw);
      if (typeof res === 'string') {
        this.reject('invalid_labels', s.n, `${res} in series ${formatRaw(raw)}`);
        return;
      }
      labels = res;
      // Only a label set that is its own wire form can be found again by the cache (see SeriesLabelCache).
      if (this.cache && s.hash >= 0 && res === s.labels) (this.learned ??= []).push({ hash: s.hash, labels });
    }
    const { ts, vs, n } = s;
    for (let i = 0; i < n; i++) {
      try {
        this.app.append(labels, ts[i], vs[i]);
        this.appended++;
      } catch (err) {
        if (!(err instanceof AppendError)) throw err;
        this.reject(err.kind, 1, `${REASON_TEXT[err.kind]}: series ${formatLabels(labels)}, timestamp ${ts[i]}`);
      }
    }
  }

  async commit(): Promise<WriteResult> {
    await this.app.commit();
    if (this.learned) this.cache?.remember(this.learned);
    return { appended: this.appended, rejected: this.rejected, firstError: this.firstError };
  }
}

/**
 * Appends decoded series through one appender and commits. Refused samples are counted, not fatal.
 * Throws only when the storage fails (append throwing something other than AppendError, or commit).
 * With a cache (the one the series were decoded with), validated label sets are remembered after the commit.
 */
export async function appendWriteRequest(storage: Storage, series: readonly WriteSeries[], cache?: ReceiverLabelCache): Promise<WriteResult> {
  const req = new RequestAppender(storage.appender(), cache);
  try {
    for (const ws of series) {
      req.add({
        labels: ws.labels,
        cached: ws.cachedLabels === true,
        hash: ws.labelsHash ?? -1,
        n: ws.samples.length,
        ts: Float64Array.from(ws.samples, (x) => x.t),
        vs: Float64Array.from(ws.samples, (x) => x.v),
        exemplars: ws.exemplars,
        histogramCount: ws.histogramCount ?? 0,
      });
    }
  } catch (err) {
    req.app.rollback();
    throw err;
  }
  return req.commit();
}

/**
 * Decodes an uncompressed WriteRequest and appends its series as they are decoded (no object per series
 * or sample), then commits. Throws ProtobufDecodeError for a malformed request — nothing of it is committed
 * then — and whatever the storage throws when it fails.
 */
export async function ingestWriteRequest(storage: Storage, buf: Uint8Array, cache?: ReceiverLabelCache): Promise<WriteResult & { received: number }> {
  const req = new RequestAppender(storage.appender(), cache);
  try {
    visitWriteRequest(buf, cache?.decoded, (s) => req.add(s));
  } catch (err) {
    req.app.rollback();
    throw err;
  }
  const res = await req.commit();
  return { ...res, received: req.received };
}

// Label names and metric names repeat across series and requests; remembering which are valid skips the
// regex for almost every label. Bounded so hostile input cannot grow it without limit.
const validNames = new Set<string>();
const VALID_NAMES_MAX = 100_000;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function remember(key: string): void {
  if (validNames.size >= VALID_NAMES_MAX) validNames.clear();
  validNames.add(key);
}

/**
 * The sorted label set, or the validation error. Senders normally send labels sorted, so the common case
 * is one pass with no copy; anything unusual falls back to validateLabels for the exact message.
 */
export function checkedLabels(raw: Label[]): Label[] | string {
  let sorted = true;
  let hasName = false;
  for (let i = 0; i < raw.length; i++) {
    const l = raw[i];
    if (i > 0 && !(raw[i - 1].name < l.name)) sorted = false;
    if (l.name === '__name__') {
      hasName = true;
      const key = '\x00' + l.value;
      if (!validNames.has(key)) {
        if (!METRIC_NAME_RE.test(l.value)) return validateLabels(raw) ?? 'invalid metric name';
        remember(key);
      }
    } else if (!validNames.has(l.name)) {
      if (!LABEL_NAME_RE.test(l.name)) return validateLabels(raw) ?? 'invalid label name';
      remember(l.name);
    }
  }
  if (!hasName) return validateLabels(raw) ?? 'series has no metric name';
  if (sorted) return raw;
  const out = sortLabels(raw.slice());
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1].name === out[i].name) return validateLabels(raw) ?? `duplicate label name: ${JSON.stringify(out[i].name)}`;
  }
  return out;
}

function formatRaw(labels: readonly Label[]): string {
  return `{${labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
}

function rejectionMessage(res: WriteResult): string {
  const total = [...res.rejected.values()].reduce((a, b) => a + b, 0);
  const parts = [...res.rejected.entries()].map(([k, v]) => `${k}: ${v}`).join(', ');
  return `${res.firstError}; ${total} samples rejected (${parts}), ${res.appended} appended\n`;
}

export function registerRemoteWriteRoutes(app: FastifyInstance, deps: RemoteWriteReceiverDeps): void {
  const maxDecompressed = deps.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const log = deps.logger.child({ component: 'remote-write-receiver' });
  const storageCanonical = (deps.storage as Partial<CanonicalLabelsSource>).canonicalLabels;
  const labelCache = new ReceiverLabelCache(deps.canonicalLabels ?? storageCanonical?.bind(deps.storage));

  const fail = (reply: FastifyReply, code: number, msg: string): FastifyReply => {
    failedRequests.inc({ code: String(code) });
    return reply.code(code).type('text/plain; charset=utf-8').send(msg.endsWith('\n') ? msg : msg + '\n');
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = req.body;
    if (!(body instanceof Uint8Array)) return fail(reply, 400, 'request body must be snappy-compressed protobuf');
    const enc = req.headers['content-encoding'];
    if (enc !== undefined && enc.toLowerCase() !== 'snappy') {
      return fail(reply, 415, `unsupported Content-Encoding ${JSON.stringify(enc)}; remote write 1.0 uses snappy`);
    }
    const declared = snappyDecodedLength(body);
    if (declared < 0) return fail(reply, 400, 'snappy: corrupt input');
    if (declared > maxDecompressed) {
      return fail(reply, 413, `decompressed body of ${declared} bytes exceeds the limit of ${maxDecompressed} bytes`);
    }
    let res: WriteResult & { received: number };
    try {
      res = await ingestWriteRequest(deps.storage, snappyUncompress(body), labelCache);
    } catch (err) {
      if (err instanceof SnappyDecodeError) return fail(reply, 400, `snappy: corrupt input (${err.message})`);
      if (err instanceof ProtobufDecodeError) return fail(reply, 400, `protobuf: ${err.message}`);
      log.error({ err }, 'remote write: storage append/commit failed');
      return fail(reply, 500, `storage error: ${err instanceof Error ? err.message : String(err)}`);
    }
    receivedSamples.inc(res.received);
    appendedSamples.inc(res.appended);
    for (const [reason, n] of res.rejected) rejectedSamples.inc({ reason }, n);
    const hardRejects = [...res.rejected.keys()].some((k) => k !== 'native_histogram');
    if (hardRejects) {
      const msg = rejectionMessage(res);
      log.warn({ firstError: res.firstError, rejected: Object.fromEntries(res.rejected) }, 'remote write: samples rejected');
      return fail(reply, 400, msg);
    }
    return reply.code(204).send();
  };

  // Encapsulated so the catch-all raw-body parser applies to this route only: Prometheus senders always
  // send application/x-protobuf, but other clients omit or misstate the content type and 2.42 accepts them.
  app.register(async (sub) => {
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    sub.post('/api/v1/write', handler);
  });
}
