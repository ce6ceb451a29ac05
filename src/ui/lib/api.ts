/**
 * Typed access to the same-origin Prometheus HTTP API. Shapes follow Prometheus' documented JSON exactly;
 * errors carry Prometheus' errorType and message so the UI can show them verbatim.
 */
import type { LabelSet } from './format.js';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Envelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface ApiResult<T> {
  data: T;
  warnings: string[];
}

export async function apiGet<T>(path: string, params: Record<string, string> = {}, signal?: AbortSignal): Promise<ApiResult<T>> {
  const qs = new URLSearchParams(params).toString();
  return decode<T>(await fetchOrThrow(`/api/v1/${path}${qs ? `?${qs}` : ''}`, { signal }));
}

/** Queries go by POST so long expressions never hit URL length limits. */
export async function apiPost<T>(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<ApiResult<T>> {
  return decode<T>(
    await fetchOrThrow(`/api/v1/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal,
    }),
  );
}

async function fetchOrThrow(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('Cannot reach the Sextant server — is it running?', 'unavailable', 0);
  }
}

async function decode<T>(res: Response): Promise<ApiResult<T>> {
  let body: Envelope<T> | null = null;
  try {
    body = (await res.json()) as Envelope<T>;
  } catch {
    throw new ApiError(`Unexpected response from server (HTTP ${res.status})`, 'bad_response', res.status);
  }
  if (body.status !== 'success' || body.data === undefined) {
    throw new ApiError(body.error ?? `HTTP ${res.status}`, body.errorType ?? 'unknown', res.status);
  }
  return { data: body.data, warnings: body.warnings ?? [] };
}

// ---- Response shapes (Prometheus HTTP API) ----

export type SamplePair = [number, string];

export interface MatrixSeries {
  metric: LabelSet;
  values?: SamplePair[];
}
export interface VectorSample {
  metric: LabelSet;
  value: SamplePair;
}

export type QueryData =
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'scalar'; result: SamplePair }
  | { resultType: 'string'; result: SamplePair };

export interface ActiveTarget {
  discoveredLabels: LabelSet;
  labels: LabelSet;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval?: string;
  scrapeTimeout?: string;
}

export interface TargetsData {
  activeTargets: ActiveTarget[];
  droppedTargets: { discoveredLabels: LabelSet }[];
}

export type BuildInfo = Record<string, string>;
export type Flags = Record<string, string>;

export interface TsdbStat {
  name: string;
  value: number;
}
export interface TsdbStatus {
  headStats?: { numSeries: number; numLabelPairs?: number; chunkCount: number; minTime: number; maxTime: number };
  seriesCountByMetricName?: TsdbStat[];
  labelValueCountByLabelName?: TsdbStat[];
  memoryInBytesByLabelName?: TsdbStat[];
  seriesCountByLabelValuePair?: TsdbStat[];
}
