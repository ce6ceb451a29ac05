/** /proc/meminfo and /proc/vmstat, named as node_exporter's meminfo and vmstat collectors name them. */
import { join } from 'node:path';
import type { MetricFamily } from '../exposition.js';
import type { SubCollector } from './context.js';

/** "Active(anon):  1572 kB" → ["Active_anon_bytes", 1609728]; fields without a unit keep their bare name. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2 || !parts[0]!.endsWith(':')) continue;
    let value = Number(parts[1]);
    if (!Number.isFinite(value)) continue;
    let key = parts[0]!.slice(0, -1).replace(/\((.*)\)/, '_$1');
    if (parts.length === 3) {
      value *= 1024; // the kernel writes "kB" and means KiB
      key += '_bytes';
    } else if (parts.length !== 2) {
      continue;
    }
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(key)) continue;
    out.set(key, value);
  }
  return out;
}

export const collectMeminfo: SubCollector = async (ctx) => {
  const path = join(ctx.procPath, 'meminfo');
  const text = await ctx.read(path);
  if (text === undefined) throw new Error(`cannot read ${path}`);
  const families: MetricFamily[] = [];
  for (const [key, value] of parseMeminfo(text)) {
    families.push({
      name: `node_memory_${key}`,
      type: key.endsWith('_total') ? 'counter' : 'gauge',
      help: `Memory information field ${key}.`,
      samples: [{ value }],
    });
  }
  return families;
};

/** node_exporter's default --collector.vmstat.fields. */
export const DEFAULT_VMSTAT_FIELDS = /^(oom_kill|pgpg|pswp|pg.*fault).*/;

export function createVmstatCollector(fields: RegExp = DEFAULT_VMSTAT_FIELDS): SubCollector {
  return async (ctx) => {
    const path = join(ctx.procPath, 'vmstat');
    const text = await ctx.read(path);
    if (text === undefined) throw new Error(`cannot read ${path}`);
    const families: MetricFamily[] = [];
    for (const line of text.split('\n')) {
      const [key, raw] = line.trim().split(/\s+/);
      if (!key || raw === undefined || !fields.test(key) || !/^[a-zA-Z0-9_]+$/.test(key)) continue;
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      // node_exporter exposes these as untyped, so dashboards and recording rules expect that.
      families.push({ name: `node_vmstat_${key}`, type: 'untyped', help: `/proc/vmstat information field ${key}.`, samples: [{ value }] });
    }
    return families;
  };
}
