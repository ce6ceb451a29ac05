/**
 * Tempo's tag endpoints with a query and a time range (`/api/v2/search/tags?q=&start=&end=`,
 * `/api/v2/search/tag/<name>/values?q=...`): what Grafana's TraceQL editor asks for autocomplete, so the
 * values offered are those of spans matching the rest of the query. The names and values come from the spans
 * the query selects in the newest TAG_SEARCH_TRACES matching traces of the range (a bounded search, as Tempo
 * bounds its tag searches by bytes), within TAG_SEARCH_MS. Without `q` and a range the store's catalog answers.
 */
import type { AttrValue, Span } from '../model.js';
import type { TraceStore } from '../store/interface.js';
import { parseTraceQL } from '../query/parse.js';
import { searchTraceQL } from '../query/search.js';

export const TAG_SEARCH_TRACES = 500;
const TAG_SEARCH_MS = 5_000;
const MAX_VALUES = 1000;

export interface TagScope {
  readonly q?: string;
  readonly start?: bigint;
  readonly end?: bigint;
}

/** Whether the request narrows the tags (otherwise the catalog of every stored tag answers). */
export function isScoped(s: TagScope): boolean {
  return (s.q !== undefined && s.q.trim() !== '' && s.q.replace(/\s/g, '') !== '{}') || s.start !== undefined || s.end !== undefined;
}

/** The spans the query selects in the newest matching traces of the range. An unparsable `q` (autocomplete
 *  sends queries being typed) is ignored, as Tempo ignores the conditions it cannot extract. */
export async function matchedSpans(store: TraceStore, s: TagScope, signal?: AbortSignal): Promise<Span[]> {
  let query = parseTraceQL('{}');
  if (s.q !== undefined && s.q.trim() !== '') {
    try {
      query = parseTraceQL(s.q);
    } catch {
      // keep {}
    }
  }
  const matches = await searchTraceQL(store, query, {
    start: s.start ?? 0n,
    end: s.end ?? BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000n,
    limit: TAG_SEARCH_TRACES,
    signal,
    budget: { maxDurationMs: TAG_SEARCH_MS },
  });
  return matches.flatMap((m) => m.matched);
}

export const INTRINSIC_TAGS = ['duration', 'kind', 'name', 'status', 'statusMessage'];

/** Attribute names of the spans, per scope, sorted. */
export function tagNamesOf(spans: readonly Span[]): { resource: string[]; span: string[] } {
  const resource = new Set<string>();
  const span = new Set<string>();
  for (const s of spans) {
    for (const k in s.resource) resource.add(k);
    for (const k in s.attributes) span.add(k);
  }
  return { resource: [...resource].sort(), span: [...span].sort() };
}

export interface TypedValue {
  readonly type: string;
  readonly value: string;
}

function typed(v: AttrValue | undefined): TypedValue | undefined {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'bigint') return { type: 'int', value: v.toString() };
  if (typeof v === 'number') return { type: Number.isInteger(v) ? 'int' : 'float', value: String(v) };
  if (typeof v === 'boolean') return { type: 'bool', value: String(v) };
  return undefined;
}

/** The values of tag `name` (`resource.x`, `span.x`, `.x`, `x`, or an intrinsic) in the spans, sorted. */
export function tagValuesOf(name: string, spans: readonly Span[]): TypedValue[] {
  const out = new Map<string, TypedValue>();
  const add = (t: TypedValue | undefined): void => {
    if (t && out.size < MAX_VALUES) out.set(`${t.type}\u0000${t.value}`, t);
  };
  for (const s of spans) {
    switch (name) {
      case 'name':
        add({ type: 'string', value: s.name });
        continue;
      case 'status':
        add({ type: 'keyword', value: s.status.code });
        continue;
      case 'kind':
        add({ type: 'keyword', value: s.kind });
        continue;
      case 'statusMessage':
        if (s.status.message) add({ type: 'string', value: s.status.message });
        continue;
    }
    if (name.startsWith('resource.')) add(typed(s.resource[name.slice(9)]));
    else if (name.startsWith('span.')) add(typed(s.attributes[name.slice(5)]));
    else {
      const k = name.startsWith('.') ? name.slice(1) : name;
      add(typed(s.attributes[k] ?? s.resource[k]));
    }
  }
  return [...out.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}
