/**
 * Compares the host collector with the real node_exporter 1.5 (Debian's prometheus-node-exporter)
 * on this machine, scraped at the same moment: same family names, TYPEs and label names, and values
 * in the same ballpark.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNodeExporter } from '../../../../test/peers/node-exporter.js';
import type { Peer } from '../../../../test/peers/process.js';
import { checkExposition, type ExpositionCheck, type ParsedFamily } from '../exposition-check.js';
import { HostCollector } from './collector.js';

/** The families the brief asks for; each must be in our output. */
const REQUIRED = [
  'node_cpu_seconds_total',
  'node_memory_MemTotal_bytes',
  'node_memory_MemFree_bytes',
  'node_memory_MemAvailable_bytes',
  'node_memory_Active_anon_bytes',
  'node_filesystem_size_bytes',
  'node_filesystem_free_bytes',
  'node_filesystem_avail_bytes',
  'node_filesystem_files',
  'node_filesystem_files_free',
  'node_filesystem_readonly',
  'node_filesystem_device_error',
  'node_disk_reads_completed_total',
  'node_disk_writes_completed_total',
  'node_disk_read_bytes_total',
  'node_disk_written_bytes_total',
  'node_disk_io_time_seconds_total',
  'node_disk_read_time_seconds_total',
  'node_disk_write_time_seconds_total',
  'node_disk_io_now',
  'node_network_receive_bytes_total',
  'node_network_transmit_bytes_total',
  'node_network_receive_packets_total',
  'node_network_transmit_packets_total',
  'node_network_receive_errs_total',
  'node_network_transmit_errs_total',
  'node_network_receive_drop_total',
  'node_network_transmit_drop_total',
  'node_network_up',
  'node_load1',
  'node_load5',
  'node_load15',
  'node_boot_time_seconds',
  'node_time_seconds',
  'node_uname_info',
  'node_context_switches_total',
  'node_intr_total',
  'node_forks_total',
  'node_procs_running',
  'node_procs_blocked',
  'node_vmstat_pgfault',
  'node_vmstat_pgmajfault',
  'node_vmstat_pgpgin',
  'node_vmstat_pgpgout',
  'node_vmstat_pswpin',
  'node_vmstat_pswpout',
  'node_vmstat_oom_kill',
  'node_filefd_allocated',
  'node_filefd_maximum',
  'node_entropy_available_bits',
  'node_os_info',
];

/** Ours but not in a default node_exporter: node_cpu_info is behind --collector.cpu.info there. */
const EXTRAS = new Set(['node_cpu_info']);

