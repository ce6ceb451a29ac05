/**
 * Rule evaluation benchmark, side by side with Prometheus 2.42: N alerting rules (default 10,000, in
 * groups of 1,000) over S series (default 100,000), evaluated every 15 s on the same data shape.
 *
 *   node --import tsx bench/rules-bench.ts [--rules 10000] [--series 100000] [--cycles 5] [--skip-prometheus]
 *
 * Sextant: the real RuleManager on the real TSDB and PromQL engine; fresh samples are appended before each
 * cycle and the wall time of one full cycle (all groups) is measured, plus the summed per-group
 * sextant_rule_group_last_duration_seconds. Prometheus: scrapes the same series from this process every
 * 15 s and evaluates the same rule file; its prometheus_rule_group_last_duration_seconds are read after
 * each iteration. Medians over the cycles after one warm-up cycle are reported.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { TSDB } from '../src/metrics/tsdb/db.js';
import { Engine } from '../src/metrics/promql/engine.js';
import { RuleManager, type Timers } from '../src/alerting/rules/manager.js';
import { labelsFromRecord, type Labels } from '../src/model/labels.js';
import { startPrometheus } from '../test/peers/prometheus.js';
import { tempDir } from '../test/peers/process.js';
import { promConfig } from '../test/scrape/helpers.js';

const { values: args } = parseArgs({
  options: {
    rules: { type: 'string', default: '10000' },
    series: { type: 'string', default: '100000' },
    'group-size': { type: 'string', default: '1000' },
    cycles: { type: 'string', default: '5' },
    'skip-prometheus': { type: 'boolean', default: false },
  },
});
const RULES = Number(args.rules);
const SERIES = Number(args.series);
const GROUP_SIZE = Number(args['group-size']);
const CYCLES = Number(args.cycles);
const INTERVAL = 15_000;
const logger = pino({ level: 'warn' });

// ---- data and rules ----

const seriesLabels: Labels[] = [];
for (let k = 0; k < SERIES; k++) {
  seriesLabels.push(labelsFromRecord({ __name__: 'bench_metric', job: 'bench', instance: `i${Math.floor(k / RULES)}`, shard: `s${k % RULES}` }));
}
/** Deterministic values 0..100 that change every cycle; about 5% exceed 95. */
function value(k: number, cycle: number): number {
  let h = (k * 2654435761 + cycle * 40503) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 2246822519) >>> 0;
  return (h % 10000) / 100;
}

function ruleExpr(i: number): string {
  switch (i % 4) {
    case 0:
      return `bench_metric{shard="s${i}"} > 95`;
    case 1:
      return `sum by (job) (bench_metric{shard="s${i}"}) > 900`;
    case 2:
      return `avg_over_time(bench_metric{shard="s${i}"}[1m]) > 90`;
    default:
      return `max_over_time(bench_metric{shard="s${i}"}[1m]) > 99`;
  }
}

