/**
 * Runs a TraceQL search against a TraceStore: the planner's store searches give candidate traces, each is
 * read whole and evaluated; results are the newest matching traces first.
 */
import type { Span } from '../model.js';
import type { TraceStore } from '../store/interface.js';
import type { TraceQLQuery } from './ast.js';
import { evaluateTrace, TraceContext } from './evaluate.js';
import { isExact, narrowings } from './plan.js';

export interface TraceQLSearchOptions {
  /** Inclusive ns range on span start time. */
  readonly start: bigint;
  readonly end: bigint;
  readonly limit: number;
  /** On the whole trace's duration (Tempo's minDuration/maxDuration). */
  readonly minTraceDurationNs?: bigint;
  readonly maxTraceDurationNs?: bigint;
  readonly signal?: AbortSignal;
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

/** How many more candidates than wanted are read when the store cannot narrow the query exactly. */
const OVERFETCH = 5;
const MAX_CANDIDATES = 5000;

export async function searchTraceQL(store: TraceStore, q: TraceQLQuery, o: TraceQLSearchOptions): Promise<TraceMatch[]> {
  const limit = Math.max(1, o.limit);
  const candidates = new Map<string, bigint>();
  const exact = isExact(q.root) && o.minTraceDurationNs === undefined && o.maxTraceDurationNs === undefined;
  const want = exact ? limit : Math.min(MAX_CANDIDATES, limit * OVERFETCH);
  for (const n of narrowings(q.root)) {
    const found = await store.search({ ...n, start: o.start, end: o.end, limit: want, signal: o.signal });
    for (const t of found) {
      const prev = candidates.get(t.traceId);
      if (prev === undefined || t.startTimeUnixNano > prev) candidates.set(t.traceId, t.startTimeUnixNano);
    }
  }
  const ordered = [...candidates].sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : 0));
  const out: TraceMatch[] = [];
  const BATCH = 16;
  for (let i = 0; i < ordered.length && out.length < limit; i += BATCH) {
    o.signal?.throwIfAborted();
    const batch = ordered.slice(i, i + BATCH);
    const traces = await Promise.all(batch.map(([id]) => store.getTrace(id)));
    for (let j = 0; j < batch.length && out.length < limit; j++) {
      const spans = traces[j];
      if (!spans || spans.length === 0) continue;
      const m = matchTrace(q, batch[j][0], spans, o);
      if (m) out.push(m);
    }
  }
  return out;
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
