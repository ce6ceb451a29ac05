/**
 * One remote_write destination: a durable queue on disk (SegmentLog) and a sender that drains it.
 *
 * Every committed batch is relabelled, stored as one WAL record (8-byte sequence number + snappy-compressed
 * WriteRequest) and only then acknowledged to the writer; the sender posts records in order and remembers
 * the highest fully-sent sequence number in progress.json, so a crash, a restart or a receiver that is down
 * for hours loses nothing (delivery is at-least-once: a batch interrupted mid-send is sent again, which a
 * Prometheus receiver accepts as identical duplicates).
 *
 * Memory is bounded: past maxInMemorySamples new records stay on disk only ("spilled") and are read back
 * once the sender has caught up. Sent segments are cut off and deleted.
 *
 * Sharding: each send round takes up to shards × max_samples_per_send samples, splits them by series hash
 * and posts the shards concurrently; the next round starts only when all have succeeded (or were dropped), so
 * per-series order is kept. The shard count follows the backlog between min_shards and
 * min(max_shards, MAX_CONCURRENT_SHARDS).
 *
 * Requests go through RemoteHttpClient (tls_config, proxy_url) with basic auth, authorization, bearer token or
 * OAuth 2.0 client credentials. When metadata_config.send is on (the default) and a metadata source is given,
 * the metric metadata of all scrape targets is sent every send_interval in metadata-only WriteRequests, as
 * Prometheus 2.42's MetadataWatcher does (not queued on disk: the next round sends it again anyway).
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Counter, register } from 'prom-client';
import type { RemoteWriteConfig } from '../../config/types.js';
import { labelsKey, sortLabels, type Label, type Labels } from '../../model/labels.js';
import { compileRelabelConfigs, relabel, type CompiledRelabelConfig } from '../../model/relabel.js';
import type { Sample } from '../../model/value.js';
import { SegmentLog } from '../../lib/wal/segment-log.js';
import type { CommittedSample } from '../storage/fanout.js';
import { decodeWriteRequest, encodeWriteRequest, snappyCompress, snappyUncompress, type EncodeSeries, type WriteMetadata } from './codec.js';
import { RemoteHttpClient, type RemoteFetch } from './write-http.js';
import { OAuth2TokenSource, oauth2Settings } from './write-oauth2.js';

export const MAX_CONCURRENT_SHARDS = 8;
const DEFAULT_MAX_IN_MEMORY_SAMPLES = 200_000;
const DEFAULT_CUT_BYTES = 16 * 1024 * 1024;
const USER_AGENT = 'Sextant/0.1 (remote-write)';
const PROGRESS_SAVE_INTERVAL_MS = 1000;

function counter(name: string, help: string): Counter<string> {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames: ['remote_name', 'url'] });
}

const sentSamples = counter('sextant_remote_storage_samples_sent_total', 'Samples successfully sent to remote storage.');
const droppedSamples = counter('sextant_remote_storage_samples_dropped_total', 'Samples dropped because the remote refused them (4xx).');
const retriedSamples = counter('sextant_remote_storage_samples_retried_total', 'Samples whose send failed recoverably and was retried.');
const queuedSamples = counter('sextant_remote_storage_samples_queued_total', 'Samples written to the durable remote-write queue.');
const sentMetadata = counter('sextant_remote_storage_metadata_sent_total', 'Metric metadata entries successfully sent to remote storage.');

/** One metric family's metadata as remote_write sends it (prometheus.MetricMetadata). */
export type RemoteMetadata = WriteMetadata;

/** Default metadata_config when the block is absent (Prometheus 2.42: send every minute, 500 per request). */
const DEFAULT_METADATA_CONFIG = { send: true, sendInterval: 60_000, maxSamplesPerSend: 500 };

interface QueueSeries {
  labels: Labels;
  samples: Sample[];
  hash: number;
}

