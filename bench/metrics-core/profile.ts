/**
 * Summarizes V8 .cpuprofile files (from `node --cpu-prof`): self time per function, heaviest first, so the
 * report can say where Sextant spends its CPU under the benchmark load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  fn: string;
  /** Share of all samples, 0..1. */
  self: number;
}

export function hotSpots(dir: string, root: string, top = 15): HotSpot[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
    const prof = JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
    for (const n of prof.nodes) {
      const hits = n.hitCount ?? 0;
      if (hits === 0) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      const where = url ? `${relative(root, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
      const key = `${functionName || '(anonymous)'} ${where}`.trim();
      self.set(key, (self.get(key) ?? 0) + hits);
      total += hits;
    }
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, hits]) => ({ fn, self: total ? hits / total : 0 }));
}