function rulesYaml(): string {
  let out = 'groups:\n';
  for (let g = 0; g * GROUP_SIZE < RULES; g++) {
    out += `  - name: bench-${g}\n    rules:\n`;
    for (let i = g * GROUP_SIZE; i < Math.min(RULES, (g + 1) * GROUP_SIZE); i++) {
      out += `      - alert: Bench${i}\n        expr: '${ruleExpr(i)}'\n        for: 5m\n        labels:\n          severity: warning\n        annotations:\n          summary: '{{ $labels.instance }} of {{ $labels.job }} at {{ $value | humanize }}'\n`;
    }
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- Sextant ----

async function benchSextant(rulesFile: string): Promise<{ wall: number[]; groupSum: number[]; cpu: number[]; alerts: number }> {
  const dir = tempDir('rules-bench-sextant');
  let now = Math.floor(Date.now() / INTERVAL) * INTERVAL - (CYCLES + 6) * INTERVAL;
  const clock = () => now;
  const db = await TSDB.open({ dir, logger, now: clock });
  const noTimers: Timers = { setTimeout: () => undefined, clearTimeout: () => undefined };
  const rules = new RuleManager({ storage: db, engine: new Engine(), notify: () => undefined, externalLabels: () => ({}), externalUrl: 'http://localhost:7070', logger, now: clock, timers: noTimers });
  const cfg = promConfig([]);
  cfg.global.evaluationInterval = INTERVAL;
  cfg.ruleFiles = [rulesFile];
  await rules.applyConfig(cfg);
  const append = async (cycle: number) => {
    const app = db.appender();
    for (let k = 0; k < SERIES; k++) app.append(seriesLabels[k], now, value(k, cycle));
    await app.commit();
  };
  // Four intervals of history so range functions see data.
  for (let c = 0; c < 4; c++) {
    await append(c);
    now += INTERVAL;
  }
  const wall: number[] = [];
  const groupSum: number[] = [];
  const cpu: number[] = [];
  for (let c = 0; c <= CYCLES; c++) {
    await append(4 + c);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await rules.evalAllNow(now, { sequential: true });
    const ms = performance.now() - t0;
    const cu = process.cpuUsage(c0);
    const cpuS = (cu.user + cu.system) / 1e6;
    const sum = rules.groups().reduce((n, g) => n + g.evaluationTime, 0);
    process.stderr.write(`sextant cycle ${c}: wall ${(ms / 1000).toFixed(2)} s, sum of group durations ${sum.toFixed(2)} s, CPU ${cpuS.toFixed(2)} s\n`);
    if (c > 0) {
      wall.push(ms / 1000);
      groupSum.push(sum);
      cpu.push(cpuS);
    }
    now += INTERVAL;
  }
  const alerts = rules.groups().reduce((n, g) => n + g.rules.reduce((m, r) => m + r.alerts.length, 0), 0);
  await rules.stop();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return { wall, groupSum, cpu, alerts };
}

// ---- Prometheus ----

async function benchPrometheus(rulesFile: string): Promise<{ groupSum: number[]; groupMax: number[]; cpu: number[]; alerts: number }> {
  let cycle = 0;
  const server = http.createServer((_req, res) => {
    const c = cycle++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    const parts: string[] = ['# TYPE bench_metric gauge\n'];
    for (let k = 0; k < SERIES; k++) {
      parts.push(`bench_metric{instance="i${Math.floor(k / RULES)}",job="bench",shard="s${k % RULES}"} ${value(k, c)}\n`);
    }
    res.end(parts.join(''));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const prom = await startPrometheus(
    `global:\n  scrape_interval: 15s\n  scrape_timeout: 10s\n  evaluation_interval: 15s\nrule_files:\n  - ${rulesFile}\nscrape_configs:\n  - job_name: data\n    honor_labels: true\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`,
  );
  const groupSum: number[] = [];
  const groupMax: number[] = [];
  const cpu: number[] = [];
  let alerts = 0;
  try {
    const q = async (expr: string) => {
      const r = (await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return r.data.result;
    };
    // Prometheus's own metrics are read from its /metrics page (it does not scrape itself here).
    const selfMetrics = async (name: string): Promise<number[]> => {
      const text = await (await fetch(`${prom.url}/metrics`)).text();
      const out: number[] = [];
      for (const line of text.split('\n')) if (line.startsWith(name + '{')) out.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
      return out;
    };
    let lastIter = -1;
    let lastCpu = -1;
    const deadline = Date.now() + (CYCLES + 8) * INTERVAL + 180_000;
    while (groupSum.length < CYCLES && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      const iters = await selfMetrics('prometheus_rule_group_iterations_total');
      const missed = await selfMetrics('prometheus_rule_group_iterations_missed_total');
      if (iters.length === 0) continue;
      // Every group has finished iteration `it` when the least advanced one has.
      const it = Math.min(...iters) - Math.max(0, ...missed);
      if (it <= lastIter || it < 3) continue; // the first iterations run before data is complete
      const cpuNow = (await selfMetrics('process_cpu_seconds_total'))[0] ?? 0;
      const cpuText = await (await fetch(`${prom.url}/metrics`)).text();
      const cpuTotal = Number(/^process_cpu_seconds_total (\S+)$/m.exec(cpuText)?.[1] ?? cpuNow);
      // CPU per iteration: includes scraping and storing the 100,000 series every 15 s.
      if (lastCpu >= 0 && it === lastIter + 1) cpu.push(cpuTotal - lastCpu);
      lastCpu = cpuTotal;
      lastIter = it;
      const vals = await selfMetrics('prometheus_rule_group_last_duration_seconds');
      const sum = vals.reduce((a, b) => a + b, 0);
      groupSum.push(sum);
      groupMax.push(Math.max(...vals));
      process.stderr.write(`prometheus iteration ${it}: sum of group durations ${sum.toFixed(2)} s, max ${Math.max(...vals).toFixed(2)} s\n`);
    }
    const a = await q('count(ALERTS)');
    alerts = a.length ? Number(a[0].value[1]) : 0;
  } finally {
    await prom.stop();
    server.close();
  }
  return { groupSum, groupMax, cpu, alerts };
}

const dir = tempDir('rules-bench');
mkdirSync(dir, { recursive: true });
const rulesFile = join(dir, 'rules.yml');
writeFileSync(rulesFile, rulesYaml());
process.stderr.write(`${RULES} alerting rules in groups of ${GROUP_SIZE}, ${SERIES} series, ${CYCLES} measured cycles\n`);
const s = await benchSextant(rulesFile);
const p = args['skip-prometheus'] ? undefined : await benchPrometheus(rulesFile);
const report = {
  rules: RULES,
  series: SERIES,
  groups: Math.ceil(RULES / GROUP_SIZE),
  sextant: { cycleWallSecondsMedian: median(s.wall), groupDurationSumSecondsMedian: median(s.groupSum), cpuSecondsPerCycleMedian: median(s.cpu), activeAlerts: s.alerts, cycles: s.wall.length },
  prometheus: p && {
    groupDurationSumSecondsMedian: median(p.groupSum),
    groupDurationMaxSecondsMedian: median(p.groupMax),
    processCpuSecondsPerIterationMedian: median(p.cpu),
    alertsSeries: p.alerts,
    cycles: p.groupSum.length,
  },
};
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
rmSync(dir, { recursive: true, force: true });