/** Debian patches node_exporter's defaults; with these our output should match it exactly. */
const DEBIAN_MOUNT_POINTS_EXCLUDE = /^\/(dev|proc|run|sys|mnt|media|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;
const DEBIAN_NETDEV_EXCLUDE = /^lo$/;

let ne: Peer;
let neScrape: ExpositionCheck;
let debianLike: ExpositionCheck;
let defaults: ExpositionCheck;

before(async () => {
  ne = await startNodeExporter();
  const debianCollector = new HostCollector({ filesystem: { mountPointsExclude: DEBIAN_MOUNT_POINTS_EXCLUDE }, netdev: { exclude: DEBIAN_NETDEV_EXCLUDE } });
  const defaultCollector = new HostCollector();
  // Scrape everything at the same moment so counters are comparable.
  const [neText, debianText, defaultText] = await Promise.all([
    fetch(ne.url + '/metrics').then((r) => r.text()),
    debianCollector.scrape(),
    defaultCollector.scrape(),
  ]);
  neScrape = checkExposition(neText);
  debianLike = checkExposition(debianText);
  defaults = checkExposition(defaultText);
});

after(async () => {
  await ne?.stop();
});

const fam = (c: ExpositionCheck, name: string): ParsedFamily => {
  const f = c.families.get(name);
  assert.ok(f, `family ${name} missing`);
  return f;
};
const scalar = (c: ExpositionCheck, name: string): number => {
  const f = fam(c, name);
  assert.equal(f.samples.length, 1, `${name} should have one sample`);
  return f.samples[0]!.value;
};
const labelSets = (f: ParsedFamily): string[] => [...new Set(f.samples.map((s) => Object.keys(s.labels).sort().join(',')))].sort();
const values = (f: ParsedFamily, label: string): Map<string, number> => new Map(f.samples.map((s) => [s.labels[label]!, s.value]));
const near = (ours: number, theirs: number, relTol: number, absTol: number, what: string) =>
  assert.ok(Math.abs(ours - theirs) <= Math.max(absTol, relTol * Math.abs(theirs)), `${what}: ours ${ours} vs node_exporter ${theirs}`);

test('our exposition passes the strict check (and the checker accepts node_exporter output)', () => {
  assert.deepEqual(neScrape.errors, []);
  assert.deepEqual(defaults.errors, []);
  assert.deepEqual(debianLike.errors, []);
});

test('every required family is present', () => {
  const missing = REQUIRED.filter((n) => !defaults.families.has(n) || defaults.families.get(n)!.samples.length === 0);
  assert.deepEqual(missing, []);
});

test('every family we emit exists in node_exporter with the same TYPE and label names', () => {
  const problems: string[] = [];
  for (const [name, ours] of defaults.families) {
    const theirs = neScrape.families.get(name);
    if (!theirs) {
      if (!EXTRAS.has(name)) problems.push(`${name}: not in node_exporter output`);
      continue;
    }
    if (ours.type !== theirs.type) problems.push(`${name}: type ${ours.type} vs ${theirs.type}`);
    if (theirs.samples.length > 0 && labelSets(ours).join('|') !== labelSets(theirs).join('|')) {
      problems.push(`${name}: labels ${labelSets(ours).join('|')} vs ${labelSets(theirs).join('|')}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the required families node_exporter has on this machine all come out of ours', () => {
  const theirsOnly = REQUIRED.filter((n) => neScrape.families.has(n) && !defaults.families.has(n));
  assert.deepEqual(theirsOnly, []);
});

test('memory, boot time, clock, cpu count and kernel identity agree', () => {
  assert.equal(scalar(defaults, 'node_memory_MemTotal_bytes'), scalar(neScrape, 'node_memory_MemTotal_bytes'));
  near(scalar(defaults, 'node_memory_MemAvailable_bytes'), scalar(neScrape, 'node_memory_MemAvailable_bytes'), 0.05, 0, 'MemAvailable');
  near(scalar(defaults, 'node_boot_time_seconds'), scalar(neScrape, 'node_boot_time_seconds'), 0, 2, 'boot time');
  near(scalar(defaults, 'node_time_seconds'), scalar(neScrape, 'node_time_seconds'), 0, 5, 'time');
  const cpus = (c: ExpositionCheck) => new Set(fam(c, 'node_cpu_seconds_total').samples.map((s) => s.labels['cpu'])).size;
  assert.equal(cpus(defaults), cpus(neScrape));
  assert.deepEqual(fam(defaults, 'node_uname_info').samples[0]!.labels, fam(neScrape, 'node_uname_info').samples[0]!.labels);
  assert.deepEqual(fam(defaults, 'node_os_info').samples[0]!.labels, fam(neScrape, 'node_os_info').samples[0]!.labels);
  assert.equal(scalar(defaults, 'node_filefd_maximum'), scalar(neScrape, 'node_filefd_maximum'));
  near(scalar(defaults, 'node_load1'), scalar(neScrape, 'node_load1'), 0.5, 1, 'load1');
});

test('node_cpu_seconds_total agrees per cpu and mode within a few percent', () => {
  const key = (s: { labels: Readonly<Record<string, string>> }) => `${s.labels['cpu']}/${s.labels['mode']}`;
  const theirs = new Map(fam(neScrape, 'node_cpu_seconds_total').samples.map((s) => [key(s), s.value]));
  const ours = fam(defaults, 'node_cpu_seconds_total').samples;
  assert.equal(ours.length, theirs.size);
  for (const s of ours) {
    assert.ok(theirs.has(key(s)), `node_exporter lacks ${key(s)}`);
    near(s.value, theirs.get(key(s))!, 0.03, 1, `cpu ${key(s)}`);
  }
  near(scalar(defaults, 'node_context_switches_total'), scalar(neScrape, 'node_context_switches_total'), 0.05, 1000, 'context switches');
  near(scalar(defaults, 'node_forks_total'), scalar(neScrape, 'node_forks_total'), 0.05, 50, 'forks');
});

test('filesystems: same mount points as node_exporter with its (Debian) excludes; a superset with upstream defaults', () => {
  const mps = (c: ExpositionCheck) => [...values(fam(c, 'node_filesystem_device_error'), 'mountpoint').keys()].sort();
  assert.deepEqual(mps(debianLike), mps(neScrape));
  // Upstream's default excludes are narrower than Debian's (/run, /mnt, /media are not excluded).
  const extra = mps(defaults);
  for (const mp of mps(neScrape)) assert.ok(extra.includes(mp), `default collector lacks ${mp}`);
  const size = (c: ExpositionCheck) => values(fam(c, 'node_filesystem_size_bytes'), 'mountpoint');
  const avail = (c: ExpositionCheck) => values(fam(c, 'node_filesystem_avail_bytes'), 'mountpoint');
  for (const [mp, v] of size(neScrape)) {
    assert.equal(size(debianLike).get(mp), v, `size of ${mp}`);
    near(avail(debianLike).get(mp)!, avail(neScrape).get(mp)!, 0.01, 1 << 20, `avail of ${mp}`);
  }
});

test('disks: same devices (partitions/loop/ram excluded) and comparable counters', () => {
  const reads = (c: ExpositionCheck) => values(fam(c, 'node_disk_reads_completed_total'), 'device');
  assert.deepEqual([...reads(defaults).keys()].sort(), [...reads(neScrape).keys()].sort());
  for (const [dev, v] of reads(neScrape)) near(reads(defaults).get(dev)!, v, 0.02, 200, `reads of ${dev}`);
  const info = (c: ExpositionCheck) => fam(c, 'node_disk_info').samples.map((s) => JSON.stringify(Object.entries(s.labels).sort()));
  assert.deepEqual(info(defaults).sort(), info(neScrape).sort());
});

test('network: same devices as node_exporter with its excludes, same up/info, comparable counters', () => {
  const rx = (c: ExpositionCheck) => values(fam(c, 'node_network_receive_bytes_total'), 'device');
  assert.deepEqual([...rx(debianLike).keys()].sort(), [...rx(neScrape).keys()].sort());
  for (const [dev, v] of rx(neScrape)) near(rx(debianLike).get(dev)!, v, 0.05, 1 << 16, `rx bytes of ${dev}`);
  // Upstream node_exporter 1.5 does not exclude lo; Debian's package does.
  assert.ok(rx(defaults).has('lo'));
  assert.deepEqual(values(fam(defaults, 'node_network_up'), 'device'), values(fam(neScrape, 'node_network_up'), 'device'));
  const info = (c: ExpositionCheck) => fam(c, 'node_network_info').samples.map((s) => JSON.stringify(Object.entries(s.labels).sort()));
  assert.deepEqual(info(defaults).sort(), info(neScrape).sort());
  for (const name of ['node_network_mtu_bytes', 'node_network_speed_bytes', 'node_network_carrier', 'node_network_flags', 'node_network_iface_id']) {
    const theirs = neScrape.families.get(name);
    if (theirs) assert.deepEqual(values(fam(defaults, name), 'device'), values(theirs, 'device'), name);
  }
});

test('vmstat: the same default field subset', () => {
  const names = (c: ExpositionCheck) => [...c.families.keys()].filter((n) => n.startsWith('node_vmstat_')).sort();
  assert.deepEqual(names(defaults), names(neScrape));
});

test('collector success is reported for every sub-collector', () => {
  const failed = fam(defaults, 'node_scrape_collector_success').samples.filter((s) => s.value !== 1).map((s) => s.labels['collector']);
  assert.deepEqual(failed, []);
});

test('netstat, sockstat, softnet, pressure, conntrack, arp, udp queues and time families match node_exporter', () => {
  const names = (c: ExpositionCheck, prefix: string) => [...c.families.keys()].filter((n) => n.startsWith(prefix)).sort();
  for (const prefix of ['node_netstat_', 'node_sockstat_', 'node_softnet_', 'node_pressure_', 'node_nf_conntrack_', 'node_arp_', 'node_udp_', 'node_time_']) {
    assert.deepEqual(names(defaults, prefix), names(neScrape, prefix), prefix);
  }
  const samplesOf = (c: ExpositionCheck, name: string) => fam(c, name).samples.map((s) => JSON.stringify(Object.entries(s.labels).sort())).sort();
  for (const name of ['node_time_clocksource_available_info', 'node_time_clocksource_current_info', 'node_time_zone_offset_seconds', 'node_udp_queues', 'node_softnet_processed_total']) {
    if (neScrape.families.has(name)) assert.deepEqual(samplesOf(defaults, name), samplesOf(neScrape, name), name);
  }
  if (neScrape.families.has('node_nf_conntrack_entries_limit')) {
    assert.equal(scalar(defaults, 'node_nf_conntrack_entries_limit'), scalar(neScrape, 'node_nf_conntrack_entries_limit'));
  }
  if (neScrape.families.has('node_pressure_cpu_waiting_seconds_total')) {
    near(scalar(defaults, 'node_pressure_cpu_waiting_seconds_total'), scalar(neScrape, 'node_pressure_cpu_waiting_seconds_total'), 0.05, 1, 'cpu pressure');
  }
  near(scalar(defaults, 'node_netstat_Ip_Forwarding'), scalar(neScrape, 'node_netstat_Ip_Forwarding'), 0, 0, 'Ip_Forwarding');
  near(scalar(defaults, 'node_netstat_Tcp_InSegs'), scalar(neScrape, 'node_netstat_Tcp_InSegs'), 0.05, 100, 'Tcp_InSegs');
  // sockstat mem_bytes = pages × page size, which we take from the auxiliary vector.
  if (neScrape.families.has('node_sockstat_TCP_mem_bytes')) {
    const ratio = (c: ExpositionCheck) => scalar(c, 'node_sockstat_TCP_mem_bytes') / Math.max(1, scalar(c, 'node_sockstat_TCP_mem'));
    if (scalar(neScrape, 'node_sockstat_TCP_mem') > 0 && scalar(defaults, 'node_sockstat_TCP_mem') > 0) assert.equal(ratio(defaults), ratio(neScrape));
  }
});
