/**
 * The head: entries that are durable in the WAL but not yet in a columnar file. Queries read it directly;
 * a flush turns one head into one Parquet file.
 */
export interface HeadEntry {
  readonly sid: number;
  readonly ts: bigint;
  readonly line: string;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
}

/** Per-stream extent inside one head or file: what series/labels/stats answer from without reading lines. */
export interface StreamExtent {
  min: bigint;
  max: bigint;
  count: number;
  bytes: number;
}

export class Head {
  readonly entries: HeadEntry[] = [];
  readonly streams = new Map<number, StreamExtent>();
  bytes = 0;
  minTs = 0n;
  maxTs = 0n;

  constructor(readonly createdAt: number) {}

  push(e: HeadEntry): void {
    const size = e.line.length + 16;
    if (this.entries.length === 0) {
      this.minTs = e.ts;
      this.maxTs = e.ts;
    } else {
      if (e.ts < this.minTs) this.minTs = e.ts;
      if (e.ts > this.maxTs) this.maxTs = e.ts;
    }
    this.entries.push(e);
    this.bytes += size;
    const ext = this.streams.get(e.sid);
    if (ext) {
      if (e.ts < ext.min) ext.min = e.ts;
      if (e.ts > ext.max) ext.max = e.ts;
      ext.count++;
      ext.bytes += e.line.length;
    } else {
      this.streams.set(e.sid, { min: e.ts, max: e.ts, count: 1, bytes: e.line.length });
    }
  }
}
