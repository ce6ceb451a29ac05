/**
 * Network interfaces: traffic counters from /proc/net/dev (node_exporter's netdev collector, with its
 * legacy metric names) and interface properties from /sys/class/net (its netclass collector, which
 * is where node_network_up and node_network_info come from).
 */
import { join } from 'node:path';
import type { MetricFamily, MetricType, Sample } from '../exposition.js';
import { parseSysfsNumber, type SubCollector } from './context.js';

const RECEIVE = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'frame', 'compressed', 'multicast'] as const;
const TRANSMIT = ['bytes', 'packets', 'errs', 'drop', 'fifo', 'colls', 'carrier', 'compressed'] as const;

export interface NetDevStat {
  readonly device: string;
  /** Keyed like node_exporter's metric stems: receive_bytes, transmit_colls, ... */
  readonly counters: ReadonlyMap<string, number>;
}

export function parseNetDev(text: string): NetDevStat[] {
  const out: NetDevStat[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const device = line.slice(0, colon).trim();
    const values = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!device || values.length < 16 || values.some((v) => !Number.isFinite(v))) continue;
    const counters = new Map<string, number>();
    RECEIVE.forEach((k, i) => counters.set(`receive_${k}`, values[i]!));
    TRANSMIT.forEach((k, i) => counters.set(`transmit_${k}`, values[8 + i]!));
    out.push({ device, counters });
  }
  return out;
}

export interface DeviceFilter {
  /** Devices matching are left out. Mutually exclusive with include. */
  exclude?: RegExp;
  /** Only devices matching are kept. */
  include?: RegExp;
}

export function deviceIgnored(device: string, f: DeviceFilter): boolean {
  if (f.include) return !f.include.test(device);
  return f.exclude ? f.exclude.test(device) : false;
}

/** node_exporter 1.5 upstream excludes no netdev devices by default (Debian's package adds ^lo$). */
export function createNetDevCollector(filter: DeviceFilter = {}): SubCollector {
  return async (ctx) => {
    const path = join(ctx.procPath, 'net', 'dev');
    const text = await ctx.read(path);
    if (text === undefined) throw new Error(`cannot read ${path}`);
    const stats = parseNetDev(text)
      .filter((s) => !deviceIgnored(s.device, filter))
      .sort((a, b) => (a.device < b.device ? -1 : 1));
    // rx_nohandler is only in sysfs; node_exporter gets it via netlink.
    const nohandler = await Promise.all(stats.map((s) => ctx.read(join(ctx.sysPath, 'class', 'net', s.device, 'statistics', 'rx_nohandler'))));
    const byKey = new Map<string, Sample[]>();
    const push = (key: string, device: string, value: number) => {
      let list = byKey.get(key);
      if (!list) byKey.set(key, (list = []));
      list.push({ labels: { device }, value });
    };
    stats.forEach((s, i) => {
      for (const [key, value] of s.counters) push(key, s.device, value);
      const nh = parseSysfsNumber(nohandler[i]);
      if (nh !== undefined) push('receive_nohandler', s.device, nh);
    });
    return [...byKey].map(([key, samples]) => ({
      name: `node_network_${key}_total`,
      type: 'counter' as const,
      help: `Network device statistic ${key}.`,
      samples,
    }));
  };
}

interface ClassField {
  readonly file: string;
  readonly metric: string;
  readonly type: MetricType;
  readonly scale?: number;
}

/** sysfs attribute → node_network_<metric>, in node_exporter's netclass order. */
const CLASS_FIELDS: readonly ClassField[] = [
  { file: 'addr_assign_type', metric: 'address_assign_type', type: 'gauge' },
  { file: 'carrier', metric: 'carrier', type: 'gauge' },
  { file: 'carrier_changes', metric: 'carrier_changes_total', type: 'counter' },
  { file: 'carrier_up_count', metric: 'carrier_up_changes_total', type: 'counter' },
  { file: 'carrier_down_count', metric: 'carrier_down_changes_total', type: 'counter' },
  { file: 'dev_id', metric: 'device_id', type: 'gauge' },
  { file: 'dormant', metric: 'dormant', type: 'gauge' },
  { file: 'flags', metric: 'flags', type: 'gauge' },
  { file: 'ifindex', metric: 'iface_id', type: 'gauge' },
  { file: 'iflink', metric: 'iface_link', type: 'gauge' },
  { file: 'link_mode', metric: 'iface_link_mode', type: 'gauge' },
  { file: 'mtu', metric: 'mtu_bytes', type: 'gauge' },
  { file: 'name_assign_type', metric: 'name_assign_type', type: 'gauge' },
  { file: 'netdev_group', metric: 'net_dev_group', type: 'gauge' },
  // Mbit/s → bytes/s; -1 (unknown) is passed through scaled, as node_exporter does by default.
  { file: 'speed', metric: 'speed_bytes', type: 'gauge', scale: 1e6 / 8 },
  { file: 'tx_queue_len', metric: 'transmit_queue_length', type: 'gauge' },
  { file: 'type', metric: 'protocol_type', type: 'gauge' },
];

const INFO_FILES = ['address', 'broadcast', 'duplex', 'operstate', 'ifalias'] as const;

export function createNetClassCollector(ignoredDevices?: RegExp): SubCollector {
  return async (ctx) => {
    const dir = join(ctx.sysPath, 'class', 'net');
    const names = await ctx.list(dir);
    if (names === undefined) return [];
    // Entries that are not interfaces (e.g. bonding_masters) have no operstate and drop out below.
    const devices = names.filter((n) => !(ignoredDevices && ignoredDevices.test(n))).sort();
    const read = (dev: string, f: string) => ctx.read(join(dir, dev, f));
    const rows = await Promise.all(
      devices.map(async (dev) => {
        const [info, fields] = await Promise.all([
          Promise.all(INFO_FILES.map((f) => read(dev, f).then((s) => s?.trim()))),
          Promise.all(CLASS_FIELDS.map((f) => read(dev, f.file).then(parseSysfsNumber))),
        ]);
        return { dev, info, fields };
      }),
    );
    const up: Sample[] = [];
    const infoSamples: Sample[] = [];
    const fieldSamples: Sample[][] = CLASS_FIELDS.map(() => []);
    for (const { dev, info, fields } of rows) {
      const [address, broadcast, duplex, operstate, ifalias] = info;
      if (operstate === undefined) continue;
      up.push({ labels: { device: dev }, value: operstate === 'up' ? 1 : 0 });
      infoSamples.push({
        labels: { address: address ?? '', broadcast: broadcast ?? '', device: dev, duplex: duplex ?? '', ifalias: ifalias ?? '', operstate },
        value: 1,
      });
      fields.forEach((v, i) => {
        if (v !== undefined) fieldSamples[i]!.push({ labels: { device: dev }, value: Math.trunc(v * (CLASS_FIELDS[i]!.scale ?? 1)) });
      });
    }
    const families: MetricFamily[] = [
      { name: 'node_network_up', type: 'gauge', help: "Value is 1 if operstate is 'up', 0 otherwise.", samples: up },
      { name: 'node_network_info', type: 'gauge', help: 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', samples: infoSamples },
    ];
    CLASS_FIELDS.forEach((f, i) => {
      families.push({ name: `node_network_${f.metric}`, type: f.type, help: `Network device property: ${f.metric}`, samples: fieldSamples[i]! });
    });
    return families;
  };
}
