/**
 * Returns the garbage of a burst of work to the OS once the process goes quiet.
 *
 * After an ingest burst or a large query the V8 heap holds the burst's garbage (decoded requests that lived
 * across a WAL sync and were promoted, query results) until the next full GC — and an idle process triggers
 * none: V8's own memory reducer waits 8 s and then backs off while anything is still running. So when the
 * heap (with its external memory) has grown well beyond what the last full GC left and the process has been
 * nearly idle for a tick, this runs one full GC. At most one per burst; in steady operation (a scrape or remote_write round every
 * 15 s) that is a GC of the live heap per round at most, a fraction of a percent of a core.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleGcOptions {
  /** How often to look, ms. Default 500: memory comes back within about a second of the burst's end. */
  intervalMs?: number;
  /**
   * Growth since the last full GC that makes one worth running, bytes, of the V8 heap plus its external memory
   * (Buffers and typed arrays: request bodies die there, and only a GC frees them). Default 32 MiB.
   */
  minGrowthBytes?: number;
  /** CPU time (user + system) in one interval below which the process counts as idle, as a share of it. Default 0.1. */
  idleCpuShare?: number;
  // Injectable for tests.
  usedBytes?: () => number;
  cpuMicros?: () => number;
  gc?: () => void;
}

export interface IdleGc {
  /** Runs one check now (the timer calls this); returns true when it collected. */
  tick(): boolean;
  readonly collections: number;
  stop(): void;
}

/** V8's gc() without starting Node with --expose-gc. */
function exposedGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export function startIdleGc(opts: IdleGcOptions = {}): IdleGc {
  const intervalMs = opts.intervalMs ?? 500;
  const minGrowth = opts.minGrowthBytes ?? 32 * 1024 * 1024;
  const idleCpuMicros = (opts.idleCpuShare ?? 0.1) * intervalMs * 1000;
  const usedBytes =
    opts.usedBytes ??
    (() => {
      const h = v8.getHeapStatistics();
      return h.used_heap_size + h.external_memory;
    });
  const cpuMicros =
    opts.cpuMicros ??
    (() => {
      const u = process.cpuUsage();
      return u.user + u.system;
    });
  const gc = opts.gc ?? exposedGc();
  let floor = usedBytes();
  let lastCpu = cpuMicros();
  let collections = 0;
  const tick = (): boolean => {
    const cpu = cpuMicros();
    const busy = cpu - lastCpu > idleCpuMicros;
    lastCpu = cpu;
    const used = usedBytes();
    // A GC that ran on its own since may have lowered the heap below the floor: follow it down.
    if (used < floor) floor = used;
    if (busy || used - floor < minGrowth) return false;
    gc();
    collections++;
    floor = usedBytes();
    lastCpu = cpuMicros();
    return true;
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    tick,
    get collections() {
      return collections;
    },
    stop: () => clearInterval(timer),
  };
}
