/** Runs every query of queries.txt against both servers and collects the differences. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareResponses } from './compare.js';
import { batches, generate, POINTS, STEP_MS } from './data.js';
import { query, remoteWrite, type Pair } from './harness.js';

export interface Outcome {
  query: string;
  failure?: string;
}

export function loadQueries(file = join(import.meta.dirname, 'queries.txt')): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => (l === '(empty)' ? '' : l));
}

/** First sample time of the data set: one hour of data ending about two minutes ago, on a minute boundary. */
export function dataStart(now = Date.now()): number {
  return Math.floor(now / 60_000) * 60_000 - (POINTS - 1) * STEP_MS - 120_000;
}

export async function loadData(pair: Pair, t0: number): Promise<void> {
  for (const batch of batches(generate(t0), 10 * 60_000)) {
    await Promise.all([remoteWrite(pair.prometheus, batch), remoteWrite(pair.sextant, batch)]);
  }
}

export async function runQueries(pair: Pair, t0: number, queries: string[], concurrency = 4): Promise<Outcome[]> {
  const sec = (ms: number) => (ms / 1000).toString();
  const vars: Record<string, string> = {
    T0: sec(t0),
    T30: sec(t0 + 30 * 60_000),
    T45: sec(t0 + 45 * 60_000),
    TEND: sec(t0 + (POINTS - 1) * STEP_MS),
  };
  const end = t0 + (POINTS - 1) * STEP_MS;
  const evaluations: { path: string; params: Record<string, string> }[] = [
    { path: '/api/v1/query', params: { time: sec(t0 + 30 * 60_000) } },
    { path: '/api/v1/query', params: { time: sec(t0 + 45 * 60_000 + 7_500) } },
    { path: '/api/v1/query', params: { time: sec(end) } },
    { path: '/api/v1/query_range', params: { start: sec(t0 + 5 * 60_000), end: sec(end), step: '60' } },
    { path: '/api/v1/query_range', params: { start: sec(t0 + 20 * 60_000 + 3_000), end: sec(t0 + 50 * 60_000), step: '47s' } },
  ];
  const out: Outcome[] = new Array(queries.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= queries.length) return;
      const q = queries[i].replace(/\$\{(\w+)\}/g, (_m, k: string) => vars[k] ?? '');
      const ordered = /^\s*sort(_desc)?\(/.test(q);
      let failure: string | undefined;
      for (const ev of evaluations) {
        const params = { ...ev.params, query: q };
        const [want, got] = await Promise.all([query(pair.prometheus, ev.path, params), query(pair.sextant, ev.path, params)]);
        const diff = compareResponses(want, got, ordered, /\b(topk|bottomk)\s*(by|without|\()/.test(q));
        if (diff) {
          failure = `${ev.path} ${JSON.stringify(ev.params)}: ${diff}`;
          break;
        }
      }
      out[i] = { query: queries[i], failure };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
