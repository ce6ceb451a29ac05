/**
 * The log store interface: ingest paths append, LogQL and the Loki API read. The embedded store implements it
 * today; a ClickHouse back end implements the same later (same schema idea: stream labels, timestamp, line,
 * structured metadata, trace id).
 */
import type { Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import type { LogEntry } from '../model.js';

/** Why an entry was refused; the push APIs count these and report them as Loki does. */
export type LogRejectKind = 'too_old' | 'too_far_in_future' | 'line_too_long' | 'out_of_order' | 'invalid_labels' | 'rate_limited';

export interface LogAppendResult {
  accepted: number;
  /** Refused entries with the index into the appended array and why. */
  rejected: { index: number; kind: LogRejectKind; message: string }[];
  /** Accepted entries whose line was cut to the maximum line size (lineTooLong: 'truncate'). Optional: added later. */
  truncated?: number;
}

/** A line filter the store can evaluate itself, so a search does not read what it need not. */
export interface LineFilter {
  readonly op: '|=' | '!=' | '|~' | '!~';
  /** For `|=`/`!=` one or more alternatives joined by `or` (any matches). */
  readonly values: readonly string[];
}

export interface LogSelectParams {
  readonly matchers: readonly Matcher[];
  /** Inclusive start, exclusive end, ns. */
  readonly start: bigint;
  readonly end: bigint;
  readonly direction: 'forward' | 'backward';
  /** Maximum entries returned; 0 = no limit (metric queries). */
  readonly limit: number;
  /** Pushed-down filters, all of which must pass, in order. */
  readonly lineFilters?: readonly LineFilter[];
  readonly signal?: AbortSignal;
}

export interface LogStreamInfo {
  readonly labels: Labels;
}

export interface LogStoreStats {
  streams: number;
  chunks: number;
  entries: number;
  bytes: number;
}

export interface LogStore {
  /** Appends entries; resolves only when the accepted ones are durable (a SIGKILL afterwards loses none). */
  append(entries: readonly LogEntry[]): Promise<LogAppendResult>;
  /** Entries in time order per `direction`, across streams, up to `limit`. Batches keep memory bounded. */
  select(params: LogSelectParams): AsyncIterable<LogEntry[]>;
  series(matchers: readonly Matcher[], start: bigint, end: bigint): Promise<Labels[]>;
  labelNames(start: bigint, end: bigint): Promise<string[]>;
  labelValues(name: string, matchers: readonly Matcher[], start: bigint, end: bigint): Promise<string[]>;
  stats(matchers: readonly Matcher[], start: bigint, end: bigint): Promise<LogStoreStats>;
  close(): Promise<void>;
}
