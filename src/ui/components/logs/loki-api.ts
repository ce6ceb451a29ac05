/** Same-origin calls to the Loki query API. Loki answers errors as plain text, shown to the user verbatim. */
import { parser } from '@grafana/lezer-logql';

export class LokiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'LokiError';
  }
}

export type EntryExtra = { structuredMetadata?: Record<string, string>; parsed?: Record<string, string> };
export type StreamValue = [string, string, EntryExtra?];

export interface LokiStream {
  stream: Record<string, string>;
  values: StreamValue[];
}

export interface LokiMatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export type LokiQueryData =
  | { resultType: 'streams'; result: LokiStream[]; stats?: unknown }
  | { resultType: 'matrix'; result: LokiMatrixSeries[]; stats?: unknown }
  | { resultType: 'vector'; result: { metric: Record<string, string>; value: [number, string] }[] }
  | { resultType: 'scalar'; result: [number, string] };

export function lokiQueryRange(params: Record<string, string>, signal?: AbortSignal): Promise<LokiQueryData> {
  return lokiData<LokiQueryData>('/loki/api/v1/query_range', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Loki-Response-Encoding-Flags': 'categorize-labels' },
    body: new URLSearchParams(params).toString(),
    signal,
  });
}

/** Label names of the streams stored since `sinceMs`: none means no logs have arrived. */
export function lokiLabels(sinceMs: number, signal?: AbortSignal): Promise<string[]> {
  const params = new URLSearchParams({ start: `${sinceMs}000000`, end: `${Date.now()}000000` });
  return lokiData<string[] | undefined>(`/loki/api/v1/labels?${params}`, { signal }).then((d) => d ?? []);
}

/** The `data` of a Loki API answer; a failure carries the server's own message. */
async function lokiData<T>(url: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new LokiError('Cannot reach the Sextant server — is it running?', 0);
  }
  const text = await res.text();
  if (!res.ok) throw new LokiError(text.trim() || `HTTP ${res.status}`, res.status);
  try {
    return (JSON.parse(text) as { data: T }).data;
  } catch {
    throw new LokiError(`Unexpected response from server (HTTP ${res.status})`, res.status);
  }
}

/** Whether the query is a metric query (graph) rather than a log query (lines), by the LogQL grammar. */
export function isMetricQuery(query: string): boolean {
  const top = parser.parse(query).topNode.firstChild;
  return top?.firstChild?.name === 'MetricExpr';
}

/**
 * The log-volume query for a log query: entries per level per bucket. The level is a `level` stream label
 * when there is one, else taken from `level=`/`"level":` in the line (a regexp never fails, unlike json).
 */
export function volumeQuery(query: string, stepSec: number): string {
  const detect = '| regexp `(?i)\\b(?:level|lvl|severity)["\']?\\s*[=:]\\s*["\']?(?P<level>[a-z]+)`';
  return `sum by (level) (count_over_time(${query.trim()} ${detect} | __error__="" [${stepSec}s]))`;
}

/** About `points` buckets across the range, rounded to a readable step. */
export function bucketSeconds(rangeMs: number, points = 120): number {
  const raw = rangeMs / 1000 / points;
  const nice = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  return nice.find((n) => n >= raw) ?? Math.ceil(raw / 86400) * 86400;
}
