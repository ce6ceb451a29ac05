/**
 * A deterministic, realistic set of series for the ingest benchmark: what a Prometheus scraping a
 * Kubernetes cluster would forward over remote_write. Per node: node_exporter (CPU modes, memory, disks,
 * network, filesystems, load), and for the pods on that node kube-state-metrics and cAdvisor series.
 * Values move the way the real exporters' values do, because that decides how well chunks compress:
 * most kube-state-metrics series never change, /proc counters move in centiseconds or whole bytes,
 * cAdvisor's CPU counters are full-precision floats, memory gauges move in 4 KiB pages.
 */
import { sortLabels, type Label, type Labels } from '../../src/model/labels.js';

/** How a series' value evolves from one 15 s round to the next. */
export enum ValueKind {
  /** Never changes (info series, phases, resource requests). */
  Constant = 0,
  /** Integer counter that rarely increments (restarts, errors). */
  RareCounter = 1,
  /** Integer counter with steady increments (bytes, packets, operations). */
  IntCounter = 2,
  /** Counter in hundredths (CPU seconds from /proc/stat, USER_HZ = 100). */
  CentiCounter = 3,
  /** Counter with arbitrary float increments (cAdvisor CPU seconds, disk time in ns / 1e9). */
  FloatCounter = 4,
  /** Gauge in 4 KiB pages that changes on most scrapes (memory, filesystem free space). */
  PageGauge = 5,
  /** Gauge with two decimals that wanders (load averages). */
  CentiGauge = 6,
  /** 0/1 gauge that flips very rarely. */
  BoolGauge = 7,
  /** Integer counter with small, often zero increments (histogram buckets, request counts). */
  SmallCounter = 8,
}

/** One scrape target; its series share a timestamp per round, offset within the interval like real scrapes. */
export interface Target {
  /** Milliseconds after the round's start at which this target is scraped. */
  offsetMs: number;
  /** Index range of its series: [first, end). */
  first: number;
  end: number;
}

export interface SeriesSet {
  readonly labels: Labels[];
  readonly kinds: Uint8Array;
  /** Average increase per 15 s round (counters) or typical level (gauges). */
  readonly rates: Float64Array;
  /** Current value of each series; stepped in place by `advance`. */
  readonly values: Float64Array;
  /** Values before the first round, for `resetValues`. */
  readonly initialValues: Float64Array;
  readonly targets: Target[];
  /** Target index of every series. */
  readonly targetOf: Uint32Array;
  readonly seed: number;
  /** PRNG state for value changes (deterministic across runs with the same seed). */
  rng: Rng;
}

