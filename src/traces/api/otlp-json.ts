/**
 * Spans → OTLP trace data, as Tempo's trace-by-id returns it: grouped by resource, then by instrumentation
 * scope. `toOtlpJson` is OTLP/JSON (hex ids, 64-bit numbers as strings, enums as numbers); `encodeTraceProtobuf`
 * is the protobuf `TracesData`, whose wire shape is also Tempo's `tempopb.Trace` (repeated ResourceSpans = 1),
 * which is what Grafana's Tempo data source asks for with `Accept: application/protobuf`.
 */
import type { AttrValue, Attributes, Span, SpanKind, StatusCode } from '../model.js';
import { traceProtoTypes } from '../ingest/otlp.js';

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } }
  | Record<string, never>;
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  events: { timeUnixNano: string; name: string; attributes: OtlpKeyValue[] }[];
  links: { traceId: string; spanId: string; traceState?: string; attributes: OtlpKeyValue[] }[];
  status: { code?: number; message?: string };
}

export interface OtlpResourceSpans {
  resource: { attributes: OtlpKeyValue[] };
  scopeSpans: { scope: { name: string; version?: string }; spans: OtlpJsonSpan[] }[];
}

const KIND_NUM: Record<SpanKind, number> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS_NUM: Record<StatusCode, number> = { unset: 0, ok: 1, error: 2 };

export function anyValue(v: AttrValue): OtlpAnyValue {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: v.toString() };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { kvlistValue: { values: keyValues(v) } };
}

export function keyValues(a: Attributes): OtlpKeyValue[] {
  return Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));
}

function stableKey(a: Attributes): string {
  return JSON.stringify(Object.entries(a).sort(([x], [y]) => (x < y ? -1 : 1)), (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
}

export function toOtlpSpan(s: Span): OtlpJsonSpan {
  const out: OtlpJsonSpan = {
    traceId: s.traceId,
    spanId: s.spanId,
    name: s.name,
    kind: KIND_NUM[s.kind],
    startTimeUnixNano: s.startTimeUnixNano.toString(),
    endTimeUnixNano: s.endTimeUnixNano.toString(),
    attributes: keyValues(s.attributes),
    events: s.events.map((e) => ({ timeUnixNano: e.timeUnixNano.toString(), name: e.name, attributes: keyValues(e.attributes) })),
    links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, ...(l.traceState ? { traceState: l.traceState } : {}), attributes: keyValues(l.attributes) })),
    status: s.status.code === 'unset' && !s.status.message ? {} : { code: STATUS_NUM[s.status.code], ...(s.status.message ? { message: s.status.message } : {}) },
  };
  if (s.parentSpanId) out.parentSpanId = s.parentSpanId;
  if (s.traceState) out.traceState = s.traceState;
  return out;
}

/** Groups spans by resource, then scope, keeping the spans' order within each group. */
export function toOtlpJson(spans: readonly Span[]): OtlpResourceSpans[] {
  const byResource = new Map<string, { rs: OtlpResourceSpans; scopes: Map<string, OtlpJsonSpan[]> }>();
  for (const s of spans) {
    const rk = stableKey(s.resource);
    let r = byResource.get(rk);
    if (!r) {
      r = { rs: { resource: { attributes: keyValues(s.resource) }, scopeSpans: [] }, scopes: new Map() };
      byResource.set(rk, r);
    }
    const sk = `${s.scope.name}\u0000${s.scope.version ?? ''}`;
    let list = r.scopes.get(sk);
    if (!list) {
      list = [];
      r.scopes.set(sk, list);
      r.rs.scopeSpans.push({ scope: { name: s.scope.name, ...(s.scope.version ? { version: s.scope.version } : {}) }, spans: list });
    }
    list.push(toOtlpSpan(s));
  }
  return [...byResource.values()].map((r) => r.rs);
}

/** OTLP/JSON → the protobufjs object shape (ids as bytes). */
function protoObject(rs: OtlpResourceSpans[]): object {
  const hex = (h: string | undefined): Buffer | undefined => (h ? Buffer.from(h, 'hex') : undefined);
  return {
    resourceSpans: rs.map((r) => ({
      resource: r.resource,
      scopeSpans: r.scopeSpans.map((ss) => ({
        scope: ss.scope,
        spans: ss.spans.map((s) => ({
          ...s,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          links: s.links.map((l) => ({ ...l, traceId: hex(l.traceId), spanId: hex(l.spanId) })),
        })),
      })),
    })),
  };
}

/** Protobuf TracesData / tempopb.Trace. */
export function encodeTraceProtobuf(spans: readonly Span[]): Uint8Array {
  const t = traceProtoTypes().request;
  return t.encode(t.fromObject(protoObject(toOtlpJson(spans)))).finish();
}

/** tempopb.TraceByIDResponse { Trace trace = 1; } for /api/v2/traces/<id>. */
export function encodeTraceByIdResponseProtobuf(spans: readonly Span[]): Uint8Array {
  const inner = encodeTraceProtobuf(spans);
  const len: number[] = [];
  let n = inner.length;
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), inner]);
}