interface Entry {
  seq: number;
  series: QueueSeries[];
  samples: number;
  /** When it was queued (ms); 0 for records read back from disk, which are due at once. */
  queuedAt: number;
}

class Stopped extends Error {}

export interface WriteQueueOptions {
  dir: string;
  name: string;
  config: RemoteWriteConfig;
  externalLabels: Readonly<Record<string, string>>;
  logger: Logger;
  /** Replaces the HTTP client (and with it tls_config and proxy_url handling); for tests. */
  fetch?: RemoteFetch;
  now?: () => number;
  maxInMemorySamples?: number;
  /** The current metric metadata of all targets (deduplicated); enables metadata sending per metadata_config. */
  metadata?: () => readonly RemoteMetadata[];
  /** Cut the queue WAL into a new segment once this many bytes are on disk, so sent data can be deleted. */
  cutBytes?: number;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function encodeRecord(seq: number, series: readonly EncodeSeries[]): Uint8Array {
  const payload = snappyCompress(encodeWriteRequest(series));
  const out = new Uint8Array(8 + payload.length);
  new DataView(out.buffer).setFloat64(0, seq, true);
  out.set(payload, 8);
  return out;
}

function recordSeq(rec: Uint8Array): number {
  return new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getFloat64(0, true);
}

function decodeRecord(rec: Uint8Array): QueueSeries[] {
  const req = decodeWriteRequest(snappyUncompress(rec.subarray(8)));
  return req.series.map((s) => {
    const labels = s.labels as Labels;
    return { labels, samples: s.samples, hash: hashString(labelsKey(labels)) };
  });
}

export class WriteQueue {
  readonly name: string;
  private readonly cfg: RemoteWriteConfig;
  private readonly log: Logger;
  private readonly fetchFn: RemoteFetch;
  private readonly http: RemoteHttpClient | undefined;
  private readonly oauth2: OAuth2TokenSource | undefined;
  private metadataLoop: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly cap: number;
  private readonly cutBytes: number;
  private readonly relabelConfigs: CompiledRelabelConfig[];
  private readonly external: Label[];
  private readonly metricLabels: { remote_name: string; url: string };

  private wal!: SegmentLog;
  private entries: Entry[] = [];
  /** Position inside entries[0]: series index and sample index already sent. */
  private cursorSeries = 0;
  private cursorSample = 0;
  private memSamples = 0;
  private ackedSeq = 0;
  private lastAssignedSeq = 0;
  private lastDurableSeq = 0;
  private loadedThrough = 0;
  private spilled = false;
  private pendingCut: { bound: number; segment: number } | undefined;
  private progressWrite: Promise<void> = Promise.resolve();
  private savedSeq = 0;
  private lastSaveAt = 0;

  private stopped = false;
  private readonly abort = new AbortController();
  private wakeFn: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  private constructor(private readonly opts: WriteQueueOptions) {
    this.name = opts.name;
    this.cfg = opts.config;
    this.log = opts.logger.child({ component: 'remote-write', remote_name: opts.name, url: opts.config.url });
    if (opts.fetch) this.fetchFn = opts.fetch;
    else {
      this.http = new RemoteHttpClient({ tlsConfig: opts.config.tlsConfig, proxyUrl: opts.config.proxyUrl });
      this.fetchFn = this.http.fetch;
    }
    if (opts.config.oauth2) this.oauth2 = new OAuth2TokenSource(oauth2Settings(opts.config.oauth2), { fetch: opts.fetch, now: opts.now });
    this.now = opts.now ?? Date.now;
    this.cap = opts.maxInMemorySamples ?? DEFAULT_MAX_IN_MEMORY_SAMPLES;
    this.cutBytes = opts.cutBytes ?? DEFAULT_CUT_BYTES;
    this.relabelConfigs = compileRelabelConfigs(opts.config.writeRelabelConfigs);
    this.external = sortLabels(Object.entries(opts.externalLabels).map(([name, value]) => ({ name, value })));
    this.metricLabels = { remote_name: opts.name, url: opts.config.url };
  }

