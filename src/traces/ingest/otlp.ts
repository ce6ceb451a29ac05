/**
 * OTLP traces (ExportTraceServiceRequest, protobuf or OTLP/JSON) → Spans. The protobuf path decodes with
 * protobufjs; both shapes (decoded message, parsed JSON) then go through one translation that accepts what
 * each spells differently: ids as bytes or hex, 64-bit times as Long / string / number, enums as numbers or
 * names.
 */
import type protobuf from 'protobufjs';
import { loadProtos } from '../../metrics/remote/proto.js';
import type { AttrValue, Attributes, Span, SpanEvent, SpanKind, SpanLink, StatusCode } from '../model.js';
import { capAttributes, capList, MAX_EVENTS, MAX_LINKS, rejectReason } from './limits.js';

export class OtlpDecodeError extends Error {}

let root: protobuf.Root | undefined;
export function traceProtoTypes(): { request: protobuf.Type; response: protobuf.Type } {
  root ??= loadProtos(['opentelemetry/proto/collector/trace/v1/trace_service.proto']);
  return {
    request: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  };
}

/** The decoded request in either spelling; fields are read defensively. */
export type OtlpTraceRequest = Record<string, unknown>;

export function decodeOtlpTracesProtobuf(buf: Uint8Array): OtlpTraceRequest {
  try {
    return traceProtoTypes().request.decode(buf) as unknown as OtlpTraceRequest;
  } catch (err) {
    throw new OtlpDecodeError(`invalid protobuf: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function decodeOtlpTracesJson(text: string): OtlpTraceRequest {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new OtlpDecodeError('request body must be a JSON object');
  return obj as OtlpTraceRequest;
}

export function encodeTraceResponseProtobuf(rejected: number, message: string): Uint8Array {
  const t = traceProtoTypes().response;
  return t.encode(t.create(rejected > 0 || message ? { partialSuccess: { rejectedSpans: rejected, errorMessage: message } } : {})).finish();
}

export function encodeTraceResponseJson(rejected: number, message: string): string {
  if (rejected === 0 && !message) return '{}';
  return JSON.stringify({ partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } });
}

const KINDS: readonly SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS: readonly StatusCode[] = ['unset', 'ok', 'error'];

type Obj = Record<string, unknown>;

function field(o: Obj, camel: string, snake: string): unknown {
  const v = o[camel];
  return v !== undefined ? v : o[snake];
}

function list(o: Obj, camel: string, snake: string, where: string): Obj[] {
  const v = field(o, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${where}.${camel} must be an array`);
  for (const x of v) if (x === null || typeof x !== 'object') throw new OtlpDecodeError(`${where}.${camel} must hold objects`);
  return v as Obj[];
}

function obj(v: unknown, where: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new OtlpDecodeError(`${where} must be an object`);
  return v as Obj;
}

/** Bytes (protobuf) or hex text (OTLP/JSON) → lower-case hex; '' when absent. Non-hex text stays as is and
 *  fails id validation (the span is rejected, the request is not). */
function hexId(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (typeof v === 'string') return v.toLowerCase();
  return String(v);
}

function u64(v: unknown, where: string): bigint {
  if (v === undefined || v === null || v === '') return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new OtlpDecodeError(`${where} is not a number`);
    return BigInt(Math.trunc(v));
  }
  if (typeof v === 'object' && typeof (v as { low?: unknown }).low === 'number') {
    // protobufjs Long: combine the halves directly (Long#toString divides, and is the hot spot of decoding).
    const l = v as { low: number; high: number; unsigned?: boolean };
    const n = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
    return l.unsigned ? n : BigInt.asIntN(64, n);
  }
  try {
    return BigInt(typeof v === 'string' ? v : (v as { toString(): string }).toString());
  } catch {
    throw new OtlpDecodeError(`${where}: ${JSON.stringify(v)} is not an integer`);
  }
}

function enumIndex(v: unknown, prefix: string, names: readonly string[]): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v >= 0 && v < names.length ? v : 0;
  if (typeof v === 'string') {
    const i = names.findIndex((n) => `${prefix}${n.toUpperCase()}` === v || n === v.toLowerCase());
    return i < 0 ? 0 : i;
  }
  return 0;
}

const VALUE_KEYS = ['stringValue', 'intValue', 'boolValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue',
  'string_value', 'int_value', 'bool_value', 'double_value', 'array_value', 'kvlist_value', 'bytes_value'] as const;
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function anyValue(v: unknown): AttrValue {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Obj;
  // protobufjs keeps proto3 defaults on the prototype: the set member of the oneof is the own property.
  let key: string | undefined;
  for (const k of VALUE_KEYS) {
    if (hasOwn(o, k) && o[k] !== undefined && o[k] !== null) {
      key = k;
      break;
    }
  }
  switch (key) {
    case 'stringValue':
    case 'string_value':
      return String(o[key]);
    case 'boolValue':
    case 'bool_value':
      return Boolean(o[key]);
    case 'intValue':
    case 'int_value': {
      const n = u64(o[key], 'intValue');
      const signed = BigInt.asIntN(64, n);
      return signed >= BigInt(Number.MIN_SAFE_INTEGER) && signed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(signed) : signed;
    }
    case 'doubleValue':
    case 'double_value':
      return Number(o[key]);
    case 'arrayValue':
    case 'array_value': {
      const vals = (o[key] as Obj).values;
      return Array.isArray(vals) ? vals.map(anyValue) : [];
    }
    case 'kvlistValue':
    case 'kvlist_value': {
      const vals = (o[key] as Obj).values;
      return Array.isArray(vals) ? attributes(vals as Obj[]) : {};
    }
    case 'bytesValue':
    case 'bytes_value': {
      const b = o[key];
      return b instanceof Uint8Array ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') : String(b);
    }
    default:
      return null;
  }
}

