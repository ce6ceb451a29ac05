/** Ingest counters on Sextant's own registry, labelled by protocol (loki, elasticsearch, otlp). */
import { Counter } from 'prom-client';
import { selfRegistry } from '../../metrics/collectors/self.js';
import type { LogAppendResult } from '../store/interface.js';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  const existing = selfRegistry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [selfRegistry] });
}

export const receivedLines = counter('sextant_logs_received_lines_total', 'Log lines received by the ingest APIs.', ['protocol']);
export const receivedBytes = counter('sextant_logs_received_bytes_total', 'Bytes of log line text received by the ingest APIs.', ['protocol']);
export const rejectedLines = counter(
  'sextant_logs_rejected_lines_total',
  'Log lines refused by the ingest APIs, by reason (too_old, line_too_long, invalid_labels, malformed, ...).',
  ['protocol', 'reason'],
);
export const truncatedLines = counter('sextant_logs_truncated_lines_total', 'Log lines cut to the maximum line size.', ['protocol']);
export const requestsFailed = counter('sextant_logs_requests_failed_total', 'Ingest requests refused as a whole (malformed, too large, storage error).', ['protocol', 'code']);

export type Protocol = 'loki' | 'elasticsearch' | 'otlp';

export function countAppend(protocol: Protocol, total: number, bytes: number, res: LogAppendResult): void {
  receivedLines.inc({ protocol }, total);
  receivedBytes.inc({ protocol }, bytes);
  for (const r of res.rejected) rejectedLines.inc({ protocol, reason: r.kind });
  if (res.truncated) truncatedLines.inc({ protocol }, res.truncated);
}
