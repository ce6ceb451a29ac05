/** Ingest counters on Sextant's own registry (GET /metrics). */
import { Counter } from 'prom-client';
import { selfRegistry } from '../../metrics/collectors/self.js';

export type TraceProtocol = 'otlp_http' | 'otlp_grpc' | 'zipkin';

function counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = selfRegistry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [selfRegistry] });
}

export const receivedSpans = counter('sextant_traces_received_spans_total', 'Spans received, by protocol.', ['protocol']);
export const acceptedSpans = counter('sextant_traces_accepted_spans_total', 'Spans stored, by protocol.', ['protocol']);
export const rejectedSpans = counter(
  'sextant_traces_rejected_spans_total',
  'Spans refused (invalid ids, end before start, missing start), by protocol and reason.',
  ['protocol', 'reason'],
);
export const failedRequests = counter(
  'sextant_traces_ingest_failed_requests_total',
  'Trace ingest requests refused whole (malformed body, storage error), by protocol and status code.',
  ['protocol', 'code'],
);
export const truncatedValues = counter(
  'sextant_traces_truncated_attribute_values_total',
  'Attribute values cut to 64 KiB.',
  [],
);
export const droppedItems = counter(
  'sextant_traces_dropped_items_total',
  'Attributes, events and links dropped above the per-span limits, by what was dropped.',
  ['what'],
);

/** A short reason label for the rejected counter. */
export function reasonLabel(reason: string): string {
  if (reason.startsWith('invalid trace id')) return 'invalid_trace_id';
  if (reason.startsWith('invalid span id')) return 'invalid_span_id';
  if (reason.startsWith('invalid parent')) return 'invalid_parent_span_id';
  if (reason.startsWith('end time')) return 'end_before_start';
  if (reason.startsWith('missing start')) return 'missing_start_time';
  return 'other';
}
