/**
 * The latest exemplar of each latency bucket series, in memory: a trace id that fell into that bucket, so a
 * dashboard can jump from a slow bucket to a trace. Served by GET /api/v1/query_exemplars.
 */
import { labelsKey, type Labels } from '../../model/labels.js';
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
  private readonly latest = new Map<string, { labels: Labels; ex: Exemplar }>();

  constructor(private readonly maxSeries = 100_000) {}

  record(labels: Labels, ex: Exemplar): void {
    const key = labelsKey(labels);
    const cur = this.latest.get(key);
    if (cur) {
      if (ex.timestampMs >= cur.ex.timestampMs) cur.ex = ex;
      return;
    }
    if (this.latest.size >= this.maxSeries) return;
    this.latest.set(key, { labels, ex });
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
