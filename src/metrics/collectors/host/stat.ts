/**
 * /proc/stat: per-CPU time (node_exporter's "cpu" collector) and the kernel counters of its "stat"
 * collector (interrupts, context switches, forks, boot time, runnable/blocked processes).
 */
import { join } from 'node:path';
import type { MetricFamily, Sample } from '../exposition.js';
import type { ScrapeContext, SubCollector } from './context.js';

/** /proc/stat counts in USER_HZ, which the kernel fixes at 100 for userspace on every architecture we run on. */
export const USER_HZ = 100;

const CPU_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'] as const;
type CpuField = (typeof CPU_FIELDS)[number];
export type CpuTimes = Record<CpuField, number>;

export interface ProcStat {
  /** Indexed by CPU number; absent (offline) CPUs leave holes. */
  readonly cpus: Map<number, CpuTimes>;
  readonly intr?: number;
  readonly ctxt?: number;
  readonly btime?: number;
  readonly processes?: number;
  readonly procsRunning?: number;
  readonly procsBlocked?: number;
}

export function parseProcStat(text: string): ProcStat {
  const cpus = new Map<number, CpuTimes>();
  const out: { -readonly [K in keyof ProcStat]: ProcStat[K] } = { cpus };
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    const key = parts[0];
    if (!key) continue;
    const first = Number(parts[1]);
    if (key.startsWith('cpu') && key.length > 3) {
      const id = Number(key.slice(3));
      // Older kernels have fewer columns (missing ones count as 0); a line without the first four is garbage.
      if (!Number.isInteger(id) || !parts.slice(1, 5).every((v) => /^\d+$/.test(v))) continue;
      const t = {} as CpuTimes;
      CPU_FIELDS.forEach((f, i) => {
        const v = Number(parts[i + 1]);
        t[f] = Number.isFinite(v) ? v / USER_HZ : 0;
      });
      cpus.set(id, t);
    } else if (!Number.isFinite(first)) {
      continue;
    } else if (key === 'intr') out.intr = first;
    else if (key === 'ctxt') out.ctxt = first;
    else if (key === 'btime') out.btime = first;
    else if (key === 'processes') out.processes = first;
    else if (key === 'procs_running') out.procsRunning = first;
    else if (key === 'procs_blocked') out.procsBlocked = first;
  }
  return out;
}

/** If idle goes back this much, the CPU was hot-plugged and its counters restarted (node_exporter uses 3 s too). */
const JUMP_BACK_SECONDS = 3;

/**
 * Keeps per-CPU counters monotonic across scrapes: the kernel's per-CPU sums can dip slightly,
 * and a counter that goes down looks like a reset to rate().
 */
export class CpuCounterGuard {
  private last = new Map<number, CpuTimes>();

  apply(cpus: Map<number, CpuTimes>): Map<number, CpuTimes> {
    const next = new Map<number, CpuTimes>();
    for (const [id, now] of cpus) {
      let prev = this.last.get(id);
      if (prev && prev.idle - now.idle >= JUMP_BACK_SECONDS) prev = undefined;
      const merged = {} as CpuTimes;
      for (const f of CPU_FIELDS) merged[f] = prev && prev[f] > now[f] ? prev[f] : now[f];
      next.set(id, merged);
    }
    this.last = next;
    return next;
  }
}

async function readStat(ctx: ScrapeContext): Promise<ProcStat> {
  const text = await ctx.read(join(ctx.procPath, 'stat'));
  if (text === undefined) throw new Error(`cannot read ${join(ctx.procPath, 'stat')}`);
  return parseProcStat(text);
}

export function createCpuCollector(): SubCollector {
  const guard = new CpuCounterGuard();
  return async (ctx) => {
    const stat = await readStat(ctx);
    const cpus = guard.apply(stat.cpus);
    const seconds: Sample[] = [];
    const guest: Sample[] = [];
    for (const id of [...cpus.keys()].sort((a, b) => a - b)) {
      const t = cpus.get(id)!;
      const cpu = String(id);
      for (const mode of ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'] as const) {
        seconds.push({ labels: { cpu, mode }, value: t[mode] });
      }
      // The kernel already counts guest time inside user/nice; node_exporter shows it separately too.
      guest.push({ labels: { cpu, mode: 'nice' }, value: t.guest_nice });
      guest.push({ labels: { cpu, mode: 'user' }, value: t.guest });
    }
    return [
      { name: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', samples: seconds },
      { name: 'node_cpu_guest_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in guests (VMs) for each mode.', samples: guest },
    ];
  };
}

export const collectStat: SubCollector = async (ctx) => {
  const s = await readStat(ctx);
  const one = (name: string, type: 'counter' | 'gauge', help: string, v: number | undefined): MetricFamily => ({
    name,
    type,
    help,
    samples: v === undefined ? [] : [{ value: v }],
  });
  return [
    one('node_intr_total', 'counter', 'Total number of interrupts serviced.', s.intr),
    one('node_context_switches_total', 'counter', 'Total number of context switches.', s.ctxt),
    one('node_forks_total', 'counter', 'Total number of forks.', s.processes),
    one('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.', s.btime),
    one('node_procs_running', 'gauge', 'Number of processes in runnable state.', s.procsRunning),
    one('node_procs_blocked', 'gauge', 'Number of processes blocked waiting for I/O to complete.', s.procsBlocked),
  ];
};

/** node_cpu_info from /proc/cpuinfo (node_exporter has it behind --collector.cpu.info). */
export const collectCpuInfo: SubCollector = async (ctx) => {
  const text = await ctx.read(join(ctx.procPath, 'cpuinfo'));
  if (text === undefined) return [];
  const samples: Sample[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const kv = new Map<string, string>();
    for (const line of block.split('\n')) {
      const at = line.indexOf(':');
      if (at > 0) kv.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
    }
    const cpu = kv.get('processor');
    if (cpu === undefined || !/^\d+$/.test(cpu)) continue;
    samples.push({
      labels: {
        package: kv.get('physical id') ?? '',
        core: kv.get('core id') ?? '',
        cpu,
        vendor: kv.get('vendor_id') ?? '',
        family: kv.get('cpu family') ?? '',
        model: kv.get('model') ?? '',
        model_name: kv.get('model name') ?? '',
        microcode: kv.get('microcode') ?? '',
        stepping: kv.get('stepping') ?? '',
        cachesize: kv.get('cache size') ?? '',
      },
      value: 1,
    });
  }
  return [{ name: 'node_cpu_info', type: 'gauge', help: 'CPU information from /proc/cpuinfo.', samples }];
};
