/**
 * Span metrics and the service graph, named as Tempo's metrics-generator names them, written into the metrics
 * storage so they are ordinary PromQL series:
 *
 *   traces_spanmetrics_calls_total{service, span_name, span_kind, status_code, <dimensions>}
 *   traces_spanmetrics_latency_{bucket,sum,count}{same labels (+ le)}               seconds, Tempo's buckets
 *   traces_service_graph_request_total{client, server}
 *   traces_service_graph_request_failed_total{client, server}
 *   traces_service_graph_request_{server,client}_seconds_{bucket,sum,count}{client, server (+ le)}
 *
 * Spans update cumulative in-memory series as they arrive; flush() (every flushIntervalMs) appends every series'
 * current value at now() through one Appender. Service graph edges pair a client (or producer) span with the
 * server (or consumer) span whose parent it is, like Tempo: whichever side arrives first waits in a store of
 * unpaired spans until the other arrives or waitMs passes (then it is counted as unpaired and forgotten).
 */
import { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { Labels } from '../../model/labels.js';
import { AppendError, type Storage } from '../../metrics/storage/interface.js';
import { selfRegistry } from '../../metrics/collectors/self.js';
import type { Span } from '../model.js';
import { ExemplarStore } from './exemplars.js';
import {
  formatLe,
  Histogram,
  SERVICE_GRAPH_BUCKETS,
  SeriesSet,
  SPANMETRICS_BUCKETS,
  type SeriesFamily,
} from './series.js';

export interface DerivedMetricsOptions {
  storage: Pick<Storage, 'appender'>;
  logger?: Pick<Logger, 'warn' | 'error'>;
  now?: () => number;
  /** How often series are written to the storage (default 15 s; 0: only when flush() is called). */
  flushIntervalMs?: number;
  /** Extra labels from span (then resource) attributes, e.g. ["http.method", "k8s.namespace.name"]. */
  dimensions?: readonly string[];
  /** Most distinct series across all derived metrics (default 10,000). */
  maxSeries?: number;
  /** Latency buckets in seconds (default Tempo's 0.002·2^i, i = 0..13). */
  buckets?: readonly number[];
  serviceGraph?: { waitMs?: number; maxItems?: number; buckets?: readonly number[] };
}

function counter(name: string, help: string, labelNames: string[] = []): Counter {
  const existing = selfRegistry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, labelNames, registers: [selfRegistry] });
}

const unpairedSpans = counter('sextant_servicegraph_unpaired_spans_total', 'Client or server spans whose other side never arrived within the wait time.', ['side']);
const droppedEdges = counter('sextant_servicegraph_dropped_spans_total', 'Spans not paired because the store of unpaired spans was full.');

const KIND_LABEL: Record<Span['kind'], string> = {
  unspecified: 'SPAN_KIND_UNSPECIFIED',
  internal: 'SPAN_KIND_INTERNAL',
  server: 'SPAN_KIND_SERVER',
  client: 'SPAN_KIND_CLIENT',
  producer: 'SPAN_KIND_PRODUCER',
  consumer: 'SPAN_KIND_CONSUMER',
};
const STATUS_LABEL: Record<Span['status']['code'], string> = {
  unset: 'STATUS_CODE_UNSET',
  ok: 'STATUS_CODE_OK',
  error: 'STATUS_CODE_ERROR',
};

