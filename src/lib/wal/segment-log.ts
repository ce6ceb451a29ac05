/**
 * A durable write-ahead log of opaque records kept in numbered segment files (00000000, 00000001, ...).
 *
 * Framing per record: u32 LE payload length, u32 LE CRC-32 (IEEE) over (length bytes + payload), payload.
 * The checksum covers the length so a zero-filled tail (preallocation, torn page) never parses as a record.
 *
 * Durability: append() resolves only after write + fdatasync. Callers that arrive while a sync is in flight
 * are queued and committed together by the next write+sync (group commit), so N concurrent appends cost
 * about two syncs, not N.
 */
import { mkdir, open, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from '../encoding/crc32.js';

export interface SegmentLogOptions {
  segmentSize?: number;
  logger?: { warn(obj: object, msg?: string): void };
}

const DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024;
const HEADER = 8;
const SEGMENT_RE = /^\d{8}$/;

interface Pending {
  buf: Uint8Array;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export function segmentName(n: number): string {
  return String(n).padStart(8, '0');
}

/** Frames records into one buffer: [len][crc][payload]... */
export function frameRecords(records: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const r of records) total += HEADER + r.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let p = 0;
  for (const r of records) {
    dv.setUint32(p, r.length, true);
    out.set(r, p + HEADER);
    const crc = crc32(out, p + HEADER, p + HEADER + r.length, crc32(out, p, p + 4));
    dv.setUint32(p + 4, crc, true);
    p += HEADER + r.length;
  }
  return out;
}

/**
 * Walks the records of one segment's bytes. Returns the offset just past the last valid record, and whether
 * parsing stopped at a corrupt/torn record (rather than at the clean end).
 */
export function scanRecords(
  data: Uint8Array,
  onRecord?: (rec: Uint8Array) => void,
): { validEnd: number; corrupt: boolean } {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let p = 0;
  while (p < data.length) {
    if (data.length - p < HEADER) return { validEnd: p, corrupt: true };
    const len = dv.getUint32(p, true);
    const want = dv.getUint32(p + 4, true);
    if (len > data.length - p - HEADER) return { validEnd: p, corrupt: true };
    const crc = crc32(data, p + HEADER, p + HEADER + len, crc32(data, p, p + 4));
    if (crc !== want) return { validEnd: p, corrupt: true };
    if (onRecord) onRecord(data.subarray(p + HEADER, p + HEADER + len));
    p += HEADER + len;
  }
  return { validEnd: p, corrupt: false };
}

/** A promise-chain mutex: writes, cuts and truncations of the active segment never interleave. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const res = this.tail.then(fn);
    this.tail = res.then(
      () => undefined,
      () => undefined,
    );
    return res;
  }
}

export class SegmentLog {
  private readonly sizes = new Map<number, number>();
  private active = 0;
  private fh: FileHandle | undefined;
  private queue: Pending[] = [];
  private flushing = false;
  private closed = false;
  private readonly lock = new Mutex();
  /** Set when a failed write may have left a torn record; the next write starts a fresh segment. */
  private needCut = false;

  private constructor(
    readonly dir: string,
    private readonly segmentSize: number,
    private readonly logger: SegmentLogOptions['logger'],
  ) {}

  static async open(dir: string, opts: SegmentLogOptions = {}): Promise<SegmentLog> {
    await mkdir(dir, { recursive: true });
    const log = new SegmentLog(dir, opts.segmentSize ?? DEFAULT_SEGMENT_SIZE, opts.logger);
    const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n));
    const nums = names.map(Number).sort((a, b) => a - b);
    for (const n of nums) log.sizes.set(n, (await stat(join(dir, segmentName(n)))).size);
    if (nums.length === 0) {
      log.active = 0;
      log.sizes.set(0, 0);
    } else {
      log.active = nums[nums.length - 1];
      await log.repairTail();
    }
    log.fh = await open(join(dir, segmentName(log.active)), 'a');
    return log;
  }

  /** Truncates the last segment at its first torn or corrupt record (an interrupted write). */
  private async repairTail(): Promise<void> {
    const file = join(this.dir, segmentName(this.active));
    const data = await readFile(file);
    const { validEnd, corrupt } = scanRecords(data);
    if (corrupt) {
      this.logger?.warn(
        { file, offset: validEnd, droppedBytes: data.length - validEnd },
        'WAL: torn or corrupt record at end of last segment; truncating',
      );
      await truncate(file, validEnd);
      this.sizes.set(this.active, validEnd);
    }
  }

  append(records: Uint8Array[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('segment log is closed'));
    // Frame now so callers may reuse their buffers as soon as append() returns.
    const buf = frameRecords(records);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ buf, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        void this.flushLoop();
      }
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.lock.run(() => this.writeBatch(batch.map((p) => p.buf)));
          for (const p of batch) p.resolve();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(bufs: Uint8Array[]): Promise<void> {
    let total = 0;
    for (const b of bufs) total += b.length;
    let size = this.sizes.get(this.active) ?? 0;
    if (this.needCut || (size > 0 && size + total > this.segmentSize)) {
      await this.cutLocked();
      size = 0;
    }
    const fh = this.fh!;
    try {
      let written = 0;
      let pending = bufs;
      while (written < total) {
        const { bytesWritten } = await fh.writev(pending);
        written += bytesWritten;
        if (written < total) pending = [concat(bufs).subarray(written)];
      }
      await fh.datasync();
      this.sizes.set(this.active, size + total);
    } catch (e) {
      // A partial write may have left a torn record; never append after it.
      this.needCut = true;
      this.sizes.set(this.active, size + total);
      throw e;
    }
  }

  private async cutLocked(): Promise<number> {
    if (this.fh) {
      await this.fh.datasync();
      await this.fh.close();
    }
    this.active += 1;
    this.sizes.set(this.active, 0);
    this.fh = await open(join(this.dir, segmentName(this.active)), 'a');
    await syncDir(this.dir);
    this.needCut = false;
    return this.active;
  }

  async replay(onRecord: (rec: Uint8Array, segment: number) => void, fromSegment = 0): Promise<void> {
    for (const seg of this.segments()) {
      if (seg < fromSegment) continue;
      const file = join(this.dir, segmentName(seg));
      let data: Uint8Array;
      try {
        data = await readFile(file);
      } catch (e) {
        this.logger?.warn({ file, err: String(e) }, 'WAL: cannot read segment; skipping it');
        continue;
      }
      const { validEnd, corrupt } = scanRecords(data, (rec) => onRecord(rec, seg));
      if (corrupt) {
        this.logger?.warn(
          { file, offset: validEnd, skippedBytes: data.length - validEnd },
          'WAL: corrupt record; skipping the rest of this segment',
        );
      }
    }
  }

  segments(): number[] {
    return [...this.sizes.keys()].sort((a, b) => a - b);
  }

  /** The segment new records currently go to. */
  activeSegment(): number {
    return this.active;
  }

  cut(): Promise<number> {
    if (this.closed) return Promise.reject(new Error('segment log is closed'));
    return this.lock.run(() => this.cutLocked());
  }

  truncateBefore(segment: number): Promise<void> {
    return this.lock.run(async () => {
      for (const seg of this.segments()) {
        // The active segment is never deleted; it may still receive records.
        if (seg >= segment || seg === this.active) continue;
        await rm(join(this.dir, segmentName(seg)), { force: true });
        this.sizes.delete(seg);
      }
    });
  }

  sizeBytes(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued appends finish before closing the file.
    while (this.flushing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    await this.lock.run(async () => {
      await this.fh?.close();
      this.fh = undefined;
    });
  }
}

function concat(bufs: Uint8Array[]): Uint8Array {
  if (bufs.length === 1) return bufs[0];
  let n = 0;
  for (const b of bufs) n += b.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const b of bufs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on directories; the data files themselves are synced.
  } finally {
    await fh?.close();
  }
}
