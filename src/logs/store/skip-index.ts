/**
 * The skip index for `|=` searches: for each byte 3-gram that occurs in a Parquet file, the exact set of its
 * row groups that hold it. A needle of 3 or more bytes can only be in a row group that holds all of its
 * 3-grams, so every other row group is never read. Case-sensitive and byte-based, like `contains` in the
 * engine and `|=` in LogQL. Exact per 3-gram (no false positives for an absent 3-gram); a row group that holds
 * all 3-grams on different lines is still read and yields nothing.
 *
 * Why not one Bloom filter per row group (the first format, bloom-index.ts, still read): log text repeats
 * itself, so most 3-grams of a file are in nearly every row group and a per-row-group filter stores them again
 * for each. Here each 3-gram is stored once, with the short list of row groups that have it, or, when it is in
 * most of them, of the row groups that lack it. On the benchmark corpus that is ~15× smaller than the Bloom
 * filters at 4,096-row groups, which is what lets row groups be that small (docs/benchmarks.md).
 *
 * Binary format (its own `<seq>.idx` file; the sidecar says it exists): "SXG1", then deflate-raw of varints:
 *   R, R × rows-per-row-group, D, D × (3-gram delta from the previous, count << 1 | absentMode, count × id delta)
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export interface RowGroupSpan {
  /** First row (file_row_number) of the row group and its row count. */
  readonly start: number;
  readonly rows: number;
}

export interface SkipIndex {
  readonly rowGroups: readonly RowGroupSpan[];
  /** One flag per row group: 1 if it may hold a line containing `needle` (all 1 for needles under 3 bytes). */
  candidates(needle: string): Uint8Array;
}

const MAGIC = Buffer.from('SXG1');

/** Calls `fn` with each byte 3-gram (24-bit number) of the UTF-8 text. */
export function forEachGram(text: string, fn: (gram: number) => void): void {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 127) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (let i = 0; i + 2 < text.length; i++) fn((text.charCodeAt(i) << 16) | (text.charCodeAt(i + 1) << 8) | text.charCodeAt(i + 2));
    return;
  }
  const b = Buffer.from(text);
  for (let i = 0; i + 2 < b.length; i++) fn((b[i] << 16) | (b[i + 1] << 8) | b[i + 2]);
}

function spans(rowGroupRows: readonly number[]): RowGroupSpan[] {
  const out: RowGroupSpan[] = [];
  let s = 0;
  for (const n of rowGroupRows) {
    out.push({ start: s, rows: n });
    s += n;
  }
  return out;
}

/**
 * The decoded index: grams sorted ascending; for gram i, ids[offsets[i] .. offsets[i+1]) are the row groups that
 * hold it, or (absent[i] = 1) the row groups that lack it.
 */
export class GramIndex implements SkipIndex {
  constructor(
    readonly rowGroups: readonly RowGroupSpan[],
    private readonly grams: Uint32Array,
    private readonly offsets: Uint32Array,
    private readonly ids: Uint32Array,
    private readonly absent: Uint8Array,
  ) {}

  get distinctGrams(): number {
    return this.grams.length;
  }

  candidates(needle: string): Uint8Array {
    const r = this.rowGroups.length;
    const out = new Uint8Array(r).fill(1);
    if (Buffer.byteLength(needle) < 3) return out;
    const keep = new Uint8Array(r);
    forEachGram(needle, (g) => {
      const i = this.find(g);
      if (i < 0) {
        out.fill(0);
        return;
      }
      const a = this.offsets[i];
      const b = this.offsets[i + 1];
      if (this.absent[i]) {
        for (let k = a; k < b; k++) out[this.ids[k]] = 0;
      } else {
        keep.fill(0);
        for (let k = a; k < b; k++) keep[this.ids[k]] = 1;
        for (let k = 0; k < r; k++) out[k] &= keep[k];
      }
    });
    return out;
  }

  private find(g: number): number {
    let lo = 0;
    let hi = this.grams.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.grams[mid];
      if (v === g) return mid;
      if (v < g) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  encode(): Buffer {
    const w = new VarintWriter();
    w.put(this.rowGroups.length);
    for (const g of this.rowGroups) w.put(g.rows);
    w.put(this.grams.length);
    let prev = 0;
    for (let i = 0; i < this.grams.length; i++) {
      w.put(this.grams[i] - prev);
      prev = this.grams[i];
      const a = this.offsets[i];
      const b = this.offsets[i + 1];
      w.put(((b - a) << 1) | this.absent[i]);
      let last = 0;
      for (let k = a; k < b; k++) {
        w.put(this.ids[k] - last);
        last = this.ids[k];
      }
    }
    return Buffer.concat([MAGIC, deflateRawSync(w.finish())]);
  }
}

/** Decodes `GramIndex.encode()` output; throws on anything malformed (the caller then reads the file whole). */
export function decodeGramIndex(buf: Uint8Array): GramIndex {
  if (buf.length < 4 || !MAGIC.equals(buf.subarray(0, 4))) throw new Error('not a gram index');
  const body = inflateRawSync(buf.subarray(4));
  const r = new VarintReader(body);
  const nGroups = r.get();
  const rows: number[] = [];
  for (let i = 0; i < nGroups; i++) rows.push(r.get());
  const d = r.get();
  const grams = new Uint32Array(d);
  const offsets = new Uint32Array(d + 1);
  const absent = new Uint8Array(d);
  const ids: number[] = [];
  let g = 0;
  for (let i = 0; i < d; i++) {
    g += r.get();
    if (g >= 1 << 24 || (i > 0 && g <= grams[i - 1])) throw new Error('gram index: grams out of order');
    grams[i] = g;
    const x = r.get();
    absent[i] = x & 1;
    const count = Math.floor(x / 2);
    let id = 0;
    for (let k = 0; k < count; k++) {
      id += r.get();
      if (id >= nGroups) throw new Error('gram index: row group out of range');
      ids.push(id);
    }
    offsets[i + 1] = ids.length;
  }
  if (!r.done()) throw new Error('gram index: trailing bytes');
  return new GramIndex(spans(rows), grams, offsets, Uint32Array.from(ids), absent);
}

/**
 * Builds the index of one file from its lines, fed in any order with their row numbers. Each row group's
 * distinct 3-grams are gathered in a reusable 2 MiB bitmap while it is open, then kept as a sorted list.
 */
export class SkipIndexBuilder {
  private readonly open = new Map<number, { seen: Uint8Array; grams: number[]; rows: number }>();
  private readonly lists: (Uint32Array | undefined)[];
  private readonly starts: number[];
  private readonly pool: Uint8Array[] = [];