/** mulberry32: small, fast and good enough to make values look like measurements. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const CPU_MODES = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
const CPU_SHARE: Record<string, number> = { idle: 0.7, iowait: 0.01, irq: 0, nice: 0.001, softirq: 0.01, steal: 0.002, system: 0.07, user: 0.2 };
const NET_DEVICES = ['eth0', 'eth1', 'lo', 'cni0', 'flannel.1'];
const DISKS = ['nvme0n1', 'nvme1n1', 'sda'];
const FILESYSTEMS = [
  { device: '/dev/nvme0n1p1', fstype: 'ext4', mountpoint: '/' },
  { device: '/dev/nvme1n1', fstype: 'xfs', mountpoint: '/var/lib/containerd' },
  { device: 'tmpfs', fstype: 'tmpfs', mountpoint: '/run' },
  { device: '/dev/nvme0n1p15', fstype: 'vfat', mountpoint: '/boot/efi' },
];
const MEMORY = ['MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'Active', 'Inactive', 'Slab', 'SwapFree', 'Dirty', 'Mapped', 'Shmem'];
const NAMESPACES = ['default', 'kube-system', 'monitoring', 'payments', 'checkout', 'search', 'ingress-nginx', 'logging'];
const APPS = ['api', 'web', 'worker', 'cache', 'gateway', 'indexer', 'scheduler', 'auth', 'billing', 'frontend'];
const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const BUCKETS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
const HANDLERS = ['/api/v1/orders', '/healthz', '/api/v1/items', '/metrics'];

const CLUSTER = 'prod-eu-west-1';

interface Builder {
  labels: Labels[];
  kinds: number[];
  rates: number[];
  values: number[];
  limit: number;
}

function add(b: Builder, record: Record<string, string>, kind: ValueKind, rate: number, initial: number): boolean {
  if (b.labels.length >= b.limit) return false;
  const ls: Label[] = Object.entries(record).map(([name, value]) => ({ name, value }));
  b.labels.push(sortLabels(ls));
  b.kinds.push(kind);
  b.rates.push(rate);
  b.values.push(initial);
  return true;
}

function nodeExporter(b: Builder, rng: Rng, node: string, ip: string): void {
  const base = { cluster: CLUSTER, instance: `${ip}:9100`, job: 'node-exporter', node };
  const cpus = 8;
  for (let cpu = 0; cpu < cpus; cpu++) {
    for (const mode of CPU_MODES) {
      const rate = 15 * CPU_SHARE[mode] * (0.5 + rng.next());
      add(b, { __name__: 'node_cpu_seconds_total', ...base, cpu: String(cpu), mode }, ValueKind.CentiCounter, rate, Math.round(rng.next() * 8e6) / 100);
    }
  }
  for (const m of MEMORY) {
    const kind = m === 'MemTotal' || m === 'SwapFree' ? ValueKind.Constant : ValueKind.PageGauge;
    add(b, { __name__: `node_memory_${m}_bytes`, ...base }, kind, 4096 * (1 + rng.int(2e6)), 4096 * (1 + rng.int(8e6)));
  }
  for (const device of NET_DEVICES) {
    const bytes = device === 'lo' ? 2e4 : 3e6 * rng.next();
    add(b, { __name__: 'node_network_receive_bytes_total', ...base, device }, ValueKind.IntCounter, bytes, rng.int(1e12));
    add(b, { __name__: 'node_network_transmit_bytes_total', ...base, device }, ValueKind.IntCounter, bytes, rng.int(1e12));
    add(b, { __name__: 'node_network_receive_packets_total', ...base, device }, ValueKind.IntCounter, bytes / 900, rng.int(1e9));
    add(b, { __name__: 'node_network_transmit_packets_total', ...base, device }, ValueKind.IntCounter, bytes / 900, rng.int(1e9));
    add(b, { __name__: 'node_network_receive_errs_total', ...base, device }, ValueKind.RareCounter, 0.002, 0);
    add(b, { __name__: 'node_network_up', ...base, device }, ValueKind.BoolGauge, 0, 1);
  }
  for (const device of DISKS) {
    add(b, { __name__: 'node_disk_read_bytes_total', ...base, device }, ValueKind.IntCounter, 512 * 400 * rng.next(), 512 * rng.int(1e9));
    add(b, { __name__: 'node_disk_written_bytes_total', ...base, device }, ValueKind.IntCounter, 512 * 2000 * rng.next(), 512 * rng.int(1e9));
    add(b, { __name__: 'node_disk_io_time_seconds_total', ...base, device }, ValueKind.FloatCounter, 15 * 0.05 * rng.next(), rng.next() * 1e5);
    add(b, { __name__: 'node_disk_reads_completed_total', ...base, device }, ValueKind.IntCounter, 40 * rng.next(), rng.int(1e8));
    add(b, { __name__: 'node_disk_writes_completed_total', ...base, device }, ValueKind.IntCounter, 300 * rng.next(), rng.int(1e8));
  }
  for (const fs of FILESYSTEMS) {
    const size = 4096 * (1e6 + rng.int(5e7));
    add(b, { __name__: 'node_filesystem_size_bytes', ...base, ...fs }, ValueKind.Constant, 0, size);
    add(b, { __name__: 'node_filesystem_avail_bytes', ...base, ...fs }, ValueKind.PageGauge, 4096 * 50, size / 2);
    add(b, { __name__: 'node_filesystem_files_free', ...base, ...fs }, ValueKind.PageGauge, 0, rng.int(1e7));
    add(b, { __name__: 'node_filesystem_readonly', ...base, ...fs }, ValueKind.Constant, 0, 0);
  }
  for (const n of ['1', '5', '15']) add(b, { __name__: `node_load${n}`, ...base }, ValueKind.CentiGauge, 2, Math.round(rng.next() * 400) / 100);
  add(b, { __name__: 'node_boot_time_seconds', ...base }, ValueKind.Constant, 0, 1.7e9 + rng.int(1e7));
  add(b, { __name__: 'node_context_switches_total', ...base }, ValueKind.IntCounter, 15 * 8000, rng.int(1e11));
  add(b, { __name__: 'node_intr_total', ...base }, ValueKind.IntCounter, 15 * 5000, rng.int(1e11));
  add(b, { __name__: 'node_procs_running', ...base }, ValueKind.CentiGauge, 3, 3);
  add(b, { __name__: 'up', ...base }, ValueKind.Constant, 0, 1);
}

function podSeries(b: Builder, rng: Rng, node: string, ip: string, podIndex: number): void {
  const namespace = rng.pick(NAMESPACES);
  const app = rng.pick(APPS);
  const pod = `${app}-${(0x10000000 + rng.int(0xefffffff)).toString(16).slice(0, 9)}-${(0x100000 + rng.int(0xeffff)).toString(36).slice(0, 5)}`;
  const ksm = { instance: '10.0.0.42:8080', job: 'kube-state-metrics', namespace, pod };
  for (const phase of PHASES) add(b, { __name__: 'kube_pod_status_phase', ...ksm, phase }, ValueKind.Constant, 0, phase === 'Running' ? 1 : 0);
  add(b, { __name__: 'kube_pod_status_ready', ...ksm, condition: 'true' }, ValueKind.BoolGauge, 0, 1);
  add(b, { __name__: 'kube_pod_info', ...ksm, node, host_ip: ip }, ValueKind.Constant, 0, 1);
  const containers = podIndex % 3 === 0 ? [app, 'istio-proxy'] : [app];
  for (const container of containers) {
    const c = { ...ksm, container };
    add(b, { __name__: 'kube_pod_container_status_restarts_total', ...c }, ValueKind.RareCounter, 0.0005, rng.int(3));
    add(b, { __name__: 'kube_pod_container_status_running', ...c }, ValueKind.Constant, 0, 1);
    add(b, { __name__: 'kube_pod_container_resource_requests', ...c, resource: 'cpu', unit: 'core' }, ValueKind.Constant, 0, rng.pick([0.1, 0.25, 0.5, 1]));
    add(b, { __name__: 'kube_pod_container_resource_requests', ...c, resource: 'memory', unit: 'byte' }, ValueKind.Constant, 0, rng.pick([128, 256, 512, 1024]) * 1048576);
    add(b, { __name__: 'kube_pod_container_resource_limits', ...c, resource: 'memory', unit: 'byte' }, ValueKind.Constant, 0, rng.pick([256, 512, 1024, 2048]) * 1048576);
    const cad = { container, instance: `${ip}:10250`, job: 'kubelet', metrics_path: '/metrics/cadvisor', namespace, pod };
    const cpuRate = 15 * rng.next() * 0.3;
    add(b, { __name__: 'container_cpu_usage_seconds_total', ...cad }, ValueKind.FloatCounter, cpuRate, rng.next() * 1e5);
    add(b, { __name__: 'container_cpu_user_seconds_total', ...cad }, ValueKind.CentiCounter, cpuRate * 0.7, Math.round(rng.next() * 7e6) / 100);
    add(b, { __name__: 'container_cpu_system_seconds_total', ...cad }, ValueKind.CentiCounter, cpuRate * 0.3, Math.round(rng.next() * 3e6) / 100);
    add(b, { __name__: 'container_cpu_cfs_throttled_periods_total', ...cad }, ValueKind.RareCounter, 0.05, rng.int(1000));
    add(b, { __name__: 'container_memory_working_set_bytes', ...cad }, ValueKind.PageGauge, 4096 * 64, 4096 * (1e4 + rng.int(1e5)));
    add(b, { __name__: 'container_memory_rss', ...cad }, ValueKind.PageGauge, 4096 * 32, 4096 * (1e4 + rng.int(1e5)));
    add(b, { __name__: 'container_memory_cache', ...cad }, ValueKind.PageGauge, 4096 * 16, 4096 * rng.int(1e5));
    add(b, { __name__: 'container_network_receive_bytes_total', ...cad, interface: 'eth0' }, ValueKind.IntCounter, 2e5 * rng.next(), rng.int(1e10));
    add(b, { __name__: 'container_network_transmit_bytes_total', ...cad, interface: 'eth0' }, ValueKind.IntCounter, 2e5 * rng.next(), rng.int(1e10));
    add(b, { __name__: 'container_fs_writes_bytes_total', ...cad, device: '/dev/nvme1n1' }, ValueKind.IntCounter, 4096 * 10 * rng.next(), 4096 * rng.int(1e7));
    add(b, { __name__: 'container_last_seen', ...cad }, ValueKind.IntCounter, 15, 1.7e9 + rng.int(1e7));
    add(b, { __name__: 'container_start_time_seconds', ...cad }, ValueKind.Constant, 0, 1.7e9 + rng.int(1e7));
    add(b, { __name__: 'container_spec_memory_limit_bytes', ...cad }, ValueKind.Constant, 0, rng.pick([256, 512, 1024, 2048]) * 1048576);
    add(b, { __name__: 'container_spec_cpu_shares', ...cad }, ValueKind.Constant, 0, rng.pick([102, 256, 512, 1024]));
    add(b, { __name__: 'container_memory_failcnt', ...cad }, ValueKind.Constant, 0, 0);
    add(b, { __name__: 'container_oom_events_total', ...cad }, ValueKind.RareCounter, 0.0001, 0);
  }
  // Application histogram (as client libraries expose it), on half the pods: buckets and count move by
  // small integers, often not at all for the rarely hit buckets; the sum is an arbitrary float.
  if (podIndex % 2 === 0) {
    const appBase = { instance: `10.${ip.split('.').slice(1, 3).join('.')}.${100 + podIndex}:8080`, job: `${namespace}/${app}`, namespace, pod };
    for (const handler of HANDLERS.slice(0, 2 + (podIndex % 3))) {
      // Traffic is log-uniform between 0.01 and 20 requests/s: most handlers are quiet.
      const rps = handler === '/healthz' || handler === '/metrics' ? 1 / 15 : 0.01 * 2000 ** rng.next();
      const perRound = rps * 15;
      // Cumulative share of requests at or below each bucket: a log-normal-ish latency distribution.
      BUCKETS.forEach((le, k) => {
        const share = Math.min(1, 0.02 + (k / (BUCKETS.length - 1)) ** 0.5);
        add(b, { __name__: 'http_server_request_duration_seconds_bucket', ...appBase, handler, le, method: 'GET' }, ValueKind.SmallCounter, perRound * share, rng.int(1e5));
      });
      add(b, { __name__: 'http_server_request_duration_seconds_count', ...appBase, handler, method: 'GET' }, ValueKind.SmallCounter, perRound, rng.int(1e5));
      add(b, { __name__: 'http_server_request_duration_seconds_sum', ...appBase, handler, method: 'GET' }, ValueKind.FloatCounter, perRound * 0.04, rng.next() * 1e4);
    }
  }
}

/**
 * Exactly `n` series, grouped by target (node_exporter per node, then its pods' kube-state-metrics and
 * cAdvisor series), deterministic for a given seed.
 */
