/**
 * A span as every trace path sees it: OTLP (HTTP, gRPC) and Zipkin ingest produce these, the trace store keeps
 * them, the Jaeger/Tempo APIs, TraceQL and the span-metrics generator read them. Ids are lower-case hex.
 */
export type AttrValue = string | number | boolean | bigint | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export type SpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type StatusCode = 'unset' | 'ok' | 'error';

export interface SpanEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: Attributes;
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState?: string;
  readonly attributes: Attributes;
}

export interface Span {
  readonly traceId: string; // 32 hex chars
  readonly spanId: string; // 16 hex chars
  readonly parentSpanId?: string;
  readonly traceState?: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
  readonly status: { readonly code: StatusCode; readonly message?: string };
  /** Resource attributes (service.name, k8s.*, host.*...). */
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version?: string };
  /** resource["service.name"], or "unknown_service". */
  readonly serviceName: string;
}
