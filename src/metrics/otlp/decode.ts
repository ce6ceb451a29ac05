/**
 * Decoding and encoding of OTLP metrics export messages, in both OTLP/HTTP encodings: binary protobuf and
 * OTLP/JSON (lowerCamelCase keys, 64-bit integers as decimal strings, enums as numbers, trace and span ids
 * as hex rather than proto3-JSON's base64).
 */
import type Long from 'long';
import { otlpMetricsRoot } from '../remote/proto.js';

/** A protobufjs 64-bit value: Long when the `long` package is present, number otherwise; string in raw JSON. */
export type Int64 = number | string | Long;

export interface OtlpAnyValue {
  value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: Uint8Array;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue | null;
}

export interface OtlpExemplar {
  filteredAttributes?: OtlpKeyValue[];
  timeUnixNano?: Int64;
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  asInt?: Int64;
  spanId?: Uint8Array;
  traceId?: Uint8Array;
}

interface PointBase {
  attributes?: OtlpKeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  flags?: number;
  exemplars?: OtlpExemplar[];
}

export interface OtlpNumberDataPoint extends PointBase {
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  asInt?: Int64;
}

export interface OtlpHistogramDataPoint extends PointBase {
  count?: Int64;
  sum?: number | null;
  bucketCounts?: Int64[];
  explicitBounds?: number[];
}

export interface OtlpSummaryDataPoint extends PointBase {
  count?: Int64;
  sum?: number;
  quantileValues?: { quantile?: number; value?: number }[];
}

export interface OtlpMetric {
  name?: string;
  description?: string;
  unit?: string;
  data?: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  gauge?: { dataPoints?: OtlpNumberDataPoint[] } | null;
  sum?: { dataPoints?: OtlpNumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean } | null;
  histogram?: { dataPoints?: OtlpHistogramDataPoint[]; aggregationTemporality?: number } | null;
  exponentialHistogram?: { dataPoints?: PointBase[]; aggregationTemporality?: number } | null;
  summary?: { dataPoints?: OtlpSummaryDataPoint[] } | null;
}

export interface OtlpResourceMetrics {
  resource?: { attributes?: OtlpKeyValue[] } | null;
  scopeMetrics?: { scope?: { name?: string; version?: string } | null; metrics?: OtlpMetric[] }[];
}

export interface OtlpExportMetricsRequest {
  resourceMetrics?: OtlpResourceMetrics[];
}

export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

function types() {
  const root = otlpMetricsRoot();
  return {
    request: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  };
}

export function decodeOtlpMetricsProtobuf(buf: Uint8Array): OtlpExportMetricsRequest {
  try {
    return types().request.decode(buf) as unknown as OtlpExportMetricsRequest;
  } catch (err) {
    throw new OtlpDecodeError(`invalid protobuf: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** OTLP/JSON spells trace and span ids in hex; protobufjs's fromObject expects base64 for bytes. */
function fixExemplarIds(obj: unknown): void {
  if (obj === null || typeof obj !== 'object') return;
  if (Array.isArray(obj)) {
    for (const x of obj) fixExemplarIds(x);
    return;
  }
  const rec = obj as Record<string, unknown>;
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'exemplars' && Array.isArray(v)) {
      for (const ex of v) {
        if (ex && typeof ex === 'object') {
          const e = ex as Record<string, unknown>;
          for (const idKey of ['traceId', 'spanId', 'trace_id', 'span_id']) {
            const id = e[idKey];
            if (typeof id === 'string') {
              if (!HEX_RE.test(id)) throw new OtlpDecodeError(`exemplar ${idKey} is not hex: ${JSON.stringify(id)}`);
              e[idKey] = Buffer.from(id, 'hex');
            }
          }
        }
      }
    } else if (typeof v === 'object') fixExemplarIds(v);
  }
}

export function decodeOtlpMetricsJson(text: string): OtlpExportMetricsRequest {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new OtlpDecodeError('request body must be a JSON object');
  fixExemplarIds(obj);
  try {
    return types().request.fromObject(obj as Record<string, unknown>) as unknown as OtlpExportMetricsRequest;
  } catch (err) {
    throw new OtlpDecodeError(`invalid OTLP/JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export interface PartialSuccess {
  rejectedDataPoints: number;
  errorMessage: string;
}

export function encodeExportResponseProtobuf(partial?: PartialSuccess): Uint8Array {
  const t = types().response;
  return t.encode(t.create(partial ? { partialSuccess: partial } : {})).finish();
}

export function encodeExportResponseJson(partial?: PartialSuccess): string {
  if (!partial) return '{}';
  return JSON.stringify({
    partialSuccess: { rejectedDataPoints: String(partial.rejectedDataPoints), errorMessage: partial.errorMessage },
  });
}

export function int64ToNumber(x: Int64 | null | undefined): number {
  if (x === undefined || x === null) return 0;
  if (typeof x === 'number') return x;
  if (typeof x === 'string') return Number(x);
  return x.toNumber();
}

/** Nanoseconds → milliseconds, truncating as Go's integer division does. */
export function nanosToMillis(x: Int64 | null | undefined): number {
  if (x === undefined || x === null) return 0;
  if (typeof x === 'object') return x.div(1000000).toNumber();
  const n = typeof x === 'string' ? Number(x) : x;
  return Math.trunc(n / 1e6);
}
