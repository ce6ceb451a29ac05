/**
 * Span <-> JSON bytes for the trace store's WAL records and block trace records. JSON keeps the format
 * readable and is V8's fastest serializer; bigints (times, large int attributes) become strings with a marker
 * because JSON has no 64-bit integers.
 */
import type { AttrValue, Attributes, Span, SpanEvent, SpanLink } from '../model.js';

const BIG = '$big';

interface JsonSpan {
  t: string;
  s: string;
  p?: string;
  ts?: string;
  n: string;
  k: Span['kind'];
  st: string;
  en: string;
  a: unknown;
  e?: { t: string; n: string; a: unknown }[];
  l?: { t: string; s: string; ts?: string; a: unknown }[];
  sc: Span['status']['code'];
  sm?: string;
  r: unknown;
  on: string;
  ov?: string;
  sv: string;
}

function hasBigint(v: AttrValue): boolean {
  if (typeof v === 'bigint') return true;
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasBigint);
  for (const k in v) if (hasBigint(v[k])) return true;
  return false;
}

function encodeValue(v: AttrValue): unknown {
  if (typeof v === 'bigint') return { [BIG]: v.toString() };
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(encodeValue);
  const o: Record<string, unknown> = {};
  for (const k in v) o[k] = encodeValue(v[k]);
  return o;
}

function encodeAttrs(a: Attributes): unknown {
  for (const k in a) if (hasBigint(a[k])) return encodeValue(a);
  return a;
}

function decodeValue(v: unknown): AttrValue {
  if (v === null || typeof v !== 'object') return v as AttrValue;
  if (Array.isArray(v)) return v.map(decodeValue);
  const o = v as Record<string, unknown>;
  if (BIG in o && typeof o[BIG] === 'string' && Object.keys(o).length === 1) return BigInt(o[BIG]);
  const out: { [k: string]: AttrValue } = {};
  for (const k in o) out[k] = decodeValue(o[k]);
  return out;
}

function decodeAttrs(a: unknown): Attributes {
  return (a === undefined ? {} : decodeValue(a)) as Attributes;
}

export function spanToJson(s: Span): JsonSpan {
  const j: JsonSpan = {
    t: s.traceId,
    s: s.spanId,
    n: s.name,
    k: s.kind,
    st: s.startTimeUnixNano.toString(),
    en: s.endTimeUnixNano.toString(),
    a: encodeAttrs(s.attributes),
    sc: s.status.code,
    r: encodeAttrs(s.resource),
    on: s.scope.name,
    sv: s.serviceName,
  };
  if (s.parentSpanId) j.p = s.parentSpanId;
  if (s.traceState) j.ts = s.traceState;
  if (s.events.length > 0)
    j.e = s.events.map((e) => ({ t: e.timeUnixNano.toString(), n: e.name, a: encodeAttrs(e.attributes) }));
  if (s.links.length > 0)
    j.l = s.links.map((l) => {
      const o: { t: string; s: string; ts?: string; a: unknown } = { t: l.traceId, s: l.spanId, a: encodeAttrs(l.attributes) };
      if (l.traceState) o.ts = l.traceState;
      return o;
    });
  if (s.status.message) j.sm = s.status.message;
  if (s.scope.version) j.ov = s.scope.version;
  return j;
}

export function spanFromJson(j: JsonSpan): Span {
  const events: SpanEvent[] = (j.e ?? []).map((e) => ({
    timeUnixNano: BigInt(e.t),
    name: e.n,
    attributes: decodeAttrs(e.a),
  }));
  const links: SpanLink[] = (j.l ?? []).map((l) => {
    const o: { traceId: string; spanId: string; traceState?: string; attributes: Attributes } = {
      traceId: l.t,
      spanId: l.s,
      attributes: decodeAttrs(l.a),
    };
    if (l.ts) o.traceState = l.ts;
    return o;
  });
  const span: {
    -readonly [K in keyof Span]: Span[K];
  } = {
    traceId: j.t,
    spanId: j.s,
    name: j.n,
    kind: j.k,
    startTimeUnixNano: BigInt(j.st),
    endTimeUnixNano: BigInt(j.en),
    attributes: decodeAttrs(j.a),
    events,
    links,
    status: j.sm !== undefined ? { code: j.sc, message: j.sm } : { code: j.sc },
    resource: decodeAttrs(j.r),
    scope: j.ov !== undefined ? { name: j.on, version: j.ov } : { name: j.on },
    serviceName: j.sv,
  };
  if (j.p !== undefined) span.parentSpanId = j.p;
  if (j.ts !== undefined) span.traceState = j.ts;
  return span;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeSpans(spans: readonly Span[]): Uint8Array {
  return enc.encode(JSON.stringify(spans.map(spanToJson)));
}

export function decodeSpans(bytes: Uint8Array): Span[] {
  return (JSON.parse(dec.decode(bytes)) as JsonSpan[]).map(spanFromJson);
}
