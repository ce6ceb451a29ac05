/** A tiny in-memory Querier for engine unit tests (the conformance suite uses the real TSDB). */
import { compareLabels, labelsFromRecord, type Labels } from '../../src/model/labels.js';
import { compileMatcher, type Matcher } from '../../src/model/matcher.js';
import type { Querier, SeriesData } from '../../src/metrics/storage/interface.js';

export class MemoryQuerier implements Querier {
  private readonly data: { labels: Labels; timestamps: number[]; values: number[] }[] = [];

  add(labels: Record<string, string>, samples: [number, number][]): this {
    this.data.push({ labels: labelsFromRecord(labels), timestamps: samples.map((s) => s[0]), values: samples.map((s) => s[1]) });
    this.data.sort((a, b) => compareLabels(a.labels, b.labels));
    return this;
  }

  private match(matchers: readonly Matcher[]) {
    const cms = matchers.map(compileMatcher);
    return this.data.filter((s) => cms.every((m) => m.matches(s.labels.find((l) => l.name === m.name)?.value ?? '')));
  }

  async select(matchers: readonly Matcher[], mint: number, maxt: number): Promise<SeriesData[]> {
    const out: SeriesData[] = [];
    for (const s of this.match(matchers)) {
      const ts: number[] = [];
      const vs: number[] = [];
      s.timestamps.forEach((t, i) => {
        if (t >= mint && t <= maxt) {
          ts.push(t);
          vs.push(s.values[i]);
        }
      });
      if (ts.length) out.push({ labels: s.labels, timestamps: ts, values: vs });
    }
    return out;
  }

  async series(matchers: readonly Matcher[]): Promise<Labels[]> {
    return this.match(matchers).map((s) => s.labels);
  }

  async labelNames(): Promise<string[]> {
    return [...new Set(this.data.flatMap((s) => s.labels.map((l) => l.name)))].sort();
  }

  async labelValues(name: string): Promise<string[]> {
    return [...new Set(this.data.map((s) => s.labels.find((l) => l.name === name)?.value ?? '').filter((v) => v))].sort();
  }
}
