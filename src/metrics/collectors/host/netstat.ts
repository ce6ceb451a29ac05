/**
 * Protocol-level network families of node_exporter's default collectors: netstat (/proc/net/netstat,
 * snmp, snmp6), sockstat, softnet, arp, conntrack and udp_queues.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetricFamily, Sample } from '../exposition.js';
import type { SubCollector } from './context.js';

/** node_exporter's default --collector.netstat.fields. */
export const DEFAULT_NETSTAT_FIELDS =
  /^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$/;

/** /proc/net/netstat and /proc/net/snmp: a header line of names, then a line of values, per protocol. */
export function parseNetstatPairs(text: string, into: Map<string, [string, string, number]>): void {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    const proto = names[0]!.replace(/:$/, '');
    if (names.length !== values.length || values[0] !== names[0]) continue;
    for (let j = 1; j < names.length; j++) {
      const v = Number(values[j]);
      if (Number.isFinite(v)) into.set(`${proto}_${names[j]}`, [proto, names[j]!, v]);
    }
  }
}

/** /proc/net/snmp6: "Ip6InReceives  1" lines; the protocol is everything up to the first "6". */
export function parseSnmp6(text: string, into: Map<string, [string, string, number]>): void {
  for (const line of text.split('\n')) {
    const [key, raw] = line.trim().split(/\s+/);
    if (!key || raw === undefined) continue;
    const six = key.indexOf('6');
    const v = Number(raw);
    if (six < 0 || !Number.isFinite(v)) continue;
    const proto = key.slice(0, six + 1);
    const name = key.slice(six + 1);
    into.set(`${proto}_${name}`, [proto, name, v]);
  }
}

export function createNetstatCollector(fields: RegExp = DEFAULT_NETSTAT_FIELDS): SubCollector {
  return async (ctx) => {
    const [netstat, snmp, snmp6] = await Promise.all(['netstat', 'snmp', 'snmp6'].map((f) => ctx.read(join(ctx.procPath, 'net', f))));
    if (netstat === undefined || snmp === undefined) throw new Error('cannot read /proc/net/netstat or /proc/net/snmp');
    const stats = new Map<string, [string, string, number]>();
    parseNetstatPairs(netstat, stats);
    parseNetstatPairs(snmp, stats);
    if (snmp6 !== undefined) parseSnmp6(snmp6, stats);
    const families: MetricFamily[] = [];
    for (const [key, [proto, name, value]] of stats) {
      if (!fields.test(key) || !/^[a-zA-Z0-9_]+$/.test(key)) continue;
      families.push({ name: `node_netstat_${key}`, type: 'untyped', help: `Statistic ${proto}${name}.`, samples: [{ value }] });
    }
    return families;
  };
}

/** Memory page size from the ELF auxiliary vector (AT_PAGESZ), falling back to 4 KiB. */
let pageSizeCache: Promise<number> | undefined;
export function pageSize(procPath = '/proc'): Promise<number> {
  pageSizeCache ??= readFile(join(procPath, 'self', 'auxv')).then(
    (buf) => {
      for (let off = 0; off + 16 <= buf.length; off += 16) {
        const type = buf.readBigUInt64LE(off);
        if (type === 0n) break;
        if (type === 6n) return Number(buf.readBigUInt64LE(off + 8));
      }
      return 4096;
    },
    () => 4096,
  );
  return pageSizeCache;
}

export const collectSockstat: SubCollector = async (ctx) => {
  const [v4, v6, page] = await Promise.all([ctx.read(join(ctx.procPath, 'net', 'sockstat')), ctx.read(join(ctx.procPath, 'net', 'sockstat6')), pageSize()]);
  if (v4 === undefined && v6 === undefined) return [];
  const families: MetricFamily[] = [];
  for (const text of [v4, v6]) {
    if (text === undefined) continue;
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const proto = line.slice(0, colon).trim();
      const parts = line.slice(colon + 1).trim().split(/\s+/);
      for (let i = 0; i + 1 < parts.length; i += 2) {
        const key = parts[i]!;
        const v = Number(parts[i + 1]);
        if (!Number.isFinite(v) || !/^[A-Za-z0-9_]+$/.test(proto + key)) continue;
        if (proto === 'sockets') {
          if (key === 'used') families.push({ name: 'node_sockstat_sockets_used', type: 'gauge', help: 'Number of IPv4 sockets in use.', samples: [{ value: v }] });
          continue;
        }
        families.push({ name: `node_sockstat_${proto}_${key}`, type: 'gauge', help: `Number of ${proto} sockets in state ${key}.`, samples: [{ value: v }] });
        // "mem" is in pages; node_exporter adds the byte count alongside.
        if (key === 'mem') {
          families.push({ name: `node_sockstat_${proto}_mem_bytes`, type: 'gauge', help: `Number of ${proto} sockets in state mem_bytes.`, samples: [{ value: v * page }] });
        }
      }
    }
  }
  return families;
};