  /** Opens (or resumes) the queue in opts.dir and starts sending. */
  static async start(opts: WriteQueueOptions): Promise<WriteQueue> {
    const q = new WriteQueue(opts);
    await q.open();
    q.loop = q.run();
    q.metadataLoop = q.runMetadata();
    return q;
  }

  private async open(): Promise<void> {
    this.wal = await SegmentLog.open(join(this.opts.dir, 'wal'), { logger: this.log });
    try {
      const p = JSON.parse(await readFile(join(this.opts.dir, 'progress.json'), 'utf8')) as { ackedSeq?: number };
      if (typeof p.ackedSeq === 'number') this.ackedSeq = this.savedSeq = p.ackedSeq;
    } catch {
      // No progress yet: everything in the WAL is unsent.
    }
    this.loadedThrough = this.ackedSeq;
    let maxSeq = this.ackedSeq;
    let overflow = false;
    await this.wal.replay((rec) => {
      const seq = recordSeq(rec);
      if (seq > maxSeq) maxSeq = seq;
      if (seq <= this.loadedThrough || overflow) return;
      if (this.memSamples >= this.cap && this.entries.length > 0) {
        overflow = true;
        return;
      }
      this.pushEntry(seq, decodeRecord(rec), 0);
    });
    this.spilled = overflow;
    this.lastAssignedSeq = this.lastDurableSeq = maxSeq;
    if (this.entries.length > 0 || overflow) {
      this.log.info({ pendingSamples: this.memSamples, spilled: overflow, ackedSeq: this.ackedSeq }, 'remote write: resuming queued samples');
    }
    await this.maybeTruncate();
  }

  private pushEntry(seq: number, series: QueueSeries[], queuedAt: number): void {
    let n = 0;
    for (const s of series) n += s.samples.length;
    this.entries.push({ seq, series, samples: n, queuedAt });
    this.memSamples += n;
    this.loadedThrough = seq;
  }

  /** External labels, then write_relabel_configs, as Prometheus applies them. */
  private transform(labels: Labels): Labels | undefined {
    let lset = labels;
    if (this.external.length > 0) {
      const missing = this.external.filter((e) => !lset.some((l) => l.name === e.name));
      if (missing.length > 0) lset = sortLabels([...lset, ...missing]);
    }
    if (this.relabelConfigs.length > 0) {
      const out = relabel(lset, this.relabelConfigs);
      if (!out || out.length === 0) return undefined;
      lset = out;
    }
    return lset;
  }

  /** Durably queues a committed batch; resolves once it is on disk. */
  async enqueue(batch: readonly CommittedSample[]): Promise<void> {
    if (this.stopped) throw new Error(`remote write queue ${this.name} is stopped`);
    const byKey = new Map<string, QueueSeries>();
    const transformed = new Map<Labels, Labels | undefined>();
    let count = 0;
    for (const s of batch) {
      let lset = transformed.get(s.labels);
      if (lset === undefined && !transformed.has(s.labels)) {
        lset = this.transform(s.labels);
        transformed.set(s.labels, lset);
      }
      if (!lset) continue;
      const key = labelsKey(lset);
      let qs = byKey.get(key);
      if (!qs) byKey.set(key, (qs = { labels: lset, samples: [], hash: hashString(key) }));
      qs.samples.push({ t: s.t, v: s.v });
      count++;
    }
    if (count === 0) return;
    const series = [...byKey.values()];
    const seq = ++this.lastAssignedSeq;
    await this.wal.append([encodeRecord(seq, series)]);
    queuedSamples.inc(this.metricLabels, count);
    // Appends resolve in sequence order, so entries stay contiguous.
    this.lastDurableSeq = seq;
    if (!this.spilled && seq > this.loadedThrough) {
      if (this.memSamples + count > this.cap && this.entries.length > 0) this.spilled = true;
      else this.pushEntry(seq, series, this.now());
    }
    this.wake();
  }