export function generateSeries(n: number, seed = 1): SeriesSet {
  const rng = new Rng(seed);
  const b: Builder = { labels: [], kinds: [], rates: [], values: [], limit: n };
  const targets: Target[] = [];
  const startTarget = (): void => {
    const first = b.labels.length;
    if (targets.length > 0) targets[targets.length - 1].end = first;
    targets.push({ offsetMs: rng.int(15000), first, end: first });
  };
  for (let nodeIdx = 0; b.labels.length < n; nodeIdx++) {
    const node = `ip-10-${(nodeIdx >> 8) & 255}-${nodeIdx & 255}-${10 + (nodeIdx % 200)}.eu-west-1.compute.internal`;
    const ip = `10.${(nodeIdx >> 16) & 255}.${(nodeIdx >> 8) & 255}.${nodeIdx & 255}`;
    startTarget();
    nodeExporter(b, rng, node, ip);
    // kube-state-metrics and the kubelet are separate scrapes; one target per node for each is close enough.
    startTarget();
    const pods = 30;
    for (let p = 0; p < pods && b.labels.length < n; p++) podSeries(b, rng, node, ip, p);
  }
  targets[targets.length - 1].end = b.labels.length;
  const nonEmpty = targets.filter((t) => t.end > t.first);
  const targetOf = new Uint32Array(b.labels.length);
  nonEmpty.forEach((t, i) => targetOf.fill(i, t.first, t.end));
  return {
    labels: b.labels,
    kinds: Uint8Array.from(b.kinds),
    rates: Float64Array.from(b.rates),
    values: Float64Array.from(b.values),
    initialValues: Float64Array.from(b.values),
    targets: nonEmpty,
    targetOf,
    seed,
    rng: new Rng(seed ^ 0x5bd1e995),
  };
}