export const collectSoftnet: SubCollector = async (ctx) => {
  const path = join(ctx.procPath, 'net', 'softnet_stat');
  const text = await ctx.read(path);
  if (text === undefined) return [];
  const processed: Sample[] = [];
  const dropped: Sample[] = [];
  const squeezed: Sample[] = [];
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .forEach((line, cpu) => {
      const cols = line.trim().split(/\s+/).map((h) => parseInt(h, 16));
      if (cols.length < 3 || cols.slice(0, 3).some((v) => !Number.isFinite(v))) return;
      const labels = { cpu: String(cpu) };
      processed.push({ labels, value: cols[0]! });
      dropped.push({ labels, value: cols[1]! });
      squeezed.push({ labels, value: cols[2]! });
    });
  return [
    { name: 'node_softnet_processed_total', type: 'counter', help: 'Number of processed packets', samples: processed },
    { name: 'node_softnet_dropped_total', type: 'counter', help: 'Number of dropped packets', samples: dropped },
    { name: 'node_softnet_times_squeezed_total', type: 'counter', help: 'Number of times processing packets ran out of quota', samples: squeezed },
  ];
};

export const collectArp: SubCollector = async (ctx) => {
  const text = await ctx.read(join(ctx.procPath, 'net', 'arp'));
  if (text === undefined) return [];
  const counts = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 6) continue;
    counts.set(parts[5]!, (counts.get(parts[5]!) ?? 0) + 1);
  }
  const samples = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([device, value]) => ({ labels: { device }, value }));
  return [{ name: 'node_arp_entries', type: 'gauge', help: 'ARP entries by device', samples }];
};

const CONNTRACK_STATS: ReadonlyArray<[string, string, string]> = [
  ['found', 'node_nf_conntrack_stat_found', 'Number of searched entries which were successful.'],
  ['invalid', 'node_nf_conntrack_stat_invalid', 'Number of packets seen which can not be tracked.'],
  ['ignore', 'node_nf_conntrack_stat_ignore', 'Number of packets seen which are already connected to a conntrack entry.'],
  ['insert', 'node_nf_conntrack_stat_insert', 'Number of entries inserted into the list.'],
  ['insert_failed', 'node_nf_conntrack_stat_insert_failed', 'Number of entries for which list insertion was attempted but failed.'],
  ['drop', 'node_nf_conntrack_stat_drop', 'Number of packets dropped due to conntrack failure.'],
  ['early_drop', 'node_nf_conntrack_stat_early_drop', 'Number of dropped conntrack entries to make room for new ones, if maximum table size was reached.'],
  ['search_restart', 'node_nf_conntrack_stat_search_restart', 'Number of conntrack table lookups which had to be restarted due to hashtable resizes.'],
];

/** Only present when the nf_conntrack module is loaded; absent means no families, not a failure. */
export const collectConntrack: SubCollector = async (ctx) => {
  const [count, max, stat] = await Promise.all([
    ctx.read(join(ctx.procPath, 'sys', 'net', 'netfilter', 'nf_conntrack_count')),
    ctx.read(join(ctx.procPath, 'sys', 'net', 'netfilter', 'nf_conntrack_max')),
    ctx.read(join(ctx.procPath, 'net', 'stat', 'nf_conntrack')),
  ]);
  if (count === undefined) return [];
  const families: MetricFamily[] = [
    { name: 'node_nf_conntrack_entries', type: 'gauge', help: 'Number of currently allocated flow entries for connection tracking.', samples: [{ value: Number(count.trim()) }] },
  ];
  if (max !== undefined) {
    families.push({ name: 'node_nf_conntrack_entries_limit', type: 'gauge', help: 'Maximum size of connection tracking table.', samples: [{ value: Number(max.trim()) }] });
  }
  if (stat !== undefined) {
    // Columns vary by kernel, so find them by the header; values are hex, one line per CPU, summed.
    const [header, ...rows] = stat.split('\n').filter((l) => l.trim() !== '');
    const cols = (header ?? '').trim().split(/\s+/);
    const sums = new Map<string, number>();
    for (const row of rows) {
      row.trim().split(/\s+/).forEach((h, i) => {
        const v = parseInt(h, 16);
        if (cols[i] && Number.isFinite(v)) sums.set(cols[i]!, (sums.get(cols[i]!) ?? 0) + v);
      });
    }
    for (const [col, name, help] of CONNTRACK_STATS) {
      const v = sums.get(col);
      if (v !== undefined) families.push({ name, type: 'gauge', help, samples: [{ value: v }] });
    }
  }
  return families;
};

/** Sum of tx_queue and rx_queue ("tx:rx" in hex, column 5) over all sockets in /proc/net/udp{,6}. */
export function sumUdpQueues(text: string): { tx: number; rx: number } {
  let tx = 0;
  let rx = 0;
  for (const line of text.split('\n').slice(1)) {
    const q = line.trim().split(/\s+/)[4];
    if (!q || !q.includes(':')) continue;
    const [t, r] = q.split(':').map((h) => parseInt(h, 16));
    if (Number.isFinite(t) && Number.isFinite(r)) {
      tx += t!;
      rx += r!;
    }
  }
  return { tx, rx };
}

export const collectUdpQueues: SubCollector = async (ctx) => {
  const [v4, v6] = await Promise.all([ctx.read(join(ctx.procPath, 'net', 'udp')), ctx.read(join(ctx.procPath, 'net', 'udp6'))]);
  const samples: Sample[] = [];
  for (const [ip, text] of [['v4', v4], ['v6', v6]] as const) {
    if (text === undefined) continue;
    const { tx, rx } = sumUdpQueues(text);
    samples.push({ labels: { ip, queue: 'rx' }, value: rx }, { labels: { ip, queue: 'tx' }, value: tx });
  }
  return [{ name: 'node_udp_queues', type: 'gauge', help: 'Number of allocated memory in the kernel for UDP datagrams in bytes.', samples }];
};
