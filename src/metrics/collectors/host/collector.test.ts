/** The host collector on a synthetic /proc and /sys tree: exact values, filters, odd inputs, failures. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { StatsFs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkExposition, type ExpositionCheck, type ParsedFamily } from '../exposition-check.js';
import { HostCollector, type HostCollectorOptions } from './collector.js';
import { CpuCounterGuard, parseProcStat } from './stat.js';
import { parseMeminfo } from './memory.js';
import { parseMounts } from './filesystem.js';
import { parseOsRelease } from './system.js';

let root: string;
const put = (rel: string, text: string) => {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
};

before(() => {
  root = mkdtempSync(join(tmpdir(), 'sextant-hostfix-'));
  put(
    'proc/stat',
    [
      'cpu  300 10 200 10000 50 0 7 3 20 1',
      'cpu0 150 5 100 5000 25 0 4 2 10 1',
      'cpu1 150 5 100 5000 25 0 3 1 10 0',
      'intr 123456 1 2 3',
      'ctxt 987654',
      'btime 1700000000',
      'processes 4242',
      'procs_running 3',
      'procs_blocked 1',
      'softirq 1 2 3',
      '',
    ].join('\n'),
  );
  put('proc/meminfo', 'MemTotal:       16384 kB\nActive(anon):    1572 kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\nBogus line\n');
  put('proc/vmstat', 'nr_free_pages 100\npgfault 5000\npgmajfault 12\noom_kill 0\npswpin 1\npgpgin 7\nnuma_hit 3\n');
  put(
    'proc/diskstats',
    [
      '   8       0 sda 100 2 800 40 50 1 400 30 0 60 70 5 0 16 2 9 3',
      '   8       1 sda1 90 2 700 40 50 1 400 30 0 60 70',
      '   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0',
      ' 259       0 nvme0n1 10 0 80 4 5 0 40 3 1 6 7',
      ' 259       1 nvme0n1p1 10 0 80 4 5 0 40 3 0 6 7',
      '',
    ].join('\n'),
  );
  put('udev/b8:0', 'S:disk/by-id/ata-X\nE:ID_PATH=pci-0000:00:1f.2-ata-1\nE:ID_MODEL=Fast_Disk\nE:ID_SERIAL_SHORT=S123\nE:ID_FS_TYPE=ext4\nE:ID_FS_USAGE=filesystem\nE:ID_FS_UUID=u-1\nE:ID_FS_VERSION=1.0\nE:ID_ATA=1\nE:ID_ATA_ROTATION_RATE_RPM=0\n');
  put(
    'proc/net/dev',
    [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:   1000      10    0    0    0     0          0         0    1000      10    0    0    0     0       0          0',
      '  eth0: 5000000   4000    1    2    3     4          5         6   700000    600    7    8    9    10      11         12',
      '',
    ].join('\n'),
  );
  put('sys/class/net/eth0/operstate', 'up\n');
  put('sys/class/net/eth0/address', 'aa:bb:cc:dd:ee:ff\n');
  put('sys/class/net/eth0/broadcast', 'ff:ff:ff:ff:ff:ff\n');
  put('sys/class/net/eth0/duplex', 'full\n');
  put('sys/class/net/eth0/ifalias', '\n');
  put('sys/class/net/eth0/speed', '1000\n');
  put('sys/class/net/eth0/mtu', '1500\n');
  put('sys/class/net/eth0/flags', '0x1003\n');
  put('sys/class/net/eth0/carrier', '1\n');
  put('sys/class/net/eth0/statistics/rx_nohandler', '42\n');
  put('sys/class/net/lo/operstate', 'unknown\n');
  put('sys/class/net/lo/address', '00:00:00:00:00:00\n');
  put('sys/class/net/lo/mtu', '65536\n');
  put('proc/loadavg', '0.50 1.25 2.00 2/345 6789\n');
  put('proc/sys/kernel/ostype', 'Linux\n');
  put('proc/sys/kernel/osrelease', '6.1.0-test\n');
  put('proc/sys/kernel/version', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.1\n');
  put('proc/sys/kernel/hostname', 'node-a\n');
  put('proc/sys/kernel/domainname', '(none)\n');
  put('proc/sys/fs/file-nr', '1234\t0\t9223372036854775807\n');
  put('proc/sys/kernel/random/entropy_avail', '256\n');
  put('proc/sys/kernel/random/poolsize', '256\n');
  put(
    'proc/1/mounts',
    [
      '/dev/sda2 / ext4 rw,relatime 0 0',
      'proc /proc proc rw 0 0',
      'tmpfs /run tmpfs rw,nosuid 0 0',
      '/dev/sdb1 /data\\040disk xfs ro,noatime 0 0',
      '/dev/sdb1 /data\\040disk xfs ro,noatime 0 0',
      'nfs:/export /mnt/nfs nfs4 rw 0 0',
      'broken /mnt/broken ext4 rw 0 0',
      'overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0',
      '',
    ].join('\n'),
  );
  put('os-release', 'NAME="Debian GNU/Linux"\nID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n# comment\n');
  put('proc/cpuinfo', 'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: Xeon\nstepping\t: 7\nmicrocode\t: 0x5003\ncache size\t: 1024 KB\nphysical id\t: 0\ncore id\t\t: 0\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nphysical id\t: 0\ncore id\t\t: 1\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

const fakeStat = (blocks: number, bsize = 4096): StatsFs => ({ type: 0, bsize, blocks, bfree: blocks / 2, bavail: blocks / 4, files: 1000, ffree: 900 });

/** statfs stand-in: / and /run and /data disk answer, /mnt/nfs hangs forever, /mnt/broken fails. */
function makeStatfs(calls: string[]) {
  return async (p: string): Promise<StatsFs> => {
    calls.push(p);
    if (p === '/mnt/nfs') return new Promise<StatsFs>(() => {});
    if (p === '/mnt/broken') throw Object.assign(new Error('EIO'), { code: 'EIO' });
    return fakeStat(p === '/' ? 1000 : 10);
  };
}

