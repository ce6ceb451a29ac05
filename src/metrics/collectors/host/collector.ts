/**
 * The host collector: node_exporter-compatible metric families for the machine Sextant runs on,
 * read from /proc and /sys on every scrape (each file read once, all reads async, no shell-outs).
 * Sub-collectors run concurrently; one failing is reported in node_scrape_collector_success and
 * does not fail the scrape, like node_exporter.
 */
import type { MetricFamily, Sample } from '../exposition.js';
import { writeFamilies } from '../exposition.js';
import { createScrapeContext, type SubCollector } from './context.js';
import { collectCpuInfo, collectStat, createCpuCollector } from './stat.js';
import { collectMeminfo, createVmstatCollector } from './memory.js';
import { createFilesystemCollector, type FilesystemOptions } from './filesystem.js';
import { createDiskstatsCollector } from './diskstats.js';
import { createNetClassCollector, createNetDevCollector, type DeviceFilter } from './network.js';
import {
  collectClocksource,
  collectEntropy,
  collectFilefd,
  collectLoadavg,
  collectPressure,
  collectTime,
  collectTimeZone,
  collectUname,
  createOsCollector,
} from './system.js';
import { collectArp, collectConntrack, collectSockstat, collectSoftnet, collectUdpQueues, createNetstatCollector } from './netstat.js';

export interface HostCollectorOptions {
  /** Default /proc. Point at /host/proc when running in a container with the host's procfs mounted. */
  procPath?: string;
  /** Default /sys. */
  sysPath?: string;
  /** Default /run/udev/data. */
  udevDataPath?: string;
  /** os-release files tried in order. */
  osReleasePaths?: readonly string[];
  /** Milliseconds since epoch, for node_time_seconds and the time zone (durations use the monotonic clock). */
  now?: () => number;
  filesystem?: FilesystemOptions;
  /** Default: node_exporter's partition/ram/loop exclusion. */
  diskDeviceExclude?: RegExp;
  /** Default: nothing excluded (node_exporter 1.5 upstream). */
  netdev?: DeviceFilter;
  /** Default: nothing ignored. */
  netclassIgnoredDevices?: RegExp;
  /** Default: node_exporter's ^(oom_kill|pgpg|pswp|pg.*fault).* */
  vmstatFields?: RegExp;
  /** Default: node_exporter's --collector.netstat.fields. */
  netstatFields?: RegExp;
  /** Also expose node_cpu_info (off by default in node_exporter, behind --collector.cpu.info). Default true. */
  cpuInfo?: boolean;
}

export class HostCollector {
  private readonly procPath: string;
  private readonly sysPath: string;
  private readonly udevDataPath: string;
  private readonly now: () => number;
  private readonly collectors: ReadonlyArray<readonly [string, SubCollector]>;

  constructor(opts: HostCollectorOptions = {}) {
    this.procPath = opts.procPath ?? '/proc';
    this.sysPath = opts.sysPath ?? '/sys';
    this.udevDataPath = opts.udevDataPath ?? '/run/udev/data';
    this.now = opts.now ?? Date.now;
    const cpu = createCpuCollector();
    const withInfo = opts.cpuInfo ?? true;
    this.collectors = [
      ['arp', collectArp],
      ['conntrack', collectConntrack],
      ['cpu', withInfo ? async (ctx) => [...(await cpu(ctx)), ...(await collectCpuInfo(ctx))] : cpu],
      ['diskstats', createDiskstatsCollector(opts.diskDeviceExclude)],
      ['entropy', collectEntropy],
      ['filefd', collectFilefd],
      ['filesystem', createFilesystemCollector(opts.filesystem)],
      ['loadavg', collectLoadavg],
      ['meminfo', collectMeminfo],
      ['netclass', createNetClassCollector(opts.netclassIgnoredDevices)],
      ['netdev', createNetDevCollector(opts.netdev)],
      ['netstat', createNetstatCollector(opts.netstatFields)],
      ['os', createOsCollector(opts.osReleasePaths)],
      ['pressure', collectPressure],
      ['sockstat', collectSockstat],
      ['softnet', collectSoftnet],
      ['stat', collectStat],
      ['time', async (ctx) => [...(await collectTime(ctx)), ...(await collectTimeZone(ctx)), ...(await collectClocksource(ctx))]],
      ['udp_queues', collectUdpQueues],
      ['uname', collectUname],
      ['vmstat', createVmstatCollector(opts.vmstatFields)],
    ];
  }

  /** All families of one scrape, including node_scrape_collector_{success,duration_seconds}. */
  async collect(): Promise<MetricFamily[]> {
    const ctx = createScrapeContext({ procPath: this.procPath, sysPath: this.sysPath, udevDataPath: this.udevDataPath, now: this.now });
    const success: Sample[] = [];
    const duration: Sample[] = [];
    const results = await Promise.all(
      this.collectors.map(async ([name, run]) => {
        const start = performance.now();
        let families: MetricFamily[] = [];
        let ok = 1;
        try {
          families = await run(ctx);
        } catch {
          ok = 0;
        }
        duration.push({ labels: { collector: name }, value: (performance.now() - start) / 1000 });
        success.push({ labels: { collector: name }, value: ok });
        return families;
      }),
    );
    const byCollector = (a: Sample, b: Sample) => (a.labels!['collector']! < b.labels!['collector']! ? -1 : 1);
    return [
      ...results.flat(),
      { name: 'node_scrape_collector_duration_seconds', type: 'gauge', help: 'node_exporter: Duration of a collector scrape.', samples: duration.sort(byCollector) },
      { name: 'node_scrape_collector_success', type: 'gauge', help: 'node_exporter: Whether a collector succeeded.', samples: success.sort(byCollector) },
    ];
  }

  /** One scrape in text format 0.0.4. */
  async scrape(): Promise<string> {
    return writeFamilies(await this.collect());
  }
}
