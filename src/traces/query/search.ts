/**
 * Runs a TraceQL search against a TraceStore: the planner's store searches narrow the candidate traces with
 * the store's indexes, the store evaluates the whole query on each candidate it reads; results are the newest
 * matching traces first.
 */
import type { Span } from '../model.js';
import type { TraceSearchBudget, TraceSearchStats, TraceStore } from '../store/interface.js';
import type { TraceQLQuery } from './ast.js';
import { evaluateTrace, TraceContext } from './evaluate.js';
import { narrowings } from './plan.js';

export interface TraceQLSearchOptions {
  /** Inclusive ns range on span start time. */
  readonly start: bigint;
  readonly end: bigint;
  readonly limit: number;
  /** On the whole trace's duration (Tempo's minDuration/maxDuration). */
  readonly minTraceDurationNs?: bigint;
  readonly maxTraceDurationNs?: bigint;
  readonly signal?: AbortSignal;
  /** Caps of each store search (the store's defaults otherwise). */
  readonly budget?: TraceSearchBudget;
  /** Filled in with what the searches read and whether a budget stopped them (`partial`). */
  readonly stats?: TraceSearchStats;
}

export interface TraceMatch {
  readonly traceId: string;
  readonly rootServiceName: string;
  readonly rootSpanName: string;
  readonly startTimeUnixNano: bigint;
  readonly durationNs: bigint;
  readonly spanCount: number;
  readonly errorCount: number;
  /** The spans the query selected, in start order. */
  readonly matched: readonly Span[];
  readonly spans: readonly Span[];
}

/**
 * The newest `limit` traces of the range matching the query. Each store search (one per narrowing, see
 * plan.ts) evaluates the whole query on its candidate traces as it reads them (traceFilter) and keeps reading
 * older ones until `limit` matched, so matches are found however old they are within the range; the union
 * of the narrowings' answers, newest first, is the answer. `stats` (optional) gathers what was read and
 * whether a budget cut the search short.
 */
export async function searchTraceQL(store: TraceStore, q: TraceQLQuery, o: TraceQLSearchOptions): Promise<TraceMatch[]> {
  const limit = Math.max(1, o.limit);
  const matches = new Map<string, TraceMatch>();
  const traceFilter = (traceId: string, spans: readonly Span[]): boolean => {
    const m = matchTrace(q, traceId, spans, o);
    if (m) matches.set(traceId, m);
    return m !== undefined;
  };
  const found = new Set<string>();
  for (const n of narrowings(q.root)) {
    const res = await store.search({ ...n, start: o.start, end: o.end, limit, signal: o.signal, traceFilter, budget: o.budget, stats: o.stats });
    for (const t of res) found.add(t.traceId);
  }
  const out: TraceMatch[] = [];
  for (const id of found) {
    let m = matches.get(id);
    if (!m) {
      // A store that does not apply traceFilter (an older implementation of the interface): check here.
      const spans = await store.getTrace(id);
      if (spans && spans.length > 0) m = matchTrace(q, id, spans, o);
    }
    if (m) out.push(m);
  }
  out.sort((a, b) => (a.startTimeUnixNano > b.startTimeUnixNano ? -1 : a.startTimeUnixNano < b.startTimeUnixNano ? 1 : 0));
  return out.slice(0, limit);
}

/** The match of one whole trace, or undefined. */
export function matchTrace(q: TraceQLQuery, traceId: string, spans: readonly Span[], o: Partial<TraceQLSearchOptions> = {}): TraceMatch | undefined {
  const ctx = new TraceContext(traceId, spans);
  if (o.minTraceDurationNs !== undefined && ctx.durationNs < o.minTraceDurationNs) return undefined;
  if (o.maxTraceDurationNs !== undefined && ctx.durationNs > o.maxTraceDurationNs) return undefined;
  const matched = evaluateTrace(q, ctx);
  if (matched.length === 0) return undefined;
  matched.sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0));
  return {
    traceId,
    rootServiceName: ctx.root?.serviceName ?? '',
    rootSpanName: ctx.root?.name ?? '',
    startTimeUnixNano: ctx.startNs,
    durationNs: ctx.durationNs,
    spanCount: spans.length,
    errorCount: ctx.errorCount,
    matched,
    spans,
  };
}
