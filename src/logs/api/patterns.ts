/**
 * `/loki/api/v1/patterns` for Grafana Logs Drilldown: log templates mined from the selected lines, with a count
 * per step. Loki mines at ingest (its pattern ingester, a Drain tree); here the lines of the range are mined at
 * query time, newest first, up to MAX_LINES, with a small Drain:
 *
 *   - a line is split at spaces; a token containing a digit is a variable (`<_>`) from the start;
 *   - lines are grouped by token count and first token, and within a group a line joins the most similar
 *     template (share of positions with the same token) if at least SIMILARITY of them agree; positions that
 *     differ become `<_>`; otherwise it starts a new template (at most MAX_TEMPLATES per group).
 *
 * Templates are written with single spaces between tokens, so each is a valid `|> "…"` pattern filter for the
 * lines it counts (as long as those lines use single spaces).
 */
import type { LogSelectorExpr } from '../logql/ast.js';
import type { LogQLEngine } from '../logql/engine.js';

export const MAX_LINES = 100_000;
const SIMILARITY = 0.5;
const MAX_TEMPLATES = 100;
const VAR = '<_>';
const HAS_DIGIT = /[0-9]/;

interface Cluster {
  tokens: string[];
  /** bucket index → count */
  counts: Map<number, number>;
  total: number;
}

export interface PatternResult {
  pattern: string;
  samples: [number, number][];
}

function similarity(template: readonly string[], tokens: readonly string[]): number {
  let same = 0;
  for (let i = 0; i < tokens.length; i++) if (template[i] === tokens[i] || template[i] === VAR) same++;
  return same / tokens.length;
}

export class PatternMiner {
  private readonly groups = new Map<string, Cluster[]>();

  add(line: string, bucket: number): void {
    const tokens = line.split(' ').filter((t) => t !== '').map((t) => (HAS_DIGIT.test(t) ? VAR : t));
    if (tokens.length === 0) return;
    const key = `${tokens.length}\u0000${tokens[0]}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = []));
    let best: Cluster | undefined;
    let bestSim = -1;
    for (const c of group) {
      const sim = similarity(c.tokens, tokens);
      if (sim > bestSim) {
        best = c;
        bestSim = sim;
      }
    }
    if (!best || (bestSim < SIMILARITY && group.length < MAX_TEMPLATES)) {
      best = { tokens, counts: new Map(), total: 0 };
      group.push(best);
    } else {
      for (let i = 0; i < tokens.length; i++) if (best.tokens[i] !== tokens[i]) best.tokens[i] = VAR;
    }
    best.counts.set(bucket, (best.counts.get(bucket) ?? 0) + 1);
    best.total++;
  }

  /** Templates by count (largest first), merged when generalisation made two identical. */
  results(bucketTime: (bucket: number) => number): PatternResult[] {
    const merged = new Map<string, Cluster>();
    for (const group of this.groups.values()) {
      for (const c of group) {
        const pattern = c.tokens.join(' ');
        const m = merged.get(pattern);
        if (!m) merged.set(pattern, { tokens: c.tokens, counts: new Map(c.counts), total: c.total });
        else {
          for (const [b, n] of c.counts) m.counts.set(b, (m.counts.get(b) ?? 0) + n);
          m.total += c.total;
        }
      }
    }
    return [...merged.entries()]
      .sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1))
      .map(([pattern, c]) => ({
        pattern,
        samples: [...c.counts.entries()].sort((a, b) => a[0] - b[0]).map(([b, n]) => [bucketTime(b), n] as [number, number]),
      }));
  }
}

export async function minePatterns(
  engine: LogQLEngine,
  expr: LogSelectorExpr,
  start: bigint,
  end: bigint,
  stepMs: number,
  signal?: AbortSignal,
): Promise<PatternResult[]> {
  const stats = { linesProcessed: 0, bytesProcessed: 0, entriesReturned: 0, execTimeSeconds: 0 };
  const streams = await engine.selectLogs(expr, start, end, 'backward', MAX_LINES, stats, signal);
  const step = BigInt(stepMs) * 1_000_000n;
  const miner = new PatternMiner();
  // Samples sit at step boundaries (epoch-aligned), as Loki's do.
  for (const s of streams) for (const e of s.entries) miner.add(e.line, Number(e.ts / step));
  return miner.results((b) => (b * stepMs) / 1000);
}