/** Back to the values before round 0, so the same load can be replayed against another system. */
export function resetValues(set: SeriesSet): void {
  set.values.set(set.initialValues);
  set.rng = new Rng(set.seed ^ 0x5bd1e995);
}

/** Moves every value on by one 15 s round. */
export function advance(set: SeriesSet): void {
  const { kinds, rates, values, rng } = set;
  for (let i = 0; i < values.length; i++) {
    const rate = rates[i];
    switch (kinds[i] as ValueKind) {
      case ValueKind.Constant:
        break;
      case ValueKind.RareCounter:
        if (rng.next() < rate) values[i] += 1;
        break;
      case ValueKind.IntCounter:
        values[i] += Math.round(rate * (0.5 + rng.next()));
        break;
      case ValueKind.CentiCounter:
        values[i] = Math.round(values[i] * 100 + rate * 100 * (0.5 + rng.next())) / 100;
        break;
      case ValueKind.FloatCounter:
        values[i] += rate * (0.5 + rng.next());
        break;
      case ValueKind.PageGauge:
        if (rng.next() < 0.7) values[i] = Math.max(0, values[i] + 4096 * Math.round((rng.next() - 0.5) * 2 * (rate / 4096)));
        break;
      case ValueKind.CentiGauge:
        values[i] = Math.max(0, Math.round(values[i] * 100 + (rng.next() - 0.5) * 20 * rate) / 100);
        break;
      case ValueKind.BoolGauge:
        if (rng.next() < 0.0002) values[i] = 1 - values[i];
        break;
      case ValueKind.SmallCounter:
        // Poisson-like: mean `rate`, zero when the rate is low.
        values[i] += rate < 1 ? (rng.next() < rate ? 1 : 0) : Math.round(rate * 2 * rng.next());
        break;
    }
  }
}

/** Sample timestamp of a target in a round: scrape offset plus a few ms of jitter, as real scrape loops have. */
export function targetTimestamp(set: SeriesSet, target: number, roundStartMs: number, round: number): number {
  // Jitter derived from (target, round) so that timestamps are reproducible without storing them.
  let h = Math.imul(target + 1, 0x9e3779b1) ^ Math.imul(round + 1, 0x85ebca6b) ^ set.seed;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  // Mostly on time to the millisecond, sometimes one off (Go's ticker wakes a little late now and then).
  const u = (h >>> 0) % 100;
  const jitter = u < 97 ? 0 : u < 99 ? 1 : -1;
  return roundStartMs + set.targets[target].offsetMs + jitter;
}
