/**
 * The hinge of the metrics path. Everything that writes samples (scrape, remote_write receive, OTLP,
 * rule evaluation, span metrics) goes through an Appender; everything that reads them (PromQL, federation,
 * the series/labels APIs, remote read) goes through a Querier. The embedded TSDB implements this today;
 * a ClickHouse back end implements the same interface later and nothing above it changes.
 */
import type { Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';

/** Why a single sample was refused. The receiver counts these per request, as Prometheus does. */
export type AppendErrorKind =
  | 'out_of_order' // older than the newest sample of its series (beyond the out-of-order window)
  | 'out_of_bounds' // older than what the head accepts at all
  | 'duplicate' // same timestamp, different value
  | 'invalid_labels'
  | 'too_old';

export class AppendError extends Error {
  constructor(
    readonly kind: AppendErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AppendError';
  }
}

export interface Appender {
  /**
   * Adds one sample; labels must be sorted and valid. Throws AppendError for a sample that is refused;
   * the other samples of the batch are unaffected. Nothing is visible to queries before commit().
   */
  append(labels: Labels, t: number, v: number): void;
  /** Makes the batch durable (written to the WAL and synced) and visible. Resolves only after that. */
  commit(): Promise<void>;
  /** Drops the batch. */
  rollback(): void;
}

/** One series' samples in [mint, maxt], in time order. */
export interface SeriesData {
  readonly labels: Labels;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export interface SelectHints {
  /** Evaluation step for range queries; lets the storage down-sample or skip work. Optional. */
  step?: number;
  /** The PromQL function over this selector, if any (e.g. "rate"). Optional. */
  func?: string;
}

export interface Querier {
  /** Series matching every matcher that have at least one sample in [mint, maxt] (inclusive, ms). Sorted by labels. */
  select(matchers: readonly Matcher[], mint: number, maxt: number, hints?: SelectHints): Promise<SeriesData[]>;
  /** Series label sets only, without samples (for /api/v1/series). */
  series(matchers: readonly Matcher[], mint: number, maxt: number): Promise<Labels[]>;
  labelNames(matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]>;
  labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]>;
}

export interface HeadStats {
  numSeries: number;
  numChunks: number;
  minTime: number;
  maxTime: number;
  /** Top label names/values/metric names by series count, as /api/v1/status/tsdb reports them. */
  seriesCountByMetricName: { name: string; value: number }[];
  labelValueCountByLabelName: { name: string; value: number }[];
  memoryInBytesByLabelName: { name: string; value: number }[];
  seriesCountByLabelValuePair: { name: string; value: number }[];
}

export interface Storage {
  appender(): Appender;
  querier(): Querier;
  /** For /api/v1/status/tsdb. */
  headStats(limit?: number): HeadStats;
  close(): Promise<void>;
}
