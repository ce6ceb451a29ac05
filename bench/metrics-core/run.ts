/**
 * metrics-core benchmark: Sextant and Debian's Prometheus 2.42 side by side, same machine, same load, one run.
 *
 *   node --import tsx bench/metrics-core/run.ts [--series 100000] [--runs 3] [--systems prometheus,sextant] ...
 *
 * Per run and system (the order alternates between runs so that drift on a shared machine hits both):
 *  ingest  fresh data dir → idle RSS → remote_write `--series` series × `--rounds` rounds of 15 s →
 *          samples/s sustained after `--warmup-rounds` → RSS once it settles, minus idle RSS, per series.
 *  blocks  (first `--block-runs` runs) fresh data dir → `--block-series` series × `--hours` of data starting
 *          on a 2 h boundary 4–6 h ago, so the first block holds whole 2 h of every series → wait for each
 *          system to persist that block on its own → (chunks + index + meta.json) / samples in meta.json.
 *          The data is deterministic, so one run gives the figure; fewer series keep it quick, and the
 *          per-series index overhead is amortized over the same 480 samples per series either way.
 *  restart (first run) fresh data dir → `--restart-series` series × `--restart-rounds` rounds → stop with
 *          `--restart-signal` (SIGKILL: the WAL stays as written, nothing is checkpointed);
 *          (every run) start again on that directory → time from spawn to /-/ready answering 200 → a query
 *          must see the data → stop with the same signal, so every run replays the same WAL.
 * Every flag can also come from the environment as METRICS_BENCH_<FLAG> (e.g. METRICS_BENCH_SERIES=10000).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findBlocks, walBytes, type BlockOnDisk } from './blocks.js';
import { measureGenerator, ROUND_MS, runLoad, type LoadResult } from './load.js';
import { buildTemplates, type CompressedTemplate } from './requests.js';
import { generateSeries, resetValues, targetTimestamp, type SeriesSet } from './series.js';
import { hotSpots } from './profile.js';
import { fmt, median, ratio } from './stats.js';
import { dataDir, describeCommand, killAll, readCpuSeconds, readRss, REPO_ROOT, startSystem, type RunningSystem, type SystemName } from './systems.js';

const HOUR = 3_600_000;
const BLOCK_RANGE = 2 * HOUR;

type Phase = 'ingest' | 'blocks' | 'restart';

interface Options {
  series: number;
  rounds: number;
  blockSeries: number;
  hours: number;
  blockRuns: number;
  batch: number;
  concurrency: number;
  runs: number;
  systems: SystemName[];
  phases: Set<Phase>;
  warmupRounds: number;
  restartSeries: number;
  restartRounds: number;
  restartSignal: NodeJS.Signals;
  blockTimeoutSec: number;
  settleSec: number;
  seed: number;
  out?: string;
  cpuProf: boolean;
  /** Where Sextant's CPU profiles go (kept after the run). */
  profDir: string;
  keep: boolean;
  /** 1-minute load average when the run started (the machine is shared). */
  loadBefore: string;
}

