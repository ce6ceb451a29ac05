/**
 * /proc/diskstats as node_exporter's diskstats collector exposes it (see the kernel's
 * Documentation/admin-guide/iostats.rst), plus node_disk_info and the udev-derived info families
 * when /run/udev/data is readable.
 */
import { join } from 'node:path';
import type { MetricFamily, MetricType, Sample } from '../exposition.js';
import type { SubCollector } from './context.js';

/** node_exporter 1.5's default --collector.diskstats.device-exclude: partitions, ram, loop, floppy. */
export const DEFAULT_DISK_DEVICE_EXCLUDE = /^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** Sectors in /proc/diskstats are always 512 bytes, whatever the device's block size. */
const SECTOR_BYTES = 512;
const MS = 1 / 1000;

interface StatField {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly scale: number;
}

/** In /proc/diskstats column order after major, minor, name. Kernels append columns over time; we take what is there. */
const FIELDS: readonly StatField[] = [
  { name: 'node_disk_reads_completed_total', type: 'counter', help: 'The total number of reads completed successfully.', scale: 1 },
  { name: 'node_disk_reads_merged_total', type: 'counter', help: 'The total number of reads merged.', scale: 1 },
  { name: 'node_disk_read_bytes_total', type: 'counter', help: 'The total number of bytes read successfully.', scale: SECTOR_BYTES },
  { name: 'node_disk_read_time_seconds_total', type: 'counter', help: 'The total number of seconds spent by all reads.', scale: MS },
  { name: 'node_disk_writes_completed_total', type: 'counter', help: 'The total number of writes completed successfully.', scale: 1 },
  { name: 'node_disk_writes_merged_total', type: 'counter', help: 'The number of writes merged.', scale: 1 },
  { name: 'node_disk_written_bytes_total', type: 'counter', help: 'The total number of bytes written successfully.', scale: SECTOR_BYTES },
  { name: 'node_disk_write_time_seconds_total', type: 'counter', help: 'This is the total number of seconds spent by all writes.', scale: MS },
  { name: 'node_disk_io_now', type: 'gauge', help: 'The number of I/Os currently in progress.', scale: 1 },
  { name: 'node_disk_io_time_seconds_total', type: 'counter', help: 'Total seconds spent doing I/Os.', scale: MS },
  { name: 'node_disk_io_time_weighted_seconds_total', type: 'counter', help: 'The weighted # of seconds spent doing I/Os.', scale: MS },
  { name: 'node_disk_discards_completed_total', type: 'counter', help: 'The total number of discards completed successfully.', scale: 1 },
  { name: 'node_disk_discards_merged_total', type: 'counter', help: 'The total number of discards merged.', scale: 1 },
  // node_exporter leaves this one in sectors, so we do too.
  { name: 'node_disk_discarded_sectors_total', type: 'counter', help: 'The total number of sectors discarded successfully.', scale: 1 },
  { name: 'node_disk_discard_time_seconds_total', type: 'counter', help: 'This is the total number of seconds spent by all discards.', scale: MS },
  { name: 'node_disk_flush_requests_total', type: 'counter', help: 'The total number of flush requests completed successfully', scale: 1 },
  { name: 'node_disk_flush_requests_time_seconds_total', type: 'counter', help: 'This is the total number of seconds spent by all flush requests.', scale: MS },
];

export interface DiskStat {
  readonly major: number;
  readonly minor: number;
  readonly device: string;
  readonly values: readonly number[];
}

export function parseDiskstats(text: string): DiskStat[] {
  const out: DiskStat[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 4) continue;
    const values = parts.slice(3).map(Number);
    if (values.some((v) => !Number.isFinite(v))) continue;
    out.push({ major: Number(parts[0]), minor: Number(parts[1]), device: parts[2]!, values });
  }
  return out;
}

/** udev database entries: "E:KEY=value" lines are the device properties. */
export function parseUdevProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq > 2) out.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return out;
}

const ATA_FAMILIES: ReadonlyArray<[string, string, string]> = [
  ['ID_ATA_WRITE_CACHE', 'node_disk_ata_write_cache', 'ATA disk has a write cache.'],
  ['ID_ATA_WRITE_CACHE_ENABLED', 'node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.'],
  ['ID_ATA_ROTATION_RATE_RPM', 'node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).'],
];

export function createDiskstatsCollector(deviceExclude: RegExp = DEFAULT_DISK_DEVICE_EXCLUDE): SubCollector {
  return async (ctx) => {
    const path = join(ctx.procPath, 'diskstats');
    const text = await ctx.read(path);
    if (text === undefined) throw new Error(`cannot read ${path}`);
    const disks = parseDiskstats(text).filter((d) => !deviceExclude.test(d.device));
    const udev = await Promise.all(
      disks.map(async (d) => {
        const t = await ctx.read(join(ctx.udevDataPath, `b${d.major}:${d.minor}`));
        return t === undefined ? new Map<string, string>() : parseUdevProperties(t);
      }),
    );

    const perField: Sample[][] = FIELDS.map(() => []);
    const info: Sample[] = [];
    const fsInfo: Sample[] = [];
    const dmInfo: Sample[] = [];
    const ata = new Map<string, Sample[]>(ATA_FAMILIES.map(([, name]) => [name, []]));
    disks.forEach((d, i) => {
      const u = udev[i]!;
      const device = d.device;
      info.push({
        labels: {
          device,
          major: String(d.major),
          minor: String(d.minor),
          path: u.get('ID_PATH') ?? '',
          wwn: u.get('ID_WWN') ?? '',
          model: u.get('ID_MODEL') ?? '',
          serial: u.get('ID_SERIAL_SHORT') ?? '',
          revision: u.get('ID_REVISION') ?? '',
        },
        value: 1,
      });
      d.values.forEach((v, j) => {
        if (j < FIELDS.length) perField[j]!.push({ labels: { device }, value: v * FIELDS[j]!.scale });
      });
      const fsType = u.get('ID_FS_TYPE');
      if (fsType) {
        fsInfo.push({ labels: { device, type: fsType, usage: u.get('ID_FS_USAGE') ?? '', uuid: u.get('ID_FS_UUID') ?? '', version: u.get('ID_FS_VERSION') ?? '' }, value: 1 });
      }
      const dmName = u.get('DM_NAME');
      if (dmName) {
        dmInfo.push({
          labels: { device, name: dmName, uuid: u.get('DM_UUID') ?? '', vg_name: u.get('DM_VG_NAME') ?? '', lv_name: u.get('DM_LV_NAME') ?? '', lv_layer: u.get('DM_LV_LAYER') ?? '' },
          value: 1,
        });
      }
      if (u.get('ID_ATA')) {
        for (const [prop, name] of ATA_FAMILIES) {
          const v = Number(u.get(prop));
          if (u.has(prop) && Number.isFinite(v)) ata.get(name)!.push({ labels: { device }, value: v });
        }
      }
    });

    const families: MetricFamily[] = FIELDS.map((f, j) => ({ name: f.name, type: f.type, help: f.help, samples: perField[j]! }));
    families.push({ name: 'node_disk_info', type: 'gauge', help: 'Info of /sys/block/<block_device>.', samples: info });
    families.push({ name: 'node_disk_filesystem_info', type: 'gauge', help: 'Info about disk filesystem.', samples: fsInfo });
    families.push({ name: 'node_disk_device_mapper_info', type: 'gauge', help: 'Info about disk device mapper.', samples: dmInfo });
    for (const [, name, help] of ATA_FAMILIES) families.push({ name, type: 'gauge', help, samples: ata.get(name)! });
    return families;
  };
}
