/** The step every trace protocol shares: count, store once, tell the derived-metrics generator. */
import type { Span } from '../model.js';
import type { TraceStore } from '../store/interface.js';
import { acceptedSpans, reasonLabel, receivedSpans, rejectedSpans, type TraceProtocol } from './metrics.js';

export interface AcceptDeps {
  store: TraceStore;
  onSpans?: (spans: Span[]) => void;
  logger?: { warn(obj: object, msg?: string): void };
}

const MAX_ERRORS = 5;

/** Stores `spans`; `refused` are reasons for spans already refused by the decoder. Throws on storage failure. */
export async function acceptSpans(
  deps: AcceptDeps,
  protocol: TraceProtocol,
  spans: Span[],
  refused: readonly string[],
): Promise<{ rejected: number; message: string }> {
  receivedSpans.inc({ protocol }, spans.length + refused.length);
  const reasons = [...refused];
  let stored = spans;
  if (spans.length > 0) {
    const res = await deps.store.append(spans);
    if (res.rejected.length > 0) {
      const bad = new Set(res.rejected.map((r) => r.index));
      stored = spans.filter((_, i) => !bad.has(i));
      for (const r of res.rejected) reasons.push(r.reason);
    }
  }
  for (const r of reasons) rejectedSpans.inc({ protocol, reason: reasonLabel(r) });
  acceptedSpans.inc({ protocol }, stored.length);
  if (stored.length > 0 && deps.onSpans) {
    try {
      deps.onSpans(stored);
    } catch (err) {
      // Derived metrics are best effort; the spans are stored either way.
      deps.logger?.warn({ err: String(err) }, 'traces: span metrics generator failed');
    }
  }
  let message = '';
  if (reasons.length > 0) {
    const shown = reasons.slice(0, MAX_ERRORS).join('; ');
    message = `${reasons.length} span(s) rejected: ${shown}${reasons.length > MAX_ERRORS ? '; ...' : ''}`;
  }
  return { rejected: reasons.length, message };
}
