/**
 * Tails one path: reads complete lines from the acknowledged offset on, parses them (CRI/Docker/plain, partial
 * lines joined), joins multiline events, and hands out entries that carry the byte offset just past their last
 * line, which is what the positions file records once the server acknowledged them.
 *
 * Rotation: a new inode at the path (rename) → the old file is read to its end first, then the new one from 0;
 * a file shorter than the read offset (copytruncate) → read again from 0.
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { MultilineConfig, LogFormat } from './config.js';
import { LineParser } from './formats.js';
import type { Positions } from './positions.js';

export interface TailEntry {
  path: string;
  inode: number;
  endOffset: number;
  ts: bigint;
  line: string;
  stream?: string;
}

const READ_CHUNK = 256 * 1024;

export class FileTailer {
  private fh: FileHandle | undefined;
  private inode = -1;
  /** Offset of the next unread byte. */
  private offset = 0;
  private parser: LineParser;
  private ml: { ts: bigint; lines: string[]; endOffset: number; stream?: string; at: number } | undefined;

  constructor(
    readonly path: string,
    private readonly format: LogFormat,
    private readonly multiline: MultilineConfig | undefined,
    private readonly positions: Positions,
    private readonly nowMs: () => number,
  ) {
    this.parser = new LineParser(format, () => BigInt(this.nowMs()) * 1_000_000n);
  }

  /** Reads what is new (at most maxBytes) and emits finished entries. Returns bytes read. */
  async poll(emit: (e: TailEntry) => void, maxBytes: number): Promise<number> {
    let st;
    try {
      st = await stat(this.path);
    } catch {
      // Gone (rotated away and not yet recreated): finish the old file if it is still open.
      if (this.fh) {
        const n = await this.readAvailable(emit, maxBytes, Infinity);
        if (n === 0) await this.closeFile(emit);
        return n;
      }
      return 0;
    }
    if (!this.fh) {
      await this.openFile(st.ino);
    } else if (st.ino !== this.inode) {
      const n = await this.readAvailable(emit, maxBytes, Infinity);
      if (n > 0) return n;
      await this.closeFile(emit);
      await this.openFile(st.ino, true);
    } else if (st.size < this.offset) {
      // copytruncate: the file was emptied in place.
      this.offset = 0;
      this.parser = new LineParser(this.format, () => BigInt(this.nowMs()) * 1_000_000n);
    }
    return this.readAvailable(emit, maxBytes, st.size);
  }

  private async openFile(inode: number, fromStart = false): Promise<void> {
    this.fh = await open(this.path, 'r');
    const real = (await this.fh.stat()).ino;
    this.inode = real;
    const pos = this.positions.get(this.path);
    this.offset = !fromStart && pos && pos.inode === real ? pos.offset : 0;
    if (inode !== real) this.offset = 0;
    // A new file (or a new inode at this path): its position starts at 0 so its acknowledgements count.
    if (!pos || pos.inode !== real || fromStart) this.positions.set(this.path, { inode: real, offset: this.offset });
    this.parser = new LineParser(this.format, () => BigInt(this.nowMs()) * 1_000_000n);
  }

  private async closeFile(emit: (e: TailEntry) => void): Promise<void> {
    this.flushMultiline(emit);
    await this.fh?.close();
    this.fh = undefined;
  }

  private async readAvailable(emit: (e: TailEntry) => void, maxBytes: number, size: number): Promise<number> {
    if (!this.fh) return 0;
    let total = 0;
    const buf = Buffer.alloc(READ_CHUNK);
    while (total < maxBytes && this.offset < size) {
      const { bytesRead } = await this.fh.read(buf, 0, READ_CHUNK, this.offset);
      if (bytesRead === 0) break;
      const data = buf.subarray(0, bytesRead);
      const lastNl = data.lastIndexOf(0x0a);
      if (lastNl < 0) {
        // A line longer than one chunk: read further in one go before splitting.
        if (bytesRead < READ_CHUNK) break;
        const big = Buffer.alloc(Math.min(64 * 1024 * 1024, (size === Infinity ? 64 * 1024 * 1024 : size) - this.offset));
        const r = await this.fh.read(big, 0, big.length, this.offset);
        const nl = big.subarray(0, r.bytesRead).indexOf(0x0a);
        if (nl < 0) break;
        this.consume(big.subarray(0, nl + 1), emit);
        total += nl + 1;
        continue;
      }
      this.consume(data.subarray(0, lastNl + 1), emit);
      total += lastNl + 1;
    }
    return total;
  }

  /** `data` ends with a newline; every line in it is complete. */
  private consume(data: Buffer, emit: (e: TailEntry) => void): void {
    let start = 0;
    while (start < data.length) {
      const nl = data.indexOf(0x0a, start);
      let line = data.toString('utf8', start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      const end = this.offset + nl + 1;
      start = nl + 1;
      const parsed = this.parser.push(line);
      if (!parsed) continue;
      const e: TailEntry = { path: this.path, inode: this.inode, endOffset: end, ts: parsed.ts, line: parsed.line };
      if (parsed.stream) e.stream = parsed.stream;
      if (this.multiline) this.addMultiline(e, emit);
      else emit(e);
    }
    this.offset += data.length;
  }

  private addMultiline(e: TailEntry, emit: (e: TailEntry) => void): void {
    const ml = this.multiline as MultilineConfig;
    if (this.ml && !ml.firstline.test(e.line) && this.ml.lines.length < ml.maxLines) {
      this.ml.lines.push(e.line);
      this.ml.endOffset = e.endOffset;
      this.ml.at = this.nowMs();
      return;
    }
    this.flushMultiline(emit);
    this.ml = { ts: e.ts, lines: [e.line], endOffset: e.endOffset, stream: e.stream, at: this.nowMs() };
  }

  /** Emits a pending multiline event (next first line arrived, max_wait passed, or the file ended). */
  flushMultiline(emit: (e: TailEntry) => void, olderThanMs?: number): void {
    if (!this.ml) return;
    if (olderThanMs !== undefined && this.nowMs() - this.ml.at < olderThanMs) return;
    const e: TailEntry = { path: this.path, inode: this.inode, endOffset: this.ml.endOffset, ts: this.ml.ts, line: this.ml.lines.join('\n') };
    if (this.ml.stream) e.stream = this.ml.stream;
    this.ml = undefined;
    emit(e);
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}