function attributes(kvs: unknown): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(kvs)) return out;
  for (const kv of kvs as Obj[]) {
    if (!kv || typeof kv.key !== 'string') continue;
    out[kv.key] = anyValue(kv.value);
  }
  return out;
}

export interface TranslatedSpans {
  spans: Span[];
  /** Spans refused before storage, with why. */
  rejected: string[];
}

/** Whole-request shape errors throw OtlpDecodeError (nothing is stored); per-span problems are listed. */
export function translateOtlpTraces(req: OtlpTraceRequest): TranslatedSpans {
  const spans: Span[] = [];
  const rejected: string[] = [];
  for (const rs of list(req, 'resourceSpans', 'resource_spans', 'request')) {
    const resObj = obj(rs.resource, 'resource');
    const resource = capAttributes(attributes(resObj?.attributes), 'resource_attribute');
    const sn = resource['service.name'];
    const serviceName = typeof sn === 'string' && sn !== '' ? sn : 'unknown_service';
    const scopeLists = [
      ...list(rs, 'scopeSpans', 'scope_spans', 'resourceSpans'),
      // Senders older than OTLP 0.19 use the deprecated name (field 1000 in protobuf, JSON only here).
      ...list(rs, 'instrumentationLibrarySpans', 'instrumentation_library_spans', 'resourceSpans'),
    ];
    for (const ss of scopeLists) {
      const sc = obj(field(ss, 'scope', 'instrumentation_library') ?? ss.instrumentationLibrary, 'scope');
      const scope: { name: string; version?: string } = { name: typeof sc?.name === 'string' ? sc.name : '' };
      if (typeof sc?.version === 'string' && sc.version !== '') scope.version = sc.version;
      for (const sp of list(ss, 'spans', 'spans', 'scopeSpans')) {
        const span = toSpan(sp, resource, scope, serviceName);
        const why = rejectReason(span);
        if (why) rejected.push(why);
        else spans.push(span);
      }
    }
  }
  return { spans, rejected };
}

function toSpan(sp: Obj, resource: Attributes, scope: { name: string; version?: string }, serviceName: string): Span {
  const status = obj(sp.status, 'status');
  const events: SpanEvent[] = capList(list(sp, 'events', 'events', 'span'), MAX_EVENTS, 'event').map((e) => ({
    timeUnixNano: u64(field(e, 'timeUnixNano', 'time_unix_nano'), 'event.timeUnixNano'),
    name: typeof e.name === 'string' ? e.name : '',
    attributes: capAttributes(attributes(e.attributes), 'event_attribute'),
  }));
  const links: SpanLink[] = capList(list(sp, 'links', 'links', 'span'), MAX_LINKS, 'link').map((l) => {
    const link: { traceId: string; spanId: string; traceState?: string; attributes: Attributes } = {
      traceId: hexId(field(l, 'traceId', 'trace_id')),
      spanId: hexId(field(l, 'spanId', 'span_id')),
      attributes: capAttributes(attributes(l.attributes), 'link_attribute'),
    };
    const ts = field(l, 'traceState', 'trace_state');
    if (typeof ts === 'string' && ts !== '') link.traceState = ts;
    return link;
  });
  const code = STATUS[enumIndex(status?.code, 'STATUS_CODE_', STATUS)];
  const message = typeof status?.message === 'string' && status.message !== '' ? status.message : undefined;
  const out: { -readonly [K in keyof Span]: Span[K] } = {
    traceId: hexId(field(sp, 'traceId', 'trace_id')),
    spanId: hexId(field(sp, 'spanId', 'span_id')),
    name: typeof sp.name === 'string' ? sp.name : '',
    kind: KINDS[enumIndex(sp.kind, 'SPAN_KIND_', KINDS)],
    startTimeUnixNano: u64(field(sp, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano'),
    endTimeUnixNano: u64(field(sp, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano'),
    attributes: capAttributes(attributes(sp.attributes), 'span_attribute'),
    events,
    links,
    status: message !== undefined ? { code, message } : { code },
    resource,
    scope,
    serviceName,
  };
  const parent = hexId(field(sp, 'parentSpanId', 'parent_span_id'));
  if (parent !== '' && !/^0+$/.test(parent)) out.parentSpanId = parent;
  const ts = field(sp, 'traceState', 'trace_state');
  if (typeof ts === 'string' && ts !== '') out.traceState = ts;
  return out;
}
