/**
 * Zipkin v2 JSON (POST /api/v2/spans) → Spans, mapped as the OpenTelemetry Collector's zipkin receiver does:
 * localEndpoint.serviceName → resource service.name; tags → span attributes (`otel.status_code`/`error` →
 * status, `otel.scope.name`/`otel.library.name` → scope); annotations → events; remoteEndpoint → peer
 * attributes; timestamps in microseconds. A 64-bit trace id is left-padded to 128 bits.
 *
 * Zipkin's own server refuses a whole message it cannot read; so does this: any malformed span (v1 shape,
 * bad id, missing timestamp) fails the request with 400 and stores nothing.
 */
import type { Attributes, Span, SpanEvent, SpanKind, StatusCode } from '../model.js';
import { capAttributes, capList, MAX_EVENTS, rejectReason } from './limits.js';

export class ZipkinDecodeError extends Error {}

const KIND: Record<string, SpanKind> = { CLIENT: 'client', SERVER: 'server', PRODUCER: 'producer', CONSUMER: 'consumer' };
const HEX = /^[0-9a-f]+$/;
type Obj = Record<string, unknown>;

function id(v: unknown, bits: 64 | 128, where: string, optional = false): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (optional) return undefined;
    throw new ZipkinDecodeError(`${where} is required`);
  }
  if (typeof v !== 'string') throw new ZipkinDecodeError(`${where} must be a hex string`);
  const s = v.toLowerCase();
  const maxLen = bits / 4;
  if (!HEX.test(s) || s.length > maxLen || (bits === 128 && s.length !== 16 && s.length !== 32) || (bits === 64 && s.length > 16)) {
    throw new ZipkinDecodeError(`${where} ${JSON.stringify(v)} is not a ${bits === 128 ? '16 or 32' : 'up to 16'} character hex id`);
  }
  return s.padStart(maxLen, '0');
}

function micros(v: unknown, where: string, optional = false): bigint | undefined {
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new ZipkinDecodeError(`${where} is required`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ZipkinDecodeError(`${where} must be a non-negative number of microseconds`);
  return BigInt(Math.round(v)) * 1000n;
}

function endpointAttrs(e: unknown, out: Attributes): void {
  if (!e || typeof e !== 'object') return;
  const ep = e as Obj;
  if (typeof ep.serviceName === 'string' && ep.serviceName !== '') out['peer.service'] = ep.serviceName;
  if (typeof ep.ipv4 === 'string') out['net.sock.peer.addr'] = ep.ipv4;
  else if (typeof ep.ipv6 === 'string') out['net.sock.peer.addr'] = ep.ipv6;
  if (typeof ep.port === 'number') out['net.sock.peer.port'] = ep.port;
}

export function decodeZipkinV2(text: string): Span[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ZipkinDecodeError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(body)) throw new ZipkinDecodeError('expected a JSON array of Zipkin v2 spans');
  return body.map((raw, i) => {
    const where = `span[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ZipkinDecodeError(`${where} must be an object`);
    const z = raw as Obj;
    if ('binaryAnnotations' in z || (Array.isArray(z.annotations) && z.annotations.some((a: unknown) => a && typeof a === 'object' && 'endpoint' in a))) {
      throw new ZipkinDecodeError(`${where} is a Zipkin v1 span; only v2 is accepted at /api/v2/spans`);
    }
    const start = micros(z.timestamp, `${where}.timestamp`)!;
    const dur = micros(z.duration, `${where}.duration`, true) ?? 0n;
    const local = (z.localEndpoint && typeof z.localEndpoint === 'object' ? z.localEndpoint : {}) as Obj;
    const serviceName = typeof local.serviceName === 'string' && local.serviceName !== '' ? local.serviceName : 'unknown_service';
    const resource: Attributes = { 'service.name': serviceName };
    if (typeof local.ipv4 === 'string') resource['host.ip'] = local.ipv4;
    const attributes: Attributes = {};
    let code: StatusCode = 'unset';
    let message: string | undefined;
    let scope: { name: string; version?: string } = { name: '' };
    let tagKind: SpanKind | undefined;
    if (z.tags !== undefined && z.tags !== null) {
      if (typeof z.tags !== 'object' || Array.isArray(z.tags)) throw new ZipkinDecodeError(`${where}.tags must be an object of strings`);
      for (const [k, v] of Object.entries(z.tags as Obj)) {
        const s = typeof v === 'string' ? v : JSON.stringify(v);
        switch (k) {
          case 'otel.status_code':
            code = s === 'ERROR' ? 'error' : s === 'OK' ? 'ok' : code;
            break;
          case 'otel.status_description':
            message = s;
            break;
          case 'error':
            code = 'error';
            if (s !== '' && s !== 'true') message ??= s;
            break;
          case 'span.kind':
            // Zipkin has no INTERNAL kind; some tracers put it in this tag (the collector reads it too).
            if (s.toLowerCase() === 'internal' && z.kind === undefined) tagKind = 'internal';
            break;
          case 'otel.scope.name':
          case 'otel.library.name':
            scope = { ...scope, name: s };
            break;
          case 'otel.scope.version':
          case 'otel.library.version':
            scope = { ...scope, version: s };
            break;
          default:
            attributes[k] = s;
        }
      }
    }
    endpointAttrs(z.remoteEndpoint, attributes);
    const annotations = Array.isArray(z.annotations) ? (z.annotations as unknown[]) : [];
    const events: SpanEvent[] = capList(annotations, MAX_EVENTS, 'event').map((a, j) => {
      const ao = (a ?? {}) as Obj;
      return {
        timeUnixNano: micros(ao.timestamp, `${where}.annotations[${j}].timestamp`)!,
        name: typeof ao.value === 'string' ? ao.value : '',
        attributes: {},
      };
    });
    const span: { -readonly [K in keyof Span]: Span[K] } = {
      traceId: id(z.traceId, 128, `${where}.traceId`)!,
      spanId: id(z.id, 64, `${where}.id`)!,
      name: typeof z.name === 'string' ? z.name : '',
      kind: (typeof z.kind === 'string' && KIND[z.kind]) || tagKind || 'unspecified',
      startTimeUnixNano: start,
      endTimeUnixNano: start + dur,
      attributes: capAttributes(attributes, 'span_attribute'),
      events,
      links: [],
      status: message !== undefined ? { code, message } : { code },
      resource,
      scope,
      serviceName,
    };
    const parent = id(z.parentId, 64, `${where}.parentId`, true);
    if (parent !== undefined && !/^0+$/.test(parent)) span.parentSpanId = parent;
    if (typeof z.kind === 'string' && !(z.kind in KIND)) throw new ZipkinDecodeError(`${where}.kind ${JSON.stringify(z.kind)} is not CLIENT, SERVER, PRODUCER or CONSUMER`);
    const why = rejectReason(span);
    if (why) throw new ZipkinDecodeError(`${where}: ${why}`);
    return span;
  });
}