function withNameAndLe(labels: Labels, name: string, le: string): Labels {
  return [...labels, { name: '__name__', value: name }, { name: 'le', value: le }].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** An attribute name as a Prometheus label name (Tempo replaces what is not [a-zA-Z0-9_] with `_`). */
export function sanitizeLabelName(n: string): string {
  const s = n.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

interface Pending {
  service: string;
  durationS: number;
  failed: boolean;
  expiresAt: number;
  traceId: string;
  spanId: string;
  endMs: number;
}

interface Edge {
  client?: Pending;
  server?: Pending;
  /** When the first side arrived plus the wait time; edges are kept in arrival order. */
  expiresAt: number;
}

export class DerivedMetrics {
  private readonly set: SeriesSet;
  private readonly calls: SeriesFamily<{ v: number }>;
  private readonly latency: SeriesFamily<Histogram>;
  private readonly sgTotal: SeriesFamily<{ v: number }>;
  private readonly sgFailed: SeriesFamily<{ v: number }>;
  private readonly sgServer: SeriesFamily<Histogram>;
  private readonly sgClient: SeriesFamily<Histogram>;
  private readonly edges = new Map<string, Edge>();
  private readonly dims: { attr: string; label: string }[];
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  readonly exemplars = new ExemplarStore();
  /** Per span-metrics series: the labels of each of its bucket series (exemplars are kept per bucket). */
  private readonly bucketLabels = new Map<string, Labels[]>();

  constructor(private readonly opts: DerivedMetricsOptions) {
    this.now = opts.now ?? Date.now;
    this.set = new SeriesSet(opts.maxSeries ?? 10_000);
    const buckets = opts.buckets ?? SPANMETRICS_BUCKETS;
    const sgBuckets = opts.serviceGraph?.buckets ?? SERVICE_GRAPH_BUCKETS;
    this.calls = this.set.family(() => ({ v: 0 }));
    this.latency = this.set.family(() => new Histogram(buckets));
    this.sgTotal = this.set.family(() => ({ v: 0 }));
    this.sgFailed = this.set.family(() => ({ v: 0 }));
    this.sgServer = this.set.family(() => new Histogram(sgBuckets));
    this.sgClient = this.set.family(() => new Histogram(sgBuckets));
    const reserved = new Set(['service', 'span_name', 'span_kind', 'status_code', 'le', '__name__']);
    this.dims = (opts.dimensions ?? []).map((attr) => ({ attr, label: sanitizeLabelName(attr) })).filter((d) => !reserved.has(d.label));
  }

  start(): void {
    const every = this.opts.flushIntervalMs ?? 15_000;
    if (every > 0 && !this.timer) {
      this.timer = setInterval(() => void this.flush(), every);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Updates the series with stored spans (the ingest `onSpans` hook). Synchronous and cheap per span. */
  onSpans(spans: readonly Span[]): void {
    const now = this.now();
    for (const s of spans) {
      this.spanMetrics(s);
      this.serviceGraph(s, now);
    }
  }

  private spanMetrics(s: Span): void {
    let key = `${s.serviceName}\u0000${s.name}\u0000${s.kind}\u0000${s.status.code}`;
    const dimVals: (string | undefined)[] = [];
    for (const d of this.dims) {
      const v = s.attributes[d.attr] ?? s.resource[d.attr];
      const text = v !== undefined && v !== null && typeof v !== 'object' ? String(v) : undefined;
      dimVals.push(text);
      key += `\u0000${text ?? ''}`;
    }
    const labels = (): Record<string, string> => {
      const r: Record<string, string> = {
        service: s.serviceName,
        span_name: s.name,
        span_kind: KIND_LABEL[s.kind],
        status_code: STATUS_LABEL[s.status.code],
      };
      this.dims.forEach((d, i) => {
        if (dimVals[i] !== undefined) r[d.label] = dimVals[i]!;
      });
      return r;
    };
    const c = this.calls.get(labels, key);
    const h = this.latency.get(labels, key);
    if (!c || !h) return;
    c.value.v++;
    const secs = Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e9;
    const bucket = h.value.observe(secs);
    let bl = this.bucketLabels.get(key);
    if (!bl) {
      bl = h.value.bounds.map((_, i) => withNameAndLe(h.labels, 'traces_spanmetrics_latency_bucket', formatLe(h.value.bounds[i])));
      bl.push(withNameAndLe(h.labels, 'traces_spanmetrics_latency_bucket', '+Inf'));
      this.bucketLabels.set(key, bl);
    }
    this.exemplars.record(bl[bucket], {
      traceId: s.traceId,
      spanId: s.spanId,
      value: secs,
      timestampMs: Number(s.endTimeUnixNano / 1_000_000n),
    });
  }

  private serviceGraph(s: Span, now: number): void {
    const isClient = s.kind === 'client' || s.kind === 'producer';
    const isServer = s.kind === 'server' || s.kind === 'consumer';
    if (!isClient && !isServer) return;
    if (isServer && !s.parentSpanId) return;
    const key = `${s.traceId}:${isClient ? s.spanId : s.parentSpanId}`;
    const p: Pending = {
      service: s.serviceName,
      durationS: Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1e9,
      failed: s.status.code === 'error',
      expiresAt: now + (this.opts.serviceGraph?.waitMs ?? 10_000),
      traceId: s.traceId,
      spanId: s.spanId,
      endMs: Number(s.endTimeUnixNano / 1_000_000n),
    };
    let e = this.edges.get(key);
    if (!e) {
      if (this.edges.size >= (this.opts.serviceGraph?.maxItems ?? 10_000)) {
        this.expire(now);
        if (this.edges.size >= (this.opts.serviceGraph?.maxItems ?? 10_000)) {
          droppedEdges.inc();
          return;
        }
      }
      e = { expiresAt: p.expiresAt };
      this.edges.set(key, e);
    }
    if (isClient) e.client = p;
    else e.server = p;
    if (e.client && e.server) {
      this.edges.delete(key);
      this.completeEdge(e.client, e.server);
    }
  }

  private completeEdge(client: Pending, server: Pending): void {
    const labels = { client: client.service, server: server.service };
    const total = this.sgTotal.get(labels);
    const failed = this.sgFailed.get(labels);
    const sh = this.sgServer.get(labels);
    const ch = this.sgClient.get(labels);
    if (!total || !failed || !sh || !ch) return;
    total.value.v++;
    if (client.failed || server.failed) failed.value.v++;
    sh.value.observe(server.durationS);
    ch.value.observe(client.durationS);
  }

  /**
   * Forgets unpaired spans older than the wait time. The map is in arrival order, so this stops at the first
   * edge still waiting: cheap enough to run whenever the store is full.
   */
  expire(now = this.now()): void {
    for (const [k, e] of this.edges) {
      if (e.expiresAt > now) break;
      this.edges.delete(k);
      unpairedSpans.inc({ side: e.client ? 'client' : 'server' });
    }
  }

  /** Appends every series' current value at now(); one commit. Concurrent calls run one after another. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushNow());
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushNow(): Promise<void> {
    const t = this.now();
    this.expire(t);
    const app = this.opts.storage.appender();
    const put = (labels: Labels, name: string, v: number, extra?: { name: string; value: string }): void => {
      const ls = [...labels, { name: '__name__', value: name }];
      if (extra) ls.push(extra);
      ls.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      try {
        app.append(ls, t, v);
      } catch (e) {
        if (!(e instanceof AppendError)) throw e;
      }
    };
    const counters: [SeriesFamily<{ v: number }>, string][] = [
      [this.calls, 'traces_spanmetrics_calls_total'],
      [this.sgTotal, 'traces_service_graph_request_total'],
      [this.sgFailed, 'traces_service_graph_request_failed_total'],
    ];
    for (const [fam, name] of counters) for (const s of fam.series.values()) put(s.labels, name, s.value.v);
    const hists: [SeriesFamily<Histogram>, string][] = [
      [this.latency, 'traces_spanmetrics_latency'],
      [this.sgServer, 'traces_service_graph_request_server_seconds'],
      [this.sgClient, 'traces_service_graph_request_client_seconds'],
    ];
    for (const [fam, base] of hists) {
      for (const s of fam.series.values()) {
        const h = s.value;
        let cum = 0;
        for (let i = 0; i < h.bounds.length; i++) {
          cum += h.counts[i];
          put(s.labels, `${base}_bucket`, cum, { name: 'le', value: formatLe(h.bounds[i]) });
        }
        put(s.labels, `${base}_bucket`, h.count, { name: 'le', value: '+Inf' });
        put(s.labels, `${base}_sum`, h.sum);
        put(s.labels, `${base}_count`, h.count);
      }
    }
    try {
      await app.commit();
    } catch (err) {
      this.opts.logger?.error({ err: String(err) }, 'span metrics: writing to the metrics storage failed');
      throw err;
    }
  }

  stats(): { series: number; unpaired: number } {
    return { series: this.set.count, unpaired: this.edges.size };
  }
}
