/** Small single-file families: load, time, uname, file descriptors, entropy, OS release, pressure. */
import { machine } from 'node:os';
import { join } from 'node:path';
import type { MetricFamily, Sample } from '../exposition.js';
import type { SubCollector } from './context.js';

export const collectLoadavg: SubCollector = async (ctx) => {
  const path = join(ctx.procPath, 'loadavg');
  const text = await ctx.read(path);
  if (text === undefined) throw new Error(`cannot read ${path}`);
  const [l1, l5, l15] = text.trim().split(/\s+/).map(Number);
  if (![l1, l5, l15].every((v) => v !== undefined && Number.isFinite(v))) throw new Error(`unexpected ${path}: ${text}`);
  return [
    { name: 'node_load1', type: 'gauge', help: '1m load average.', samples: [{ value: l1! }] },
    { name: 'node_load5', type: 'gauge', help: '5m load average.', samples: [{ value: l5! }] },
    { name: 'node_load15', type: 'gauge', help: '15m load average.', samples: [{ value: l15! }] },
  ];
};

export const collectTime: SubCollector = async (ctx) => [
  { name: 'node_time_seconds', type: 'gauge', help: 'System time in seconds since epoch (1970).', samples: [{ value: ctx.now() / 1000 }] },
];

/** Same fields as uname(2), read from /proc/sys/kernel so no syscall wrapper is needed. */
export const collectUname: SubCollector = async (ctx) => {
  const k = (f: string) => ctx.read(join(ctx.procPath, 'sys', 'kernel', f)).then((s) => s?.replace(/\n$/, ''));
  const [sysname, release, version, nodename, domainname] = await Promise.all(['ostype', 'osrelease', 'version', 'hostname', 'domainname'].map(k));
  if (sysname === undefined || release === undefined) throw new Error('cannot read /proc/sys/kernel/ostype');
  return [
    {
      name: 'node_uname_info',
      type: 'gauge',
      help: 'Labeled system information as provided by the uname system call.',
      samples: [{ labels: { domainname: domainname ?? '', machine: machine(), nodename: nodename ?? '', release, sysname, version: version ?? '' }, value: 1 }],
    },
  ];
};

export const collectFilefd: SubCollector = async (ctx) => {
  const path = join(ctx.procPath, 'sys', 'fs', 'file-nr');
  const text = await ctx.read(path);
  if (text === undefined) throw new Error(`cannot read ${path}`);
  const parts = text.trim().split(/\s+/);
  if (parts.length < 3) throw new Error(`unexpected number of file stats in ${path}`);
  const allocated = Number(parts[0]);
  const maximum = Number(parts[2]);
  return [
    { name: 'node_filefd_allocated', type: 'gauge', help: 'File descriptor statistics: allocated.', samples: [{ value: allocated }] },
    { name: 'node_filefd_maximum', type: 'gauge', help: 'File descriptor statistics: maximum.', samples: [{ value: maximum }] },
  ];
};

export const collectEntropy: SubCollector = async (ctx) => {
  const dir = join(ctx.procPath, 'sys', 'kernel', 'random');
  const [avail, pool] = await Promise.all([ctx.read(join(dir, 'entropy_avail')), ctx.read(join(dir, 'poolsize'))]);
  if (avail === undefined) throw new Error(`cannot read ${join(dir, 'entropy_avail')}`);
  const families: MetricFamily[] = [{ name: 'node_entropy_available_bits', type: 'gauge', help: 'Bits of available entropy.', samples: [{ value: Number(avail.trim()) }] }];
  if (pool !== undefined) families.push({ name: 'node_entropy_pool_size_bits', type: 'gauge', help: 'Bits of entropy pool.', samples: [{ value: Number(pool.trim()) }] });
  return families;
};

/** os-release(5): KEY=value lines, values optionally quoted with shell-style escapes. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    let value = line.slice(eq + 1);
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\`$])/g, '$1');
    }
    out.set(key, value);
  }
  return out;
}

const OS_INFO_LABELS: Array<[string, string]> = [
  ['build_id', 'BUILD_ID'],
  ['id', 'ID'],
  ['id_like', 'ID_LIKE'],
  ['image_id', 'IMAGE_ID'],
  ['image_version', 'IMAGE_VERSION'],
  ['name', 'NAME'],
  ['pretty_name', 'PRETTY_NAME'],
  ['variant', 'VARIANT'],
  ['variant_id', 'VARIANT_ID'],
  ['version', 'VERSION'],
  ['version_codename', 'VERSION_CODENAME'],
  ['version_id', 'VERSION_ID'],
];

export function createOsCollector(paths: readonly string[] = ['/etc/os-release', '/usr/lib/os-release']): SubCollector {
  return async (ctx) => {
    let text: string | undefined;
    for (const p of paths) {
      text = await ctx.read(p);
      if (text !== undefined) break;
    }
    if (text === undefined) return [];
    const env = parseOsRelease(text);
    const labels: Record<string, string> = {};
    for (const [label, key] of OS_INFO_LABELS) labels[label] = env.get(key) ?? '';
    const families: MetricFamily[] = [
      {
        name: 'node_os_info',
        type: 'gauge',
        help: "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
        samples: [{ labels, value: 1 }],
      },
    ];
    const majorMinor = /^[0-9]+\.?[0-9]*/.exec(labels['version_id']!)?.[0];
    const version = majorMinor ? parseFloat(majorMinor) : 0;
    if (version > 0) {
      families.push({
        name: 'node_os_version',
        type: 'gauge',
        help: 'Metric containing the major.minor part of the OS version.',
        samples: [{ labels: { id: labels['id']!, id_like: labels['id_like']!, name: labels['name']! }, value: version }],
      });
    }
    return families;
  };
}