function parseOptions(argv: string[]): Options {
  const flags = {
    series: '100000',
    rounds: '40',
    'block-series': '10000',
    hours: '3.17',
    'block-runs': '1',
    batch: '2000',
    concurrency: '4',
    runs: '3',
    systems: 'prometheus,sextant',
    phases: 'ingest,blocks,restart',
    'warmup-rounds': '2',
    'restart-series': '1000000',
    'restart-rounds': '3',
    'restart-signal': 'SIGKILL',
    'block-timeout': '240',
    settle: '10',
    seed: '1',
    out: '',
  } as const;
  type Flag = keyof typeof flags;
  const options: Record<string, { type: 'string' | 'boolean' }> = { 'cpu-prof': { type: 'boolean' }, keep: { type: 'boolean' } };
  for (const k of Object.keys(flags)) options[k] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options, strict: true });
  const get = (k: Flag): string => {
    const env = process.env[`METRICS_BENCH_${k.toUpperCase().replace(/-/g, '_')}`];
    return (values[k] as string | undefined) ?? env ?? flags[k];
  };
  const num = (k: Flag): number => {
    const n = Number(get(k));
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k}: not a number: ${get(k)}`);
    return n;
  };
  const int = (k: Flag, min = 1): number => Math.max(min, Math.floor(num(k)));
  const systems = get('systems').split(',').filter(Boolean) as SystemName[];
  for (const s of systems) if (s !== 'prometheus' && s !== 'sextant') throw new Error(`--systems: unknown system ${s}`);
  const phases = new Set(get('phases').split(',').filter(Boolean) as Phase[]);
  for (const p of phases) if (p !== 'ingest' && p !== 'blocks' && p !== 'restart') throw new Error(`--phases: unknown phase ${p}`);
  const signal = get('restart-signal') as NodeJS.Signals;
  if (signal !== 'SIGKILL' && signal !== 'SIGTERM') throw new Error('--restart-signal: SIGKILL or SIGTERM');
  return {
    series: int('series'),
    rounds: int('rounds'),
    blockSeries: int('block-series'),
    hours: num('hours'),
    blockRuns: int('block-runs', 0),
    batch: int('batch'),
    concurrency: int('concurrency'),
    runs: int('runs'),
    systems,
    phases,
    warmupRounds: int('warmup-rounds', 0),
    restartSeries: int('restart-series'),
    restartRounds: int('restart-rounds'),
    restartSignal: signal,
    blockTimeoutSec: num('block-timeout'),
    settleSec: num('settle'),
    seed: int('seed', 0),
    out: get('out') || undefined,
    cpuProf: Boolean(values['cpu-prof'] ?? process.env.METRICS_BENCH_CPU_PROF),
    profDir: join(tmpdir(), `sextant-metrics-core-cpu-prof-${Date.now()}`),
    keep: Boolean(values.keep ?? process.env.METRICS_BENCH_KEEP),
    loadBefore: os.loadavg()[0].toFixed(1),
  };
}

const log = (msg: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface LoadFigures {
  /** Spawn to /-/ready 200 with an empty data directory, ms. */
  readyMs: number;
  series: number;
  rounds: number;
  load: LoadResult;
  /** Server CPU seconds per million samples during the load. */
  serverCpuPerMSamples: number;
  /** Share of one core the harness (generator + HTTP client) used during the load. */
  harnessCores: number;
  rssBaseline: number;
  rssAfterIngest: number;
  rssAnonAfterIngest: number;
  rssPerSeries: number;
  /** Sextant only (from its /metrics): V8 heap used and committed, and memory outside the heap, after ingest. */
  heapAfterIngest?: NodeHeap;
  block?: BlockOnDisk;
  blockWaitSec?: number;
  bytesPerSample?: number;
  expectedBlockSamples?: number;
  rssAfterBlock?: number;
}

interface RestartFigures {
  ingestSec: number;
  walBytes: number;
  readyMs: number;
  /** First query after the restart: series found / series expected. */
  seen: number;
  expected: number;
  rssAfterRestart: number;
}

interface RunFigures {
  ingest?: LoadFigures;
  blocks?: LoadFigures;
  restart?: RestartFigures;
}

/** RSS once it has stopped moving by more than 1 % over a second (at most `maxSec`). */
async function settledRss(pid: number, maxSec: number): Promise<ReturnType<typeof readRss>> {
  let prev = readRss(pid);
  const deadline = Date.now() + maxSec * 1000;
  await sleep(2000);
  for (;;) {
    const cur = readRss(pid);
    if (Math.abs(cur.rss - prev.rss) <= 0.01 * prev.rss || Date.now() > deadline) return cur;
    prev = cur;
    await sleep(1000);
  }
}

interface NodeHeap {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** V8 heap figures from a Sextant's own /metrics (prom-client's default Node.js metrics). */
async function nodeHeap(url: string): Promise<NodeHeap | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const get = (name: string): number => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    return { heapUsed: get('nodejs_heap_size_used_bytes'), heapTotal: get('nodejs_heap_size_total_bytes'), external: get('nodejs_external_memory_bytes') };
  } catch {
    return undefined;
  }
}

/** Samples with timestamps in [minT, maxT) that the load sent (rounds [0, rounds)). */
function expectedSamplesIn(set: SeriesSet, startMs: number, rounds: number, minT: number, maxT: number): number {
  let n = 0;
  set.targets.forEach((tg, ti) => {
    for (let r = 0; r < rounds; r++) {
      const t = targetTimestamp(set, ti, startMs + r * ROUND_MS, r);
      if (t >= minT && t < maxT) n += tg.end - tg.first;
    }
  });
  return n;
}

/** A load prepared once and replayed (from the same initial values) against every system and run. */
interface Workload {
  set: SeriesSet;
  templates: CompressedTemplate[];
  /** Series named node_cpu_seconds_total, for the check after a restart. */
  cpuSeries: number;
}

function prepareWorkload(n: number, seed: number, batch: number): Workload {
  const t0 = performance.now();
  const set = generateSeries(n, seed);
  const templates = buildTemplates(set, batch);
  const cpuSeries = set.labels.filter((ls) => ls[0].value === 'node_cpu_seconds_total').length;
  set.labels.length = 0; // only the templates need them; frees memory for 1M-series loads
  log(`prepared ${fmt(n)} series in ${templates.length} batches (${fmt(templates.reduce((a, t) => a + t.compressed.length, 0) / 2 ** 20)} MiB compressed per round) in ${fmt((performance.now() - t0) / 1000)} s`);
  return { set, templates, cpuSeries };
}

async function withSystem<T>(sys: RunningSystem, fn: (s: RunningSystem) => Promise<T>): Promise<T> {
  try {
    return await fn(sys);
  } catch (err) {
    log(`${sys.name} output:\n${sys.output()}`);
    await sys.stop('SIGKILL');
    throw err;
  }
}

/**
 * Starts a fresh system, measures its idle RSS, sends `rounds` rounds of the workload from `startMs`,
 * measures the rate and the settled RSS, and (with `waitForBlock`) waits for the first persisted block.
 */
async function loadPhase(name: SystemName, label: Phase, opts: Options, work: string, w: Workload, rounds: number, startMs: number, waitForBlock: boolean): Promise<LoadFigures> {
  const dir = join(work, `${name}-${label}`);
  const { set, templates } = w;
  const series = set.values.length;
  resetValues(set);
  const profDir = join(opts.profDir, label);
  const sys = await startSystem(name, { dir, nodeFlags: opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
  return withSystem(sys, async () => {
    await sleep(3000);
    const base = readRss(sys.pid);
    log(`${name} ${label}: ready in ${fmt(sys.readyMs)} ms, RSS ${fmt(base.rss / 2 ** 20)} MiB; sending ${fmt(series)} series × ${rounds} rounds`);
    const cpu0 = readCpuSeconds(sys.pid);
    const harness0 = process.cpuUsage();
    let lastLog = 0;
    const load = await runLoad({
      url: sys.url,
      set,
      templates,
      startMs,
      rounds,
      concurrency: opts.concurrency,
      warmupRounds: opts.warmupRounds,
      onRound: (round, elapsed) => {
        if (elapsed - lastLog > 15000) {
          lastLog = elapsed;
          log(`${name} ${label}: round ${round + 1}/${rounds}, ${fmt(((round + 1) * series) / (elapsed / 1000))} samples/s so far`);
        }
      },
    });
    const cpuUsed = readCpuSeconds(sys.pid) - cpu0;
    const h = process.cpuUsage(harness0);
    log(
      `${name} ${label}: ${fmt(load.sustainedSamplesPerSec)} samples/s sustained (${fmt(load.totalMs / 1000)} s total, ${load.samplesRefused} refused, ${load.retries} retries)` +
        (load.refusals.length ? `; first refusal: ${load.refusals[0]}` : ''),
    );
    const after = await settledRss(sys.pid, opts.settleSec);
    const fig: LoadFigures = {
      readyMs: sys.readyMs,
      series,
      rounds,
      load,
      serverCpuPerMSamples: cpuUsed / ((rounds * series) / 1e6),
      harnessCores: (h.user + h.system) / 1000 / load.totalMs,
      rssBaseline: base.rss,
      rssAfterIngest: after.rss,
      rssAnonAfterIngest: after.anon,
      rssPerSeries: (after.rss - base.rss) / series,
    };
    log(`${name} ${label}: RSS after ingest ${fmt(after.rss / 2 ** 20)} MiB → ${fmt(fig.rssPerSeries)} B/series`);
    if (name === 'sextant') {
      // Read after the RSS figure: scraping /metrics allocates a little.
      fig.heapAfterIngest = await nodeHeap(sys.url);
      const h = fig.heapAfterIngest;
      if (h) log(`${name} ${label}: V8 heap used ${fmt(h.heapUsed / 2 ** 20)} MiB of ${fmt(h.heapTotal / 2 ** 20)} MiB committed; external ${fmt(h.external / 2 ** 20)} MiB`);
    }
    if (waitForBlock) {
      const t0 = Date.now();
      for (;;) {
        const blocks = findBlocks(dataDir(dir));
        if (blocks.length > 0) {
          fig.block = blocks[0];
          fig.blockWaitSec = (Date.now() - t0) / 1000;
          break;
        }
        if (Date.now() - t0 > opts.blockTimeoutSec * 1000) break;
        await sleep(1000);
      }
      if (fig.block) {
        fig.bytesPerSample = fig.block.bytes / fig.block.numSamples;
        fig.expectedBlockSamples = expectedSamplesIn(set, startMs, rounds, fig.block.minTime, fig.block.maxTime);
        await sleep(3000);
        fig.rssAfterBlock = readRss(sys.pid).rss;
        log(
          `${name} ${label}: block after ${fmt(fig.blockWaitSec ?? 0)} s: ${fmt(fig.block.bytes)} B (chunks ${fmt(fig.block.chunkBytes)}, index ${fmt(fig.block.indexBytes)}) / ` +
            `${fmt(fig.block.numSamples)} samples (sent ${fmt(fig.expectedBlockSamples)}) = ${fmt(fig.bytesPerSample)} B/sample`,
        );
      } else log(`${name} ${label}: no block persisted within ${opts.blockTimeoutSec} s`);
    }
    await sys.stop('SIGTERM');
    return fig;
  });
}

interface RestartSetup {
  dir: string;
  ingestSec: number;
  /** Query time at which every series has a sample within the lookback window. */
  queryTimeMs: number;
}

/** Fresh system, `--restart-series` × `--restart-rounds` into its WAL, then stopped with `--restart-signal`. */
async function restartSetup(name: SystemName, opts: Options, work: string, w: Workload): Promise<RestartSetup> {
  const dir = join(work, `${name}-restart`);
  const { set, templates } = w;
  resetValues(set);
  const startMs = Math.floor((Date.now() - (opts.restartRounds + 4) * ROUND_MS) / ROUND_MS) * ROUND_MS;
  const sys = await startSystem(name, { dir });
  const ingestSec = await withSystem(sys, async () => {
    const load = await runLoad({ url: sys.url, set, templates, startMs, rounds: opts.restartRounds, concurrency: opts.concurrency });
    if (load.samplesRefused > 0) log(`${name}: ${load.samplesRefused} samples refused: ${load.refusals[0]}`);
    await sleep(2000);
    await sys.stop(opts.restartSignal);
    return load.totalMs / 1000;
  });
  log(`${name} restart: wrote ${fmt(opts.restartSeries)} series × ${opts.restartRounds} rounds in ${fmt(ingestSec)} s; stopped with ${opts.restartSignal}`);
  return { dir, ingestSec, queryTimeMs: startMs + opts.restartRounds * ROUND_MS };
}

/**
 * One restart on the prepared directory: spawn → /-/ready 200, then a query must see the data, then the
 * same stop signal again (so every restart replays the same WAL: nothing gets compacted in between).
 */
async function restartOnce(name: SystemName, opts: Options, setup: RestartSetup, w: Workload, profile: boolean): Promise<RestartFigures> {
  const wal = walBytes(dataDir(setup.dir));
  // A profile is only written on a clean exit: the profiled (last) restart ends with SIGTERM instead.
  const nodeFlags = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(opts.profDir, 'restart')}`] : [];
  const again = await startSystem(name, { dir: setup.dir, nodeFlags });
  return withSystem(again, async () => {
    const rss = readRss(again.pid).rss;
    const q = await fetch(`${again.url}/api/v1/query?query=${encodeURIComponent('count(node_cpu_seconds_total)')}&time=${setup.queryTimeMs / 1000}`);
    const body = (await q.json()) as { data?: { result?: { value: [number, string] }[] } };
    const seen = Number(body.data?.result?.[0]?.value[1] ?? 0);
    log(`${name} restart: WAL ${fmt(wal / 2 ** 20)} MiB; ready in ${fmt(again.readyMs)} ms; query sees ${seen}/${w.cpuSeries} node_cpu_seconds_total series`);
    await again.stop(profile ? 'SIGTERM' : opts.restartSignal);
    return { ingestSec: setup.ingestSec, walBytes: wal, readyMs: again.readyMs, seen, expected: w.cpuSeries, rssAfterRestart: rss };
  });
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev} (src/ has uncommitted changes)` : rev;
  } catch {
    return 'unknown';
  }
}

function report(opts: Options, runs: Record<SystemName, RunFigures[]>, generatorRate: number, command: string): string {
  const m = (s: SystemName, f: (r: RunFigures) => number | undefined): number => median(runs[s].map((r) => f(r) ?? NaN));
  const ing = `${fmt(opts.series)} series × ${opts.rounds} rounds`;
  const blk = `${fmt(opts.blockSeries)} series × ${opts.hours} h`;
  const rows: [string, (r: RunFigures) => number | undefined][] = [
    [`remote_write ingest, samples/s sustained (${ing}; higher is better)`, (r) => r.ingest?.load.sustainedSamplesPerSec],
    ['server CPU seconds per million samples (ingest)', (r) => r.ingest?.serverCpuPerMSamples],
    [`RSS per active series after ingest settles, bytes (${ing})`, (r) => r.ingest?.rssPerSeries],
    ['RSS idle before ingest, MiB', (r) => (r.ingest ? r.ingest.rssBaseline / 2 ** 20 : undefined)],
    ['RSS after ingest, MiB', (r) => (r.ingest ? r.ingest.rssAfterIngest / 2 ** 20 : undefined)],
    ['… V8 heap used after ingest, MiB (Sextant)', (r) => (r.ingest?.heapAfterIngest ? r.ingest.heapAfterIngest.heapUsed / 2 ** 20 : undefined)],
    ['… V8 heap committed after ingest, MiB (Sextant)', (r) => (r.ingest?.heapAfterIngest ? r.ingest.heapAfterIngest.heapTotal / 2 ** 20 : undefined)],
    ['… external (Buffers, outside the V8 heap) after ingest, MiB (Sextant)', (r) => (r.ingest?.heapAfterIngest ? r.ingest.heapAfterIngest.external / 2 ** 20 : undefined)],
    [`bytes per sample in the first block, chunks+index+meta (${blk})`, (r) => r.blocks?.bytesPerSample],
    ['… of which chunks, bytes per sample', (r) => (r.blocks?.block ? r.blocks.block.chunkBytes / r.blocks.block.numSamples : undefined)],
    ['… index, bytes per series', (r) => (r.blocks?.block ? r.blocks.block.indexBytes / r.blocks.block.numSeries : undefined)],
    ['samples in the first block', (r) => r.blocks?.block?.numSamples],
    ['seconds from the end of ingest to the first block', (r) => r.blocks?.blockWaitSec],
    [`remote_write samples/s during the block load (${blk})`, (r) => r.blocks?.load.sustainedSamplesPerSec],
    [`restart with ${fmt(opts.restartSeries)} series × ${opts.restartRounds} samples in the WAL, ms to /-/ready 200`, (r) => r.restart?.readyMs],
    ['start to /-/ready 200 with an empty data directory, ms', (r) => r.ingest?.readyMs ?? r.blocks?.readyMs],
    ['WAL size at restart, MiB', (r) => (r.restart ? r.restart.walBytes / 2 ** 20 : undefined)],
    ['RSS right after the restart, MiB', (r) => (r.restart ? r.restart.rssAfterRestart / 2 ** 20 : undefined)],
    [`seconds to write those ${fmt(opts.restartSeries)} series × ${opts.restartRounds} rounds into a fresh system`, (r) => r.restart?.ingestSec],
  ];
  const sys = opts.systems;
  const both = sys.includes('sextant') && sys.includes('prometheus');
  const lines: string[] = [];
  lines.push(`| measure (median of runs) | ${sys.join(' | ')} |${both ? ' sextant / prometheus |' : ''}`);
  lines.push(`|---|${sys.map(() => '---:').join('|')}|${both ? '---:|' : ''}`);
  for (const [label, f] of rows) {
    const vals = sys.map((s) => m(s, f));
    if (vals.every((v) => !Number.isFinite(v))) continue;
    const r = both ? ` ${ratio(m('sextant', f), m('prometheus', f))} |` : '';
    lines.push(`| ${label} | ${vals.map((v) => fmt(v)).join(' | ')} |${r}`);
  }
  const per = sys
    .map((s) => {
      const list = (f: (r: RunFigures) => string | undefined): string => runs[s].map((r) => f(r) ?? '-').join(', ');
      return (
        `- ${s}, per run: ingest samples/s ${list((r) => r.ingest && fmt(r.ingest.load.sustainedSamplesPerSec))}; ` +
        `RSS B/series ${list((r) => r.ingest && fmt(r.ingest.rssPerSeries))}; restart ms ${list((r) => r.restart && fmt(r.restart.readyMs))}; ` +
        `series seen after restart ${list((r) => r.restart && `${r.restart.seen}/${r.restart.expected}`)}; ` +
        `samples refused ${list((r) => r.ingest && String(r.ingest.load.samplesRefused + (r.blocks?.load.samplesRefused ?? 0)))}; ` +
        `block samples (sent in range) ${list((r) => r.blocks?.block && `${r.blocks.block.numSamples}/${r.blocks.expectedBlockSamples}`)}`
      );
    })
    .join('\n');
  const harness = median(sys.flatMap((s) => runs[s].map((r) => r.ingest?.harnessCores ?? NaN)));
  const profiles: string[] = [];
  if (opts.cpuProf) {
    for (const label of ['ingest', 'blocks', 'restart']) {
      const dir = join(opts.profDir, label);
      if (!existsSync(dir)) continue;
      profiles.push(`- Sextant CPU profile, ${label} phase (${dir}), self time:`);
      for (const h of hotSpots(dir, REPO_ROOT, 12)) profiles.push(`  - ${(h.self * 100).toFixed(1)}% ${h.fn}`);
    }
  }
  return [
    `Command: \`${command}\` (${new Date().toISOString().slice(0, 16)}Z, commit ${gitRevision()}, ${os.cpus().length} cores, load average before ${opts.loadBefore})`,
    '',
    lines.join('\n'),
    '',
    per,
    `- load generator alone (fill pre-compressed templates, no network): ${fmt(generatorRate)} samples/s on one core; during the ingest load the harness (generator + HTTP client) used ${fmt(harness)} of a core`,
    `- Prometheus: \`${describeCommand('prometheus')}\``,
    `- Sextant: \`${describeCommand('sextant')}\``,
    ...profiles,
  ].join('\n');
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const command = ['node --import tsx bench/metrics-core/run.ts', ...process.argv.slice(2)].join(' ');
  const work = mkdtempSync(join(tmpdir(), 'sextant-bench-metrics-core-'));
  const cleanup = (): void => {
    killAll();
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const ingestLoad = opts.phases.has('ingest') ? prepareWorkload(opts.series, opts.seed, opts.batch) : undefined;
    const blockLoad = opts.phases.has('blocks') && opts.blockRuns > 0 ? prepareWorkload(opts.blockSeries, opts.seed + 2, opts.batch) : undefined;
    const restartLoad = opts.phases.has('restart') ? prepareWorkload(opts.restartSeries, opts.seed + 1, opts.batch) : undefined;
    const probe = ingestLoad ?? blockLoad ?? restartLoad;
    let genRate = NaN;
    if (probe) {
      genRate = measureGenerator(probe.set, probe.templates, Date.now() - HOUR, Math.max(3, Math.ceil(2e6 / probe.set.values.length)));
      log(`generator alone: ${fmt(genRate)} samples/s; work dir ${work}`);
    }
    const runs = Object.fromEntries(opts.systems.map((s) => [s, [] as RunFigures[]])) as Record<SystemName, RunFigures[]>;
    const restartDirs: Partial<Record<SystemName, RestartSetup>> = {};
    for (let i = 0; i < opts.runs; i++) {
      const order = i % 2 === 0 ? opts.systems : [...opts.systems].reverse();
      for (const name of order) {
        const fig: RunFigures = {};
        if (ingestLoad) {
          const startMs = Math.floor((Date.now() - opts.rounds * ROUND_MS - HOUR) / ROUND_MS) * ROUND_MS;
          fig.ingest = await loadPhase(name, 'ingest', opts, work, ingestLoad, opts.rounds, startMs, false);
          rmSync(join(work, `${name}-ingest`), { recursive: true, force: true });
        }
        if (blockLoad && i < opts.blockRuns) {
          // Start on a 2 h boundary 4–6 h ago so the first block holds whole 2 h of every series.
          const startMs = Math.floor((Date.now() - 4 * HOUR) / BLOCK_RANGE) * BLOCK_RANGE;
          const rounds = Math.ceil((opts.hours * HOUR) / ROUND_MS);
          fig.blocks = await loadPhase(name, 'blocks', opts, work, blockLoad, rounds, startMs, opts.hours * HOUR > 1.5 * BLOCK_RANGE);
          rmSync(join(work, `${name}-blocks`), { recursive: true, force: true });
        }
        if (restartLoad) {
          // The WAL is written once per system; each run restarts on it again.
          restartDirs[name] ??= await restartSetup(name, opts, work, restartLoad);
          fig.restart = await restartOnce(name, opts, restartDirs[name], restartLoad, opts.cpuProf && name === 'sextant' && i === opts.runs - 1);
        }
        runs[name].push(fig);
      }
      log(`run ${i + 1}/${opts.runs} done`);
      // Written after every run, so a run cut short still leaves its figures.
      if (opts.out) {
        writeFileSync(opts.out, JSON.stringify({ command, date: new Date().toISOString(), options: { ...opts, phases: [...opts.phases] }, generatorRate: genRate, runs }, null, 2));
        writeFileSync(`${opts.out}.md`, report(opts, runs, genRate, command) + '\n');
      }
    }
    process.stdout.write(report(opts, runs, genRate, command) + '\n');
  } finally {
    cleanup();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`metrics-core bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  killAll();
  process.exit(1);
});