  private wake(): void {
    const fn = this.wakeFn;
    this.wakeFn = undefined;
    fn?.();
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', done);
        if (this.wakeFn === done) this.wakeFn = undefined;
        resolve();
      };
      const timer = setTimeout(done, Number.isFinite(ms) ? Math.max(0, ms) : 2 ** 31 - 1);
      this.abort.signal.addEventListener('abort', done);
      if (wakeable) this.wakeFn = done;
    });
  }

  private async run(): Promise<void> {
    const q = this.cfg.queueConfig;
    while (!this.stopped) {
      try {
        if (this.memSamples === 0) {
          if (this.spilled) {
            await this.reload();
            continue;
          }
          await this.sleep(Infinity, true);
          continue;
        }
        if (this.memSamples < q.maxSamplesPerSend) {
          const age = this.now() - this.entries[0].queuedAt;
          if (age < q.batchSendDeadline) {
            await this.sleep(q.batchSendDeadline - age, true);
            continue;
          }
        }
        await this.sendRound();
      } catch (err) {
        if (err instanceof Stopped || this.stopped) return;
        this.log.error({ err }, 'remote write: unexpected error in send loop');
        await this.sleep(q.maxBackoff, false);
      }
    }
  }

  /** Reads spilled records back from disk once memory has drained. */
  private async reload(): Promise<void> {
    let overflow = false;
    await this.wal.replay((rec) => {
      const seq = recordSeq(rec);
      if (seq <= this.loadedThrough || overflow) return;
      if (this.memSamples >= this.cap && this.entries.length > 0) {
        overflow = true;
        return;
      }
      this.pushEntry(seq, decodeRecord(rec), 0);
    });
    // A record made durable while the replay was running may have been missed; stay spilled to pick it up.
    if (!overflow && this.loadedThrough >= this.lastDurableSeq) this.spilled = false;
    if (this.entries.length === 0 && this.spilled) await this.sleep(10, true);
  }

  private async sendRound(): Promise<void> {
    const q = this.cfg.queueConfig;
    const maxShards = Math.max(1, Math.min(q.maxShards, MAX_CONCURRENT_SHARDS));
    const nShards = Math.min(maxShards, Math.max(q.minShards, Math.ceil(this.memSamples / q.maxSamplesPerSend)));
    const limit = nShards * q.maxSamplesPerSend;

    // Take up to `limit` samples from the cursor onwards.
    const shards: QueueSeries[][] = Array.from({ length: nShards }, () => []);
    let taken = 0;
    let ei = 0;
    let si = this.cursorSeries;
    let pi = this.cursorSample;
    while (ei < this.entries.length && taken < limit) {
      const e = this.entries[ei];
      if (si >= e.series.length) {
        ei++;
        si = 0;
        pi = 0;
        continue;
      }
      const s = e.series[si];
      const n = Math.min(s.samples.length - pi, limit - taken);
      if (n > 0) {
        shards[s.hash % nShards].push({ labels: s.labels, samples: s.samples.slice(pi, pi + n), hash: s.hash });
        taken += n;
        pi += n;
      }
      if (pi >= s.samples.length) {
        si++;
        pi = 0;
      }
    }
    // Normalise the end position: an entry whose last series is done counts as consumed.
    while (ei < this.entries.length && si >= this.entries[ei].series.length) {
      ei++;
      si = 0;
      pi = 0;
    }

    await Promise.all(shards.map((series) => this.sendShard(series)));

    // Advance: entries before ei are fully sent.
    let ackSeq = this.ackedSeq;
    if (ei > 0) ackSeq = this.entries[ei - 1].seq;
    this.entries.splice(0, ei);
    this.cursorSeries = si;
    this.cursorSample = pi;
    this.memSamples -= taken;
    if (ackSeq !== this.ackedSeq) {
      this.ackedSeq = ackSeq;
      // At most once a second: after a crash the last second is sent again, which receivers accept.
      if (this.now() - this.lastSaveAt >= PROGRESS_SAVE_INTERVAL_MS || this.memSamples === 0) await this.saveProgress();
      await this.maybeTruncate();
    }
  }

  private async sendShard(series: QueueSeries[]): Promise<void> {
    const max = this.cfg.queueConfig.maxSamplesPerSend;
    let batch: EncodeSeries[] = [];
    let n = 0;
    for (const s of series) {
      let off = 0;
      while (off < s.samples.length) {
        const k = Math.min(max - n, s.samples.length - off);
        batch.push({ labels: s.labels, samples: s.samples.slice(off, off + k) });
        n += k;
        off += k;
        if (n >= max) {
          await this.sendWithRetry(batch, n);
          batch = [];
          n = 0;
        }
      }
    }
    if (n > 0) await this.sendWithRetry(batch, n);
  }

  private sendWithRetry(series: EncodeSeries[], count: number): Promise<void> {
    return this.post(snappyCompress(encodeWriteRequest(series)), count, 'samples');
  }

  /**
   * POSTs one snappy-compressed WriteRequest until it is accepted, refused (4xx other than 429: dropped, as
   * Prometheus does) or the queue stops. A 401 while OAuth 2.0 is in use first fetches a new token once.
   */
  private async post(body: Buffer, count: number, what: 'samples' | 'metadata'): Promise<void> {
    const q = this.cfg.queueConfig;
    let backoff = q.minBackoff;
    let refreshedToken = false;
    for (;;) {
      if (this.stopped) throw new Stopped();
      let status = 0;
      let detail = '';
      try {
        const res = await this.fetchFn(this.cfg.url, {
          method: 'POST',
          body,
          headers: await this.headers(),
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.cfg.remoteTimeout || 30_000)]),
        });
        status = res.status;
        if (status < 200 || status >= 300) detail = (await res.text().catch(() => '')).slice(0, 512);
        else await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        if (this.stopped) throw new Stopped();
        detail = err instanceof Error ? err.message : String(err);
      }
      if (status >= 200 && status < 300) {
        if (what === 'samples') sentSamples.inc(this.metricLabels, count);
        else sentMetadata.inc(this.metricLabels, count);
        return;
      }
      if (status === 401 && this.oauth2 && !refreshedToken) {
        // The token may have been revoked or expired early: one retry with a fresh one before giving up.
        this.oauth2.invalidate();
        refreshedToken = true;
        continue;
      }
      if (status >= 400 && status < 500 && status !== 429) {
        // Not recoverable: Prometheus drops the batch too.
        if (what === 'samples') droppedSamples.inc(this.metricLabels, count);
        this.log.error({ status, detail, [what]: count }, `remote write: non-recoverable error, dropping ${what}`);
        return;
      }
      if (what === 'samples') retriedSamples.inc(this.metricLabels, count);
      this.log.warn({ status: status || undefined, err: detail, backoffMs: backoff, what }, 'remote write: send failed, retrying');
      await this.sleep(backoff, false);
      backoff = Math.min(backoff * 2, q.maxBackoff);
    }
  }

  /** Every send_interval: all targets' metadata, in requests of at most max_samples_per_send entries. */
  private async runMetadata(): Promise<void> {
    const mc = this.cfg.metadataConfig ?? DEFAULT_METADATA_CONFIG;
    const source = this.opts.metadata;
    if (!source || !mc.send || !(mc.sendInterval > 0)) return;
    const perRequest = mc.maxSamplesPerSend > 0 ? mc.maxSamplesPerSend : DEFAULT_METADATA_CONFIG.maxSamplesPerSend;
    while (!this.stopped) {
      // Like Prometheus's MetadataWatcher, the first round is one interval after start.
      await this.sleep(mc.sendInterval, false);
      if (this.stopped) return;
      try {
        const all = source();
        for (let i = 0; i < all.length; i += perRequest) {
          const chunk = all.slice(i, i + perRequest);
          await this.post(snappyCompress(encodeWriteRequest([], chunk)), chunk.length, 'metadata');
        }
      } catch (err) {
        if (err instanceof Stopped || this.stopped) return;
        this.log.error({ err }, 'remote write: sending metadata failed');
      }
    }
  }

  private async headers(): Promise<Record<string, string>> {
    const h: Record<string, string> = {
      ...this.cfg.headers,
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'User-Agent': USER_AGENT,
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    };
    const c = this.cfg;
    if (c.basicAuth) {
      let password = c.basicAuth.password ?? '';
      if (c.basicAuth.passwordFile) password = (await readFile(c.basicAuth.passwordFile, 'utf8')).trim();
      h.Authorization = 'Basic ' + Buffer.from(`${c.basicAuth.username}:${password}`).toString('base64');
    } else if (c.authorization && (c.authorization.credentials || c.authorization.credentialsFile)) {
      const cred = c.authorization.credentialsFile
        ? (await readFile(c.authorization.credentialsFile, 'utf8')).trim()
        : (c.authorization.credentials ?? '');
      h.Authorization = `${c.authorization.type || 'Bearer'} ${cred}`;
    } else if (c.bearerToken || c.bearerTokenFile) {
      const token = c.bearerTokenFile ? (await readFile(c.bearerTokenFile, 'utf8')).trim() : (c.bearerToken ?? '');
      h.Authorization = `Bearer ${token}`;
    } else if (this.oauth2) {
      h.Authorization = await this.oauth2.authorization(this.abort.signal);
    }
    return h;
  }

  /** Never rejects: a failed save is logged and retried with the next acknowledgement. */
  private saveProgress(): Promise<void> {
    const acked = this.ackedSeq;
    if (acked === this.savedSeq) return this.progressWrite;
    this.lastSaveAt = this.now();
    const file = join(this.opts.dir, 'progress.json');
    this.progressWrite = this.progressWrite.then(async () => {
      try {
        // Atomic rename, not fsynced: a lost update only means re-sending a little (at-least-once).
        await writeFile(file + '.tmp', JSON.stringify({ ackedSeq: acked }));
        await rename(file + '.tmp', file);
        this.savedSeq = Math.max(this.savedSeq, acked);
      } catch (err) {
        this.log.warn({ err }, 'remote write: cannot save progress');
      }
    });
    return this.progressWrite;
  }

  /** Deletes WAL segments whose records have all been sent. */
  private async maybeTruncate(): Promise<void> {
    if (this.pendingCut && this.ackedSeq >= this.pendingCut.bound) {
      await this.wal.truncateBefore(this.pendingCut.segment);
      this.pendingCut = undefined;
    }
    if (!this.pendingCut && this.wal.sizeBytes() > this.cutBytes) {
      const bound = this.lastAssignedSeq;
      const segment = await this.wal.cut();
      this.pendingCut = { bound, segment };
      if (this.ackedSeq >= bound) {
        await this.wal.truncateBefore(segment);
        this.pendingCut = undefined;
      }
    }
  }

  /** Samples queued but not yet sent (in memory; spilled records are not counted). */
  pendingSamples(): number {
    return this.memSamples;
  }

  isSpilled(): boolean {
    return this.spilled;
  }

  /** Stops sending (an in-flight request is aborted and will be re-sent after restart) and closes the WAL. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.wake();
    await this.loop;
    await this.metadataLoop;
    await this.saveProgress();
    await this.wal.close();
    this.http?.close();
    this.oauth2?.close();
  }
}

/** The directory name of a queue: its configured name, else a hash of its URL (stable across restarts). */
export function queueDirName(cfg: RemoteWriteConfig): string {
  if (cfg.name) return cfg.name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return 'url-' + createHash('sha256').update(cfg.url).digest('hex').slice(0, 12);
}