/** Zone abbreviation as Go's time.Zone() would give it where Intl knows one (UTC, PST...). */
let zoneFormat: Intl.DateTimeFormat | undefined; // building one costs ~0.7 ms, so keep it
function zoneName(d: Date): string {
  zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' });
  const part = zoneFormat.formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

export const collectTimeZone: SubCollector = async (ctx) => {
  const d = new Date(ctx.now());
  return [
    {
      name: 'node_time_zone_offset_seconds',
      type: 'gauge',
      help: 'System time zone offset in seconds.',
      samples: [{ labels: { time_zone: zoneName(d) }, value: -d.getTimezoneOffset() * 60 }],
    },
  ];
};

export const collectClocksource: SubCollector = async (ctx) => {
  const dir = join(ctx.sysPath, 'devices', 'system', 'clocksource');
  const entries = (await ctx.list(dir))?.filter((n) => /^clocksource\d+$/.test(n)).sort();
  if (!entries?.length) return [];
  const available: Sample[] = [];
  const current: Sample[] = [];
  for (const e of entries) {
    const device = e.slice('clocksource'.length);
    const [avail, cur] = await Promise.all([ctx.read(join(dir, e, 'available_clocksource')), ctx.read(join(dir, e, 'current_clocksource'))]);
    for (const cs of (avail ?? '').trim().split(/\s+/).filter(Boolean)) available.push({ labels: { clocksource: cs, device }, value: 1 });
    if (cur?.trim()) current.push({ labels: { clocksource: cur.trim(), device }, value: 1 });
  }
  return [
    { name: 'node_time_clocksource_available_info', type: 'gauge', help: "Available clocksources read from '/sys/devices/system/clocksource'.", samples: available },
    { name: 'node_time_clocksource_current_info', type: 'gauge', help: "Current clocksource read from '/sys/devices/system/clocksource'.", samples: current },
  ];
};

/** "some avg10=0.00 avg60=0.00 avg300=0.00 total=123" → { some: 123e-6, full: ... } in seconds. */
export function parsePressure(text: string): { some?: number; full?: number } {
  const out: { some?: number; full?: number } = {};
  for (const line of text.split('\n')) {
    const m = /^(some|full)\s.*\btotal=(\d+)/.exec(line.trim());
    if (m) out[m[1] as 'some' | 'full'] = Number(m[2]) / 1e6;
  }
  return out;
}

/** Pressure stall information (Linux >= 4.20 with CONFIG_PSI); absent means no families. */
export const collectPressure: SubCollector = async (ctx) => {
  const dir = join(ctx.procPath, 'pressure');
  const [cpu, io, memory] = await Promise.all(['cpu', 'io', 'memory'].map((r) => ctx.read(join(dir, r))));
  const families: MetricFamily[] = [];
  const add = (name: string, help: string, v: number | undefined) => {
    if (v !== undefined) families.push({ name, type: 'counter', help, samples: [{ value: v }] });
  };
  if (cpu !== undefined) add('node_pressure_cpu_waiting_seconds_total', 'Total time in seconds that processes have waited for CPU time', parsePressure(cpu).some);
  if (io !== undefined) {
    const p = parsePressure(io);
    add('node_pressure_io_waiting_seconds_total', 'Total time in seconds that processes have waited due to IO congestion', p.some);
    add('node_pressure_io_stalled_seconds_total', 'Total time in seconds no process could make progress due to IO congestion', p.full);
  }
  if (memory !== undefined) {
    const p = parsePressure(memory);
    add('node_pressure_memory_waiting_seconds_total', 'Total time in seconds that processes have waited for memory', p.some);
    add('node_pressure_memory_stalled_seconds_total', 'Total time in seconds no process could make progress due to memory congestion', p.full);
  }
  return families;
};