  constructor(private readonly rowGroupRows: readonly number[]) {
    this.starts = spans(rowGroupRows).map((s) => s.start);
    this.lists = new Array<Uint32Array | undefined>(rowGroupRows.length);
  }

  add(row: number, line: string): void {
    const rg = rowGroupContaining(this.starts, row);
    let g = this.open.get(rg);
    if (!g) this.open.set(rg, (g = { seen: this.pool.pop() ?? new Uint8Array((1 << 24) / 8), grams: [], rows: 0 }));
    const { seen, grams } = g;
    forEachGram(line, (x) => {
      const bit = 1 << (x & 7);
      if ((seen[x >>> 3] & bit) === 0) {
        seen[x >>> 3] |= bit;
        grams.push(x);
      }
    });
    if (++g.rows === this.rowGroupRows[rg]) this.finish(rg);
  }

  private finish(rg: number): void {
    const g = this.open.get(rg);
    if (!g) return;
    this.open.delete(rg);
    for (const x of g.grams) g.seen[x >>> 3] = 0;
    this.pool.push(g.seen);
    this.lists[rg] = Uint32Array.from(g.grams).sort();
  }

  /**
   * Inverts the per-row-group lists. Asynchronous because text with many distinct 3-grams (random tokens) makes
   * this seconds of work per file: it yields to the event loop after each row group and every 16,384 3-grams.
   */
  async build(): Promise<GramIndex> {
    for (const rg of [...this.open.keys()]) this.finish(rg);
    const r = this.rowGroupRows.length;
    const byGram = new Map<number, number[]>();
    for (let rg = 0; rg < r; rg++) {
      for (const x of this.lists[rg] ?? []) {
        const l = byGram.get(x);
        if (l) l.push(rg);
        else byGram.set(x, [rg]);
      }
      this.lists[rg] = undefined;
      await yieldToEventLoop();
    }
    const grams = Uint32Array.from(byGram.keys()).sort();
    const offsets = new Uint32Array(grams.length + 1);
    const absent = new Uint8Array(grams.length);
    const ids: number[] = [];
    const has = new Uint8Array(r);
    for (let i = 0; i < grams.length; i++) {
      const present = byGram.get(grams[i]) as number[];
      if (present.length * 2 <= r) for (const rg of present) ids.push(rg);
      else {
        // In most row groups: list the ones that lack it.
        absent[i] = 1;
        has.fill(0);
        for (const rg of present) has[rg] = 1;
        for (let rg = 0; rg < r; rg++) if (!has[rg]) ids.push(rg);
      }
      offsets[i + 1] = ids.length;
      if ((i & 16383) === 16383) await yieldToEventLoop();
    }
    return new GramIndex(spans(this.rowGroupRows), grams, offsets, Uint32Array.from(ids), absent);
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The row groups a search must read: those where every `|=` filter has an alternative that may be present.
 * `!=` and regex filters cannot narrow anything.
 */
export function candidateRowGroups(index: SkipIndex, filters: readonly { op: string; values: readonly string[] }[]): RowGroupSpan[] {
  const n = index.rowGroups.length;
  const all = new Uint8Array(n).fill(1);
  for (const f of filters) {
    if (f.op !== '|=' || f.values.length === 0) continue;
    const any = new Uint8Array(n);
    for (const v of f.values) {
      const c = index.candidates(v);
      for (let i = 0; i < n; i++) any[i] |= c[i];
    }
    for (let i = 0; i < n; i++) all[i] &= any[i];
  }
  return index.rowGroups.filter((_, i) => all[i] === 1);
}

/** [firstRow, lastRow] inclusive ranges of adjacent row groups, so the engine gets few ranges. */
export function rowRanges(groups: readonly RowGroupSpan[]): [number, number][] {
  const out: [number, number][] = [];
  for (const g of groups) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === g.start) last[1] = g.start + g.rows - 1;
    else out.push([g.start, g.start + g.rows - 1]);
  }
  return out;
}

class VarintWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private len = 0;

  put(v: number): void {
    if (this.len + 10 > this.buf.length) {
      const b = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(b, 0, 0, this.len);
      this.buf = b;
    }
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

class VarintReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.buf.length) throw new Error('gram index: truncated');
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    throw new Error('gram index: varint too long');
  }

  done(): boolean {
    return this.pos === this.buf.length;
  }
}

/** Index of the row group whose first row is the last one at or before `row` (`starts` ascending). */
export function rowGroupContaining(starts: readonly number[], row: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid] <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
