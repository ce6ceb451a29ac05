/**
 * The latest exemplar of each latency bucket series, in memory: a trace id that fell into that bucket, so a
 * dashboard can jump from a slow bucket to a trace. Served by GET /api/v1/query_exemplars.
 */
import type { Labels } from '../../model/labels.js';
import { compileMatcher, type Matcher } from '../../model/matcher.js';

export interface Exemplar {
  readonly traceId: string;
  readonly spanId: string;
  /** The observed value (seconds). */
  readonly value: number;
  /** Milliseconds since the epoch (the span's end). */
  readonly timestampMs: number;
}

export interface ExemplarSeries {
  readonly seriesLabels: Labels;
  readonly exemplars: readonly Exemplar[];
}

export interface ExemplarSource {
  /** Series matching any of the matcher sets, with their exemplars in [startMs, endMs]. */
  query(matcherSets: readonly (readonly Matcher[])[], startMs: number, endMs: number): ExemplarSeries[];
}

export class ExemplarStore implements ExemplarSource {
  /** Keyed by the (shared, never mutated) label array itself, so recording costs no key building. */
  private readonly latest = new Map<Labels, { labels: Labels; ex: Exemplar }>();

  constructor(private readonly maxSeries = 100_000) {}

  /** `labels` must be the same array each time for the same series: the array itself is the key. */
  record(labels: Labels, ex: Exemplar): void {
    const cur = this.latest.get(labels);
    if (cur) {
      if (ex.timestampMs >= cur.ex.timestampMs) cur.ex = ex;
      return;
    }
    if (this.latest.size >= this.maxSeries) return;
    this.latest.set(labels, { labels, ex });
  }

  query(matcherSets: readonly (readonly Matcher[])[], startMs: number, endMs: number): ExemplarSeries[] {
    const sets = matcherSets.map((ms) => ms.map(compileMatcher));
    const out: ExemplarSeries[] = [];
    for (const { labels, ex } of this.latest.values()) {
      if (ex.timestampMs < startMs || ex.timestampMs > endMs) continue;
      const get = (n: string): string => labels.find((l) => l.name === n)?.value ?? '';
      if (!sets.some((ms) => ms.every((m) => m.matches(get(m.name))))) continue;
      out.push({ seriesLabels: labels, exemplars: [ex] });
    }
    return out;
  }
}
