/**
 * Evaluates a search on whole spans: the final check after the block columns have narrowed the candidates,
 * and the only check for attribute conditions. Also builds a trace's summary for search results.
 */
import type { AttrValue, Span } from '../model.js';
import type { SpanCondition, TraceSearchParams, TraceSummary } from './interface.js';

export function durationNs(s: Span): bigint {
  return s.endTimeUnixNano - s.startTimeUnixNano;
}

function fieldValue(s: Span, field: string): AttrValue | undefined {
  switch (field) {
    case 'name':
      return s.name;
    case 'status':
      return s.status.code;
    case 'kind':
      return s.kind;
    case 'duration':
      return durationNs(s);
    case 'service.name':
    case 'resource.service.name':
      return s.serviceName;
    case 'statusMessage':
      return s.status.message ?? '';
  }
  if (field.startsWith('resource.')) return s.resource[field.slice(9)];
  if (field.startsWith('span.')) return s.attributes[field.slice(5)];
  // Unscoped (TraceQL `.x` or a Jaeger tag): span attributes first, then the resource.
  const key = field.startsWith('.') ? field.slice(1) : field;
  const v = s.attributes[key];
  return v !== undefined ? v : s.resource[key];
}

function toNumber(v: AttrValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function toText(v: AttrValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

const regexCache = new Map<string, RegExp>();
function anchored(src: string): RegExp {
  let re = regexCache.get(src);
  if (!re) {
    re = new RegExp(`^(?:${src})$`, 's');
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(src, re);
  }
  return re;
}

export function matchCondition(s: Span, c: SpanCondition): boolean {
  const v = fieldValue(s, c.field);
  switch (c.op) {
    case '=~':
    case '!~': {
      const ok = v !== undefined && anchored(toText(c.value)).test(toText(v));
      return c.op === '=~' ? ok : !ok;
    }
    case '=':
    case '!=': {
      let eq: boolean;
      if (v === undefined) eq = false;
      else if (typeof c.value === 'number' || typeof c.value === 'bigint') eq = toNumber(v) === toNumber(c.value);
      else if (typeof c.value === 'boolean') eq = v === c.value || toText(v) === String(c.value);
      else eq = toText(v) === toText(c.value);
      return c.op === '=' ? eq : v !== undefined && !eq;
    }
    default: {
      const a = toNumber(v);
      const b = toNumber(c.value);
      if (a === undefined || b === undefined) {
        if (typeof v === 'string' && typeof c.value === 'string') return compare(v, c.value, c.op);
        return false;
      }
      return compare(a, b, c.op);
    }
  }
}

function compare<T extends number | string>(a: T, b: T, op: '>' | '>=' | '<' | '<='): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/** Whether one span satisfies every part of the search (time, service, name, status, duration, conditions). */
export function matchSpan(s: Span, p: TraceSearchParams): boolean {
  if (s.startTimeUnixNano < p.start || s.startTimeUnixNano > p.end) return false;
  if (p.serviceName !== undefined && s.serviceName !== p.serviceName) return false;
  if (p.spanName !== undefined && s.name !== p.spanName) return false;
  if (p.status !== undefined && s.status.code !== p.status) return false;
  const d = durationNs(s);
  if (p.minDurationNs !== undefined && d < p.minDurationNs) return false;
  if (p.maxDurationNs !== undefined && d > p.maxDurationNs) return false;
  if (p.conditions) for (const c of p.conditions) if (!matchCondition(s, c)) return false;
  return true;
}

/** The summary of a whole trace, with the spans that matched; undefined when none matched. */
export function summarize(traceId: string, spans: readonly Span[], p: TraceSearchParams): TraceSummary | undefined {
  const matched: string[] = [];
  let root: Span | undefined;
  let min = spans[0].startTimeUnixNano;
  let max = spans[0].endTimeUnixNano;
  let errors = 0;
  const ids = new Set<string>();
  for (const s of spans) ids.add(s.spanId);
  for (const s of spans) {
    if (matchSpan(s, p)) matched.push(s.spanId);
    if (s.startTimeUnixNano < min) min = s.startTimeUnixNano;
    if (s.endTimeUnixNano > max) max = s.endTimeUnixNano;
    if (s.status.code === 'error') errors++;
    // A true root (no parent) wins over a span whose parent is missing; the earliest wins among equals.
    const r = rootRank(s, ids);
    if (r < 2 && (!root || r < rootRank(root, ids) || (r === rootRank(root, ids) && s.startTimeUnixNano < root.startTimeUnixNano)))
      root = s;
  }
  if (matched.length === 0) return undefined;
  return {
    traceId,
    rootServiceName: root?.serviceName ?? '',
    rootSpanName: root?.name ?? '',
    startTimeUnixNano: min,
    durationNs: max - min,
    spanCount: spans.length,
    errorCount: errors,
    matchedSpanIds: matched,
  };
}

function rootRank(s: Span, ids: ReadonlySet<string>): number {
  if (!s.parentSpanId) return 0;
  return ids.has(s.parentSpanId) ? 2 : 1;
}
