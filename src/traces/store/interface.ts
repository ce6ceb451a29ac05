/**
 * The trace store interface: ingest appends spans; trace-by-id, search (Jaeger, Tempo, TraceQL) read them.
 * The embedded store implements it; a ClickHouse back end can implement the same later.
 */
import type { AttrValue, Span, StatusCode } from '../model.js';

export interface SpanAppendResult {
  accepted: number;
  rejected: { index: number; reason: string }[];
}

/** A condition on one span; the store evaluates what it can with its indexes. */
export interface SpanCondition {
  /** `resource.x`, `span.x`, or an intrinsic: `name`, `status`, `kind`, `duration`, `service.name`. */
  readonly field: string;
  readonly op: '=' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~';
  readonly value: AttrValue;
}

export interface TraceSearchParams {
  /** Inclusive ns range on span start time. */
  readonly start: bigint;
  readonly end: bigint;
  readonly serviceName?: string;
  readonly spanName?: string;
  readonly minDurationNs?: bigint;
  readonly maxDurationNs?: bigint;
  readonly status?: StatusCode;
  /** All must hold on one span of the trace (Jaeger `tags`, simple TraceQL). */
  readonly conditions?: readonly SpanCondition[];
  readonly limit: number;
  readonly signal?: AbortSignal;
  /**
   * A check on the whole trace (all its spans, from every block) after the span conditions matched: TraceQL
   * parts the store cannot index (rootServiceName, structural operators, pipelines, trace duration). The
   * search keeps reading older candidates until `limit` traces passed it or the range is exhausted.
   */
  readonly traceFilter?: (traceId: string, spans: readonly Span[]) => boolean;
  /** Caps on this search (defaults: the store's); when one is hit the matches found so far are returned and
   *  `stats.partial` says why. */
  readonly budget?: TraceSearchBudget;
  /** Filled in by the search: what it read, and whether it stopped early. */
  readonly stats?: TraceSearchStats;
}

export interface TraceSearchBudget {
  /** Wall-clock time after which the search stops reading. */
  readonly maxDurationMs?: number;
  /** Bytes of stored span records read (compressed) after which the search stops. */
  readonly maxBytes?: number;
}

/** Counters a search adds to (so several searches of one query can share one object). */
export interface TraceSearchStats {
  inspectedTraces: number;
  inspectedBytes: number;
  /** Blocks whose candidates were all examined, of the blocks overlapping the time range. */
  blocksSearched: number;
  blocksTotal: number;
  /** Set when a budget stopped the search: the results are the newest matches of the part searched. */
  partial?: string;
}

export function newSearchStats(): TraceSearchStats {
  return { inspectedTraces: 0, inspectedBytes: 0, blocksSearched: 0, blocksTotal: 0 };
}

export interface TraceSummary {
  readonly traceId: string;
  readonly rootServiceName: string;
  readonly rootSpanName: string;
  readonly startTimeUnixNano: bigint;
  readonly durationNs: bigint;
  readonly spanCount: number;
  readonly errorCount: number;
  /** The spans that matched the search, by id. */
  readonly matchedSpanIds: readonly string[];
}

export interface TraceStore {
  /** Resolves only when the accepted spans are durable. */
  append(spans: readonly Span[]): Promise<SpanAppendResult>;
  /** All spans of a trace, or undefined; optional time hints narrow the lookup. */
  getTrace(traceId: string, start?: bigint, end?: bigint): Promise<Span[] | undefined>;
  search(params: TraceSearchParams): Promise<TraceSummary[]>;
  services(): Promise<string[]>;
  operations(service: string): Promise<{ name: string; kind: string }[]>;
  tagNames(scope?: 'resource' | 'span' | 'intrinsic'): Promise<string[]>;
  tagValues(name: string): Promise<string[]>;
  close(): Promise<void>;
}
