/**
 * The in-memory series of the derived metrics: cumulative counters and histograms keyed by label set, with one
 * limit on how many distinct series may exist (bounded cardinality) and a counter of what it refused.
 */
import { Counter } from 'prom-client';
import { labelsFromRecord, labelsKey, type Labels } from '../../model/labels.js';
import { selfRegistry } from '../../metrics/collectors/self.js';

function counter(name: string, help: string): Counter {
  const existing = selfRegistry.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, registers: [selfRegistry] });
}

export const seriesDropped = counter(
  'sextant_spanmetrics_series_dropped_total',
  'Span metrics and service graph observations dropped because the series limit was reached.',
);

/** Tempo's span-metrics default histogram buckets, seconds: 0.002 * 2^i for i in 0..13. */
export const SPANMETRICS_BUCKETS: readonly number[] = Array.from({ length: 14 }, (_, i) => 0.002 * 2 ** i);
/** Tempo's service-graph default histogram buckets, seconds. */
export const SERVICE_GRAPH_BUCKETS: readonly number[] = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8];

export class Histogram {
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  /** Adds one observation; returns its bucket index (bounds.length for +Inf). */
  observe(v: number): number {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
    return i;
  }
}

/** Prometheus's spelling of a bucket bound (Go's strconv 'g'-like shortest form). */
export function formatLe(b: number): string {
  return Number.isFinite(b) ? String(Number(b.toPrecision(15))) : '+Inf';
}

export interface SeriesEntry<T> {
  readonly labels: Labels;
  readonly value: T;
}

/** Series shared by every derived metric, so one limit bounds them all. */
export class SeriesSet {
  private size = 0;
  constructor(readonly maxSeries: number) {}

  /** A keyed family of series (one metric name or one histogram). */
  family<T>(make: () => T): SeriesFamily<T> {
    return new SeriesFamily<T>(this, make);
  }

  tryAdd(): boolean {
    if (this.size >= this.maxSeries) {
      seriesDropped.inc();
      return false;
    }
    this.size++;
    return true;
  }

  get count(): number {
    return this.size;
  }
}

export class SeriesFamily<T> {
  readonly series = new Map<string, SeriesEntry<T>>();
  constructor(
    private readonly set: SeriesSet,
    private readonly make: () => T,
  ) {}
  /**
   * The series for these labels, created if the limit allows; undefined (counted as dropped) otherwise.
   * `fastKey`, when given, must identify the label set uniquely; it spares building the labels per call.
   */
  get(record: Record<string, string> | (() => Record<string, string>), fastKey?: string): SeriesEntry<T> | undefined {
    if (fastKey !== undefined) {
      const hit = this.series.get(fastKey);
      if (hit) return hit;
    }
    const labels = labelsFromRecord(typeof record === 'function' ? record() : record);
    const key = fastKey ?? labelsKey(labels);
    let e = this.series.get(key);
    if (!e) {
      if (!this.set.tryAdd()) return undefined;
      e = { labels, value: this.make() };
      this.series.set(key, e);
    }
    return e;
  }
}
