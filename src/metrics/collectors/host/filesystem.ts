/**
 * Filesystem fullness like node_exporter's filesystem collector: mounts from /proc/1/mounts
 * (falling back to /proc/mounts), statfs(2) per mount point through fs.statfs.
 *
 * A hung network mount would block statfs forever. We never wait on one longer than the timeout:
 * the mount is reported with device_error=1 and no new statfs is issued for it until the one in
 * flight returns, so a stuck mount cannot eat the libuv thread pool.
 */
import { statfs } from 'node:fs/promises';
import type { StatsFs } from 'node:fs';
import { join } from 'node:path';
import type { MetricFamily, Sample } from '../exposition.js';
import type { SubCollector } from './context.js';

/** node_exporter 1.5 defaults (upstream, not Debian's patched ones). */
export const DEFAULT_MOUNT_POINTS_EXCLUDE = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$/;

export interface Mount {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly options: string;
}

/** fstab(5)-style octal escapes in mount points: \040 space, \011 tab (as node_exporter decodes). */
function unescapeMountPoint(s: string): string {
  return s.replace(/\\040/g, ' ').replace(/\\011/g, '\t');
}

export function parseMounts(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 4) continue;
    out.push({ device: parts[0]!, mountPoint: unescapeMountPoint(parts[1]!), fsType: parts[2]!, options: parts[3]! });
  }
  return out;
}

export interface FilesystemOptions {
  mountPointsExclude?: RegExp;
  fsTypesExclude?: RegExp;
  /** How long one statfs may take before the mount is reported as failing. Default 5000 ms, as node_exporter. */
  statfsTimeoutMs?: number;
  /**
   * Where the host's root filesystem is mounted when running in a container (node_exporter's
   * --path.rootfs), e.g. /host/root. statfs goes to rootfsPath + mount point, and the prefix is
   * stripped from mount point labels. Default "/".
   */
  rootfsPath?: string;
  /** Replaceable for tests. */
  statfs?: (path: string) => Promise<StatsFs>;
}

const LABELS = ['device', 'fstype', 'mountpoint'] as const;

export function createFilesystemCollector(opts: FilesystemOptions = {}): SubCollector {
  const mpExclude = opts.mountPointsExclude ?? DEFAULT_MOUNT_POINTS_EXCLUDE;
  const fsExclude = opts.fsTypesExclude ?? DEFAULT_FS_TYPES_EXCLUDE;
  const timeoutMs = opts.statfsTimeoutMs ?? 5000;
  const doStatfs = opts.statfs ?? ((p: string) => statfs(p));
  const rootfs = opts.rootfsPath && opts.rootfsPath !== '/' ? opts.rootfsPath.replace(/\/+$/, '') : '';
  const stripRootfs = (mp: string) => (rootfs && mp.startsWith(rootfs) ? mp.slice(rootfs.length) || '/' : mp);
  /** statfs calls still running past their timeout, by mount point. */
  const stuck = new Map<string, Promise<unknown>>();

  const statWithTimeout = (mountPoint: string): Promise<StatsFs | undefined> => {
    if (stuck.has(mountPoint)) return Promise.resolve(undefined);
    const call = doStatfs(mountPoint);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stuck.set(mountPoint, call);
        call.then(
          () => stuck.delete(mountPoint),
          () => stuck.delete(mountPoint),
        );
        resolve(undefined);
      }, timeoutMs);
      call.then(
        (st) => {
          clearTimeout(timer);
          resolve(st);
        },
        () => {
          clearTimeout(timer);
          resolve(undefined);
        },
      );
    });
  };

  return async (ctx) => {
    const text = (await ctx.read(join(ctx.procPath, '1', 'mounts'))) ?? (await ctx.read(join(ctx.procPath, 'mounts')));
    if (text === undefined) throw new Error(`cannot read ${join(ctx.procPath, 'mounts')}`);
    const seen = new Set<string>();
    const mounts: Mount[] = [];
    for (const parsed of parseMounts(text)) {
      const m = { ...parsed, mountPoint: stripRootfs(parsed.mountPoint) };
      if (mpExclude.test(m.mountPoint) || fsExclude.test(m.fsType)) continue;
      // The same device/mountpoint/fstype can be listed twice (over-mounts); expose it once.
      const key = `${m.device}\0${m.mountPoint}\0${m.fsType}`;
      if (seen.has(key)) continue;
      seen.add(key);
      mounts.push(m);
    }
    const stats = await Promise.all(mounts.map((m) => statWithTimeout(rootfs ? (m.mountPoint === '/' ? rootfs : join(rootfs, m.mountPoint)) : m.mountPoint)));

    const s = { size: [] as Sample[], free: [] as Sample[], avail: [] as Sample[], files: [] as Sample[], filesFree: [] as Sample[], ro: [] as Sample[], err: [] as Sample[] };
    mounts.forEach((m, i) => {
      const labels = { device: m.device, fstype: m.fsType, mountpoint: m.mountPoint } satisfies Record<(typeof LABELS)[number], string>;
      const st = stats[i];
      s.err.push({ labels, value: st ? 0 : 1 });
      if (!st) return;
      s.size.push({ labels, value: st.blocks * st.bsize });
      s.free.push({ labels, value: st.bfree * st.bsize });
      s.avail.push({ labels, value: st.bavail * st.bsize });
      s.files.push({ labels, value: st.files });
      s.filesFree.push({ labels, value: st.ffree });
      s.ro.push({ labels, value: m.options.split(',').includes('ro') ? 1 : 0 });
    });
    const fam = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, type: 'gauge', help, samples });
    return [
      fam('node_filesystem_size_bytes', 'Filesystem size in bytes.', s.size),
      fam('node_filesystem_free_bytes', 'Filesystem free space in bytes.', s.free),
      fam('node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.', s.avail),
      fam('node_filesystem_files', 'Filesystem total file nodes.', s.files),
      fam('node_filesystem_files_free', 'Filesystem total free file nodes.', s.filesFree),
      fam('node_filesystem_readonly', 'Filesystem read-only status.', s.ro),
      fam('node_filesystem_device_error', 'Whether an error occurred while getting statistics for the given device.', s.err),
    ];
  };
}
