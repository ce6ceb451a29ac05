/**
 * A log entry as every log path sees it: Loki push, Elasticsearch _bulk, OTLP logs and the agent produce these;
 * the log store keeps them; LogQL reads them. Time is nanoseconds since the epoch as a bigint, as Loki keeps it.
 */
import type { Labels } from '../model/labels.js';

export interface LogEntry {
  /** Stream labels (sorted, valid Prometheus label names): the stream identity. */
  readonly stream: Labels;
  /** Nanoseconds since the Unix epoch. */
  readonly ts: bigint;
  readonly line: string;
  /** Loki structured metadata: per-line key/values that are not stream labels. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Lower-case hex trace id, when the line belongs to a trace (OTLP trace_id, or a detected field). */
  readonly traceId?: string;
  readonly spanId?: string;
}
