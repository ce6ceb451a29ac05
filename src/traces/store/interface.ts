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