function collector(extra: Partial<HostCollectorOptions> = {}, calls: string[] = []): HostCollector {
  return new HostCollector({
    procPath: join(root, 'proc'),
    sysPath: join(root, 'sys'),
    udevDataPath: join(root, 'udev'),
    osReleasePaths: [join(root, 'nope'), join(root, 'os-release')],
    now: () => 1_700_000_123_456,
    filesystem: { statfs: makeStatfs(calls), statfsTimeoutMs: 50 },
    ...extra,
  });
}

async function scrape(c: HostCollector): Promise<ExpositionCheck> {
  const check = checkExposition(await c.scrape());
  assert.deepEqual(check.errors, []);
  return check;
}

const fam = (c: ExpositionCheck, name: string): ParsedFamily => {
  const f = c.families.get(name);
  assert.ok(f, `missing ${name}`);
  return f;
};
const get = (c: ExpositionCheck, name: string, labels: Record<string, string> = {}): number | undefined =>
  fam(c, name).samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test('cpu: USER_HZ ticks to seconds per cpu and mode; guest time exposed separately', async () => {
  const m = await scrape(collector());
  assert.equal(get(m, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' }), 1.5);
  assert.equal(get(m, 'node_cpu_seconds_total', { cpu: '1', mode: 'softirq' }), 0.03);
  assert.equal(get(m, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' }), 50);
  assert.equal(fam(m, 'node_cpu_seconds_total').samples.length, 16);
  assert.equal(get(m, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'user' }), 0.1);
  assert.equal(get(m, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'nice' }), 0.01);
  assert.deepEqual(fam(m, 'node_cpu_info').samples[0]!.labels, {
    package: '0', core: '0', cpu: '0', vendor: 'GenuineIntel', family: '6', model: '85', model_name: 'Xeon', microcode: '0x5003', stepping: '7', cachesize: '1024 KB',
  });
  assert.equal(fam(m, 'node_cpu_info').samples.length, 2);
});

test('cpu counters never go backwards across scrapes, but reset on a hot-plug sized idle drop', () => {
  const guard = new CpuCounterGuard();
  const at = (user: number, idle: number) => parseProcStat(`cpu0 ${user} 0 0 ${idle} 0 0 0 0 0 0\n`).cpus;
  assert.equal(guard.apply(at(1000, 50000)).get(0)!.user, 10);
  assert.equal(guard.apply(at(999, 50001)).get(0)!.user, 10, 'small dip is held at the previous value');
  assert.equal(guard.apply(at(1001, 50002)).get(0)!.user, 10.01);
  assert.equal(guard.apply(at(5, 100)).get(0)!.user, 0.05, 'idle fell by > 3 s: counters restart');
});

test('stat, load, time, uname, filefd, entropy, os', async () => {
  const m = await scrape(collector());
  assert.equal(get(m, 'node_intr_total'), 123456);
  assert.equal(get(m, 'node_context_switches_total'), 987654);
  assert.equal(get(m, 'node_forks_total'), 4242);
  assert.equal(get(m, 'node_boot_time_seconds'), 1700000000);
  assert.equal(get(m, 'node_procs_running'), 3);
  assert.equal(get(m, 'node_procs_blocked'), 1);
  assert.equal(get(m, 'node_load1'), 0.5);
  assert.equal(get(m, 'node_load5'), 1.25);
  assert.equal(get(m, 'node_load15'), 2);
  assert.equal(get(m, 'node_time_seconds'), 1700000123.456);
  const uname = fam(m, 'node_uname_info').samples[0]!.labels;
  assert.equal(uname['sysname'], 'Linux');
  assert.equal(uname['release'], '6.1.0-test');
  assert.equal(uname['version'], '#1 SMP PREEMPT_DYNAMIC Debian 6.1.1');
  assert.equal(uname['nodename'], 'node-a');
  assert.equal(uname['domainname'], '(none)');
  assert.equal(get(m, 'node_filefd_allocated'), 1234);
  assert.equal(get(m, 'node_filefd_maximum'), 9223372036854775807);
  assert.equal(get(m, 'node_entropy_available_bits'), 256);
  const os = fam(m, 'node_os_info').samples[0]!.labels;
  assert.equal(os['pretty_name'], 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(os['variant'], '');
  assert.equal(get(m, 'node_os_version', { id: 'debian' }), 12);
});

test('meminfo names follow node_exporter: parentheses to underscore, kB to bytes, unitless fields keep their name', async () => {
  const parsed = parseMeminfo('MemTotal:       16384 kB\nActive(anon):    1572 kB\nHugePages_Total:       3\n');
  assert.deepEqual([...parsed], [
    ['MemTotal_bytes', 16384 * 1024],
    ['Active_anon_bytes', 1572 * 1024],
    ['HugePages_Total', 3],
  ]);
  const m = await scrape(collector());
  assert.equal(get(m, 'node_memory_Active_anon_bytes'), 1572 * 1024);
  assert.equal(get(m, 'node_memory_HugePages_Total'), 0);
  assert.equal(fam(m, 'node_memory_MemTotal_bytes').type, 'gauge');
});

test('vmstat keeps the default field subset, untyped', async () => {
  const m = await scrape(collector());
  const names = [...m.families.keys()].filter((n) => n.startsWith('node_vmstat_')).sort();
  assert.deepEqual(names, ['node_vmstat_oom_kill', 'node_vmstat_pgfault', 'node_vmstat_pgmajfault', 'node_vmstat_pgpgin', 'node_vmstat_pswpin']);
  assert.equal(fam(m, 'node_vmstat_pgfault').type, 'untyped');
});

test('diskstats: default device exclusion, units, short lines from older kernels, udev info', async () => {
  const m = await scrape(collector());
  const devices = [...new Set(fam(m, 'node_disk_reads_completed_total').samples.map((s) => s.labels['device']))].sort();
  assert.deepEqual(devices, ['nvme0n1', 'sda']);
  assert.equal(get(m, 'node_disk_read_bytes_total', { device: 'sda' }), 800 * 512);
  assert.equal(get(m, 'node_disk_read_time_seconds_total', { device: 'sda' }), 0.04);
  assert.equal(get(m, 'node_disk_io_time_seconds_total', { device: 'sda' }), 0.06);
  assert.equal(get(m, 'node_disk_io_now', { device: 'nvme0n1' }), 1);
  assert.equal(get(m, 'node_disk_discarded_sectors_total', { device: 'sda' }), 16);
  assert.equal(get(m, 'node_disk_flush_requests_time_seconds_total', { device: 'sda' }), 0.003);
  // nvme0n1 has only the 11 original fields: no discard/flush series for it.
  assert.equal(get(m, 'node_disk_discards_completed_total', { device: 'nvme0n1' }), undefined);
  const info = fam(m, 'node_disk_info').samples.find((s) => s.labels['device'] === 'sda')!.labels;
  assert.equal(info['model'], 'Fast_Disk');
  assert.equal(info['path'], 'pci-0000:00:1f.2-ata-1');
  assert.equal(info['major'], '8');
  assert.equal(get(m, 'node_disk_filesystem_info', { device: 'sda', type: 'ext4', uuid: 'u-1' }), 1);
  assert.equal(get(m, 'node_disk_ata_rotation_rate_rpm', { device: 'sda' }), 0);
});

test('network: /proc/net/dev counters with node_exporter names, sysfs properties, device filters', async () => {
  const m = await scrape(collector());
  assert.equal(get(m, 'node_network_receive_bytes_total', { device: 'eth0' }), 5000000);
  assert.equal(get(m, 'node_network_receive_frame_total', { device: 'eth0' }), 4);
  assert.equal(get(m, 'node_network_transmit_colls_total', { device: 'eth0' }), 10);
  assert.equal(get(m, 'node_network_transmit_carrier_total', { device: 'eth0' }), 11);
  assert.equal(get(m, 'node_network_transmit_compressed_total', { device: 'eth0' }), 12);
  assert.equal(get(m, 'node_network_receive_nohandler_total', { device: 'eth0' }), 42);
  assert.equal(get(m, 'node_network_receive_bytes_total', { device: 'lo' }), 1000);
  assert.equal(get(m, 'node_network_up', { device: 'eth0' }), 1);
  assert.equal(get(m, 'node_network_up', { device: 'lo' }), 0);
  assert.equal(get(m, 'node_network_speed_bytes', { device: 'eth0' }), 125000000);
  assert.equal(get(m, 'node_network_flags', { device: 'eth0' }), 0x1003);
  assert.equal(get(m, 'node_network_carrier', { device: 'lo' }), undefined, 'unreadable attributes are left out');
  assert.equal(get(m, 'node_network_info', { device: 'eth0', duplex: 'full', operstate: 'up', address: 'aa:bb:cc:dd:ee:ff' }), 1);

  const noLo = await scrape(collector({ netdev: { exclude: /^lo$/ } }));
  assert.equal(get(noLo, 'node_network_receive_bytes_total', { device: 'lo' }), undefined);
  const onlyLo = await scrape(collector({ netdev: { include: /^lo$/ } }));
  assert.deepEqual(fam(onlyLo, 'node_network_receive_bytes_total').samples.map((s) => s.labels['device']), ['lo']);
});

test('filesystems: excludes, escaped mount points, de-duplication, read-only, failing and hanging statfs', async () => {
  assert.equal(parseMounts('/dev/sdb1 /a\\040b\\011c xfs ro 0 0\n')[0]!.mountPoint, '/a b\tc');
  const calls: string[] = [];
  const c = collector({}, calls);
  const m = await scrape(c);
  const errs = new Map(fam(m, 'node_filesystem_device_error').samples.map((s) => [s.labels['mountpoint'], s.value]));
  // /proc (excluded path and type) and the docker overlay are gone; /run is kept by upstream's defaults.
  assert.deepEqual([...errs.keys()].sort(), ['/', '/data disk', '/mnt/broken', '/mnt/nfs', '/run']);
  assert.equal(errs.get('/mnt/nfs'), 1, 'statfs that does not answer in time counts as an error');
  assert.equal(errs.get('/mnt/broken'), 1);
  assert.equal(errs.get('/'), 0);
  assert.equal(get(m, 'node_filesystem_size_bytes', { mountpoint: '/' }), 1000 * 4096);
  assert.equal(get(m, 'node_filesystem_avail_bytes', { mountpoint: '/' }), 250 * 4096);
  assert.equal(get(m, 'node_filesystem_free_bytes', { mountpoint: '/' }), 500 * 4096);
  assert.equal(get(m, 'node_filesystem_files_free', { mountpoint: '/' }), 900);
  assert.equal(get(m, 'node_filesystem_readonly', { mountpoint: '/data disk', device: '/dev/sdb1', fstype: 'xfs' }), 1);
  assert.equal(get(m, 'node_filesystem_readonly', { mountpoint: '/' }), 0);
  assert.equal(get(m, 'node_filesystem_size_bytes', { mountpoint: '/mnt/nfs' }), undefined, 'no sizes for a failed mount');
  assert.equal(calls.filter((p) => p === '/data disk').length, 1, 'duplicate mount lines are statted once');

  // The hung call is still in flight: the next scrape reports the mount without issuing another statfs.
  const again = await scrape(c);
  assert.equal(get(again, 'node_filesystem_device_error', { mountpoint: '/mnt/nfs' }), 1);
  assert.equal(calls.filter((p) => p === '/mnt/nfs').length, 1);

  const custom = await scrape(collector({ filesystem: { statfs: makeStatfs([]), statfsTimeoutMs: 50, mountPointsExclude: /^\/(proc|run|mnt)($|\/)/ } }));
  assert.deepEqual(fam(custom, 'node_filesystem_device_error').samples.map((s) => s.labels['mountpoint']).sort(), ['/', '/data disk']);
});

test('filesystems under a container rootfs: statfs through the prefix, labels without it', async () => {
  const calls: string[] = [];
  put('proc-rootfs/1/mounts', '/dev/sda2 /host/root ext4 rw 0 0\n/dev/sdb1 /host/root/data xfs rw 0 0\n');
  const m = await scrape(collector({ procPath: join(root, 'proc-rootfs'), filesystem: { rootfsPath: '/host/root', statfs: makeStatfs(calls), statfsTimeoutMs: 50 } }));
  assert.deepEqual(fam(m, 'node_filesystem_device_error').samples.map((s) => s.labels['mountpoint']).sort(), ['/', '/data']);
  assert.deepEqual(calls.sort(), ['/host/root', '/host/root/data']);
});

test('os-release parsing handles quotes, escapes and comments', () => {
  const env = parseOsRelease('# c\nNAME="A \\"B\\""\nID=x\nVERSION=\'1 (y)\'\n\nBAD\n');
  assert.equal(env.get('NAME'), 'A "B"');
  assert.equal(env.get('ID'), 'x');
  assert.equal(env.get('VERSION'), '1 (y)');
  assert.equal(env.has('BAD'), false);
});

test('a missing or garbled source fails only its own collector, and the scrape still succeeds', async () => {
  const c = collector({ procPath: join(root, 'proc-missing') });
  const m = await scrape(c);
  const success = new Map(fam(m, 'node_scrape_collector_success').samples.map((s) => [s.labels['collector'], s.value]));
  assert.equal(success.get('cpu'), 0);
  assert.equal(success.get('meminfo'), 0);
  assert.equal(success.get('time'), 1);
  assert.equal(success.get('netclass'), 1);
  assert.equal(get(m, 'node_time_seconds'), 1700000123.456);
  assert.equal(m.families.has('node_cpu_seconds_total'), false);

  put('proc-garbled/stat', 'cpu0 x y z\nctxt notanumber\n\u0000\u0001');
  put('proc-garbled/meminfo', 'MemTotal: lots kB\n::::\n');
  put('proc-garbled/loadavg', 'garbage\n');
  put('proc-garbled/diskstats', ' 8 0 sda 1 2\n');
  put('proc-garbled/net/dev', 'eth0: 1 2 3\n');
  const g = await scrape(collector({ procPath: join(root, 'proc-garbled') }));
  const ok = new Map(fam(g, 'node_scrape_collector_success').samples.map((s) => [s.labels['collector'], s.value]));
  assert.equal(ok.get('loadavg'), 0);
  assert.equal(g.families.has('node_memory_MemTotal_bytes'), false);
  assert.equal(g.families.has('node_context_switches_total'), false);
  assert.equal(g.families.has('node_cpu_seconds_total'), false);
  assert.equal(g.families.has('node_disk_reads_completed_total'), true, 'a 2-column diskstats line yields what it has');
  assert.equal(g.families.has('node_network_receive_bytes_total'), false, 'a short /proc/net/dev line is skipped');
});
