/** A small in-memory LogStore for LogQL unit tests (end-to-end tests and benchmarks use the real store). */
import { compareLabels, labelsFromRecord, labelsKey, type Labels } from '../../src/model/labels.js';
import { compileMatcher, type Matcher } from '../../src/model/matcher.js';
import type { LogEntry } from '../../src/logs/model.js';
import type { LogAppendResult, LogSelectParams, LogStore, LogStoreStats } from '../../src/logs/store/interface.js';
import { lineFilterTest } from '../../src/logs/logql/pipeline.js';

export class MemoryLogStore implements LogStore {
  readonly entries: LogEntry[] = [];
  /** Every select call's parameters, so tests can check what was pushed down. */
  readonly selects: LogSelectParams[] = [];

  add(stream: Record<string, string>, ts: bigint, line: string, metadata?: Record<string, string>): this {
    this.entries.push({ stream: labelsFromRecord(stream), ts, line, metadata });
    return this;
  }

  async append(entries: readonly LogEntry[]): Promise<LogAppendResult> {
    this.entries.push(...entries);
    return { accepted: entries.length, rejected: [] };
  }

  private matching(matchers: readonly Matcher[], start: bigint, end: bigint): LogEntry[] {
    const cms = matchers.map(compileMatcher);
    return this.entries.filter(
      (e) => e.ts >= start && e.ts < end && cms.every((m) => m.matches(e.stream.find((l) => l.name === m.name)?.value ?? '')),
    );
  }

  async *select(p: LogSelectParams): AsyncIterable<LogEntry[]> {
    this.selects.push(p);
    const tests = (p.lineFilters ?? []).map(lineFilterTest);
    let es = this.matching(p.matchers, p.start, p.end).filter((e) => tests.every((t) => t(e.line)));
    es.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : compareLabels(a.stream, b.stream)));
    if (p.direction === 'backward') es.reverse();
    if (p.limit > 0) es = es.slice(0, p.limit);
    for (let i = 0; i < es.length; i += 3) yield es.slice(i, i + 3);
  }

  async series(matchers: readonly Matcher[], start: bigint, end: bigint): Promise<Labels[]> {
    const m = new Map<string, Labels>();
    for (const e of this.matching(matchers, start, end)) m.set(labelsKey(e.stream), e.stream);
    return [...m.values()].sort(compareLabels);
  }

  async labelNames(start: bigint, end: bigint): Promise<string[]> {
    const s = new Set<string>();
    for (const e of this.entries) if (e.ts >= start && e.ts < end) for (const l of e.stream) s.add(l.name);
    return [...s].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[], start: bigint, end: bigint): Promise<string[]> {
    const s = new Set<string>();
    for (const e of this.matching(matchers, start, end)) for (const l of e.stream) if (l.name === name) s.add(l.value);
    return [...s].sort();
  }

  async stats(matchers: readonly Matcher[], start: bigint, end: bigint): Promise<LogStoreStats> {
    const es = this.matching(matchers, start, end);
    return { streams: new Set(es.map((e) => labelsKey(e.stream))).size, chunks: 1, entries: es.length, bytes: es.reduce((a, e) => a + e.line.length, 0) };
  }

  async close(): Promise<void> {}
}
