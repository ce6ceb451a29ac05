/**
 * Sextant's own metrics registry. Every subsystem registers its counters/gauges/histograms here:
 *
 *   new Counter({ name: 'sextant_...', help: '...', labelNames: [...], registers: [selfRegistry] })
 *
 * It is prom-client's global registry so that libraries which register on the default also show up,
 * with the standard `process_*` / `nodejs_*` metrics and `sextant_build_info` added exactly once.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Gauge, register, type Registry } from 'prom-client';

export const selfRegistry: Registry = register;

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly nodeversion: string;
}

/** Walks up from this module to the package root (works from src/ under tsx and from dist/). */
function findPackageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'sextant') return dir;
    } catch {
      /* not here */
    }
    dir = dirname(dir);
  }
  return undefined;
}

function readVersion(root: string | undefined): string {
  if (!root) return 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The git directory of a checkout; `.git` is a file pointing elsewhere in worktrees. */
function gitDir(root: string): string {
  const dotGit = join(root, '.git');
  try {
    const text = readFileSync(dotGit, 'utf8');
    const m = /^gitdir:\s*(.+)$/m.exec(text);
    if (m) return resolve(root, m[1]!.trim());
  } catch {
    /* a directory (EISDIR) or absent */
  }
  return dotGit;
}

function readRef(dirs: readonly string[], ref: string): string | undefined {
  for (const dir of dirs) {
    try {
      return readFileSync(join(dir, ref), 'utf8').trim();
    } catch {
      /* maybe packed */
    }
    try {
      const line = readFileSync(join(dir, 'packed-refs'), 'utf8')
        .split('\n')
        .find((l) => l.endsWith(' ' + ref));
      if (line) return line.split(' ')[0];
    } catch {
      /* no packed refs here */
    }
  }
  return undefined;
}

/** Release builds set SEXTANT_REVISION; in a git checkout we read HEAD without shelling out. */
function readRevision(root: string | undefined): string {
  const fromEnv = process.env['SEXTANT_REVISION'];
  if (fromEnv) return fromEnv;
  if (!root) return 'unknown';
  try {
    const dir = gitDir(root);
    const head = readFileSync(join(dir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    let common = dir;
    try {
      common = resolve(dir, readFileSync(join(dir, 'commondir'), 'utf8').trim());
    } catch {
      /* not a worktree */
    }
    return readRef([dir, common], head.slice(5)) ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const root = findPackageRoot();
export const buildInfo: BuildInfo = {
  version: readVersion(root),
  revision: readRevision(root),
  nodeversion: process.version,
};

// Guard against a second registration (e.g. a module loaded twice through different URLs):
// prom-client throws on duplicate names.
if (!selfRegistry.getSingleMetric('process_cpu_user_seconds_total')) {
  collectDefaultMetrics({ register: selfRegistry });
}
if (!selfRegistry.getSingleMetric('sextant_build_info')) {
  const g = new Gauge({
    name: 'sextant_build_info',
    help: 'A metric with a constant \'1\' value labeled by version, revision and nodeversion from which sextant was built.',
    labelNames: ['version', 'revision', 'nodeversion'],
    registers: [selfRegistry],
  });
  g.set({ ...buildInfo }, 1);
}
