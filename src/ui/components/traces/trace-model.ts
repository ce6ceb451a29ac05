/**
 * A fetched trace as the waterfall sees it: spans with times relative to the trace start (µs, as numbers),
 * a parent/child tree (orphans under the top), rows flattened in depth-first start order with collapsed
 * subtrees left out, and the critical path — the chain of spans the trace's end actually waited on.
 */
import { anyValueText, type KeyValue, type ResourceSpans } from './trace-api.js';

export interface Attr {
  key: string;
  value: string;
}

export interface UiSpan {
  id: string;
  parentId?: string;
  name: string;
  service: string;
  kind: string;
  /** µs since the trace start. */
  start: number;
  duration: number;
  error: boolean;
  statusMessage?: string;
  attributes: Attr[];
  resource: Attr[];
  scope: string;
  events: { at: number; name: string; attributes: Attr[] }[];
  links: { traceId: string; spanId: string; attributes: Attr[] }[];
  children: UiSpan[];
  depth: number;
}

export interface UiTrace {
  traceId: string;
  startNs: bigint;
  /** µs */
  duration: number;
  spans: UiSpan[];
  roots: UiSpan[];
  byId: Map<string, UiSpan>;
  services: string[];
  critical: Set<string>;
  errors: number;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

function attrs(kvs: KeyValue[] | undefined): Attr[] {
  return (kvs ?? []).map((kv) => ({ key: kv.key, value: anyValueText(kv.value) }));
}

export function buildTrace(traceId: string, batches: ResourceSpans[]): UiTrace {
  const raw: { s: NonNullable<NonNullable<ResourceSpans['scopeSpans']>[number]['spans']>[number]; resource: Attr[]; service: string; scope: string }[] = [];
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (const b of batches) {
    const resource = attrs(b.resource?.attributes);
    const service = resource.find((a) => a.key === 'service.name')?.value ?? 'unknown_service';
    for (const ss of b.scopeSpans ?? []) {
      const scope = [ss.scope?.name, ss.scope?.version].filter(Boolean).join(' ');
      for (const s of ss.spans ?? []) {
        const st = BigInt(s.startTimeUnixNano);
        const en = BigInt(s.endTimeUnixNano);
        if (min === undefined || st < min) min = st;
        if (max === undefined || en > max) max = en;
        raw.push({ s, resource, service, scope });
      }
    }
  }
  const t0 = min ?? 0n;
  const us = (ns: bigint): number => Number(ns - t0) / 1000;
  const spans: UiSpan[] = raw.map(({ s, resource, service, scope }) => ({
    id: s.spanId,
    parentId: s.parentSpanId || undefined,
    name: s.name,
    service,
    kind: KINDS[s.kind] ?? 'unspecified',
    start: us(BigInt(s.startTimeUnixNano)),
    duration: Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1000,
    error: s.status?.code === 2,
    statusMessage: s.status?.message,
    attributes: attrs(s.attributes),
    resource,
    scope,
    events: (s.events ?? []).map((e) => ({ at: us(BigInt(e.timeUnixNano)), name: e.name, attributes: attrs(e.attributes) })),
    links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: attrs(l.attributes) })),
    children: [],
    depth: 0,
  }));
  const byId = new Map(spans.map((s) => [s.id, s]));
  const roots: UiSpan[] = [];
  for (const s of spans) {
    const p = s.parentId ? byId.get(s.parentId) : undefined;
    if (p && p !== s) p.children.push(s);
    else roots.push(s);
  }
  const byStart = (a: UiSpan, b: UiSpan) => a.start - b.start || a.name.localeCompare(b.name);
  roots.sort(byStart);
  // Iterative, so a deep trace cannot overflow the stack.
  const stack = roots.map((r) => ({ s: r, d: 0 }));
  while (stack.length) {
    const { s, d } = stack.pop()!;
    s.depth = d;
    s.children.sort(byStart);
    for (const c of s.children) stack.push({ s: c, d: d + 1 });
  }
  const services = [...new Set(spans.map((s) => s.service))].sort();
  const critical = new Set<string>();
  const top = roots.reduce<UiSpan | undefined>((a, r) => (!a || r.start + r.duration > a.start + a.duration ? r : a), undefined);
  if (top) criticalPath(top, critical);
  return {
    traceId,
    startNs: t0,
    duration: min !== undefined && max !== undefined ? Number(max - min) / 1000 : 0,
    spans,
    roots,
    byId,
    services,
    critical,
    errors: spans.filter((s) => s.error).length,
  };
}

/** Walks back from the span's end: the child that finished last before the cursor is what the span waited
 *  on; then the cursor moves to that child's start (Jaeger's critical-path algorithm, simplified). */
function criticalPath(root: UiSpan, out: Set<string>): void {
  const work: UiSpan[] = [root];
  while (work.length) {
    const s = work.pop()!;
    out.add(s.id);
    let cursor = s.start + s.duration;
    const kids = [...s.children].sort((a, b) => b.start + b.duration - (a.start + a.duration));
    for (const c of kids) {
      const end = c.start + c.duration;
      if (end <= cursor + 1e-6 && end > s.start) {
        work.push(c);
        cursor = c.start;
      }
    }
  }
}

/** The visible rows: depth-first in start order, skipping the descendants of collapsed spans. */
export function visibleRows(t: UiTrace, collapsed: ReadonlySet<string>): UiSpan[] {
  const out: UiSpan[] = [];
  const stack = [...t.roots].reverse();
  while (stack.length) {
    const s = stack.pop()!;
    out.push(s);
    if (!collapsed.has(s.id)) for (let i = s.children.length - 1; i >= 0; i--) stack.push(s.children[i]);
  }
  return out;
}

const PALETTE = ['#4f6bed', '#1f8f55', '#b7791f', '#c02679', '#0e7490', '#7c3aed', '#d9480f', '#2b8a3e', '#5c7cfa', '#e64980', '#0b7285', '#845ef7'];

/** A stable colour per service name. */
export function serviceColor(service: string): string {
  let h = 0;
  for (let i = 0; i < service.length; i++) h = (h * 31 + service.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** µs → "1.23 s", "45.6 ms", "120 µs". */
export function formatMicros(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(us >= 1e7 ? 1 : 2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(us >= 1e5 ? 0 : us >= 1e4 ? 1 : 2)} ms`;
  return `${Math.round(us)} µs`;
}

/** The LogQL that finds a trace's log lines: its services' streams, filtered on the trace_id structured
 *  metadata that OTLP logs (and the other log ingest paths) carry. */
export function traceLogQuery(traceId: string, services: readonly string[]): string {
  const esc = (s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
  const sel = services.length ? `{service_name=~${JSON.stringify(services.map(esc).join('|'))}}` : '{service_name=~".+"}';
  return `${sel} | trace_id=${JSON.stringify(traceId)}`;
}
