/**
 * A tiny in-memory Storage for protocol tests that must not depend on the TSDB: same append semantics
 * that matter to receivers (out-of-order, duplicate, out-of-bounds refusals; nothing visible before commit).
 */
import { compileMatcher, type Matcher } from '../../src/model/matcher.js';
import { compareLabels, getLabel, labelsKey, type Labels } from '../../src/model/labels.js';
import {
  AppendError,
  type Appender,
  type HeadStats,
  type Querier,
  type SeriesData,
  type Storage,
} from '../../src/metrics/storage/interface.js';

interface MemSeries {
  labels: Labels;
  t: number[];
  v: number[];
}

export class MemoryStorage implements Storage {
  readonly series = new Map<string, MemSeries>();
  commits = 0;
  /** Samples older than this are out of bounds. */
  minValidTime = -Infinity;

  appender(): Appender {
    const pending: { key: string; labels: Labels; t: number; v: number }[] = [];
    const lastInBatch = new Map<string, { t: number; v: number }>();
    return {
      append: (labels, t, v) => {
        if (t < this.minValidTime) throw new AppendError('out_of_bounds', 'out of bounds');
        const key = labelsKey(labels);
        const s = this.series.get(key);
        const last = lastInBatch.get(key) ?? (s && s.t.length ? { t: s.t[s.t.length - 1], v: s.v[s.v.length - 1] } : undefined);
        if (last) {
          if (t < last.t) throw new AppendError('out_of_order', 'out of order sample');
          if (t === last.t) {
            if (Object.is(v, last.v) || (Number.isNaN(v) && Number.isNaN(last.v))) return;
            throw new AppendError('duplicate', 'duplicate sample for timestamp');
          }
        }
        lastInBatch.set(key, { t, v });
        pending.push({ key, labels, t, v });
      },
      commit: async () => {
        for (const p of pending) {
          let s = this.series.get(p.key);
          if (!s) this.series.set(p.key, (s = { labels: p.labels, t: [], v: [] }));
          s.t.push(p.t);
          s.v.push(p.v);
        }
        pending.length = 0;
        this.commits++;
      },
      rollback: () => {
        pending.length = 0;
      },
    };
  }

  /** Test helper: samples of the series with exactly this name and these other labels (subset match). */
  find(name: string, labels: Record<string, string> = {}): MemSeries[] {
    return [...this.series.values()].filter(
      (s) => getLabel(s.labels, '__name__') === name && Object.entries(labels).every(([k, v]) => getLabel(s.labels, k) === v),
    );
  }

  sampleCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.t.length;
    return n;
  }

  querier(): Querier {
    const match = (matchers: readonly Matcher[], mint: number, maxt: number): MemSeries[] => {
      const cms = matchers.map(compileMatcher);
      return [...this.series.values()]
        .filter((s) => cms.every((m) => m.matches(getLabel(s.labels, m.name))) && s.t.some((t) => t >= mint && t <= maxt))
        .sort((a, b) => compareLabels(a.labels, b.labels));
    };
    return {
      select: async (matchers, mint, maxt): Promise<SeriesData[]> =>
        match(matchers, mint, maxt).map((s) => {
          const idx = s.t.map((t, i) => (t >= mint && t <= maxt ? i : -1)).filter((i) => i >= 0);
          return { labels: s.labels, timestamps: idx.map((i) => s.t[i]), values: idx.map((i) => s.v[i]) };
        }),
      series: async (matchers, mint, maxt) => match(matchers, mint, maxt).map((s) => s.labels),
      labelNames: async (matchers, mint, maxt) =>
        [...new Set(match(matchers, mint, maxt).flatMap((s) => s.labels.map((l) => l.name)))].sort(),
      labelValues: async (name, matchers, mint, maxt) =>
        [...new Set(match(matchers, mint, maxt).map((s) => getLabel(s.labels, name)).filter((v) => v !== ''))].sort(),
    };
  }

  headStats(): HeadStats {
    return {
      numSeries: this.series.size,
      numChunks: 0,
      minTime: 0,
      maxTime: 0,
      seriesCountByMetricName: [],
      labelValueCountByLabelName: [],
      memoryInBytesByLabelName: [],
      seriesCountByLabelValuePair: [],
    };
  }

  async close(): Promise<void> {}
}
