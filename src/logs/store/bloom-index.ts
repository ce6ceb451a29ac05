/**
 * The first skip index format (files written before the gram index of skip-index.ts; still read): per Parquet
 * row group, the set of byte 3-grams of its lines kept as a Bloom filter, base64 in the JSON sidecar. A needle of 3 or more bytes can only be in a row group that holds all of its 3-grams,
 * so a row group whose filter lacks one is never read. Case-sensitive and byte-based, like `contains` in the
 * engine and `|=` in LogQL. A Bloom filter has false positives (a row group is read and yields nothing), never
 * false negatives.
 */
import { forEachGram, rowGroupContaining, type SkipIndex } from './skip-index.js';

/** Bits per distinct 3-gram and probes: about 0.8 % false positives for one 3-gram, far less for longer needles. */
const BITS_PER_KEY = 10;
const PROBES = 7;
const GRAMS = 1 << 24;

export interface RowGroupFilter {
  /** First row (file_row_number) of the row group and its row count. */
  readonly start: number;
  readonly rows: number;
  /** Bloom filter bits; empty means "no lines" (nothing can match). */
  readonly bits: Uint8Array;
}

export interface BloomIndex {
  readonly rowGroups: readonly RowGroupFilter[];
}

function mix1(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function mix2(x: number): number {
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
  return ((x ^ (x >>> 15)) | 1) >>> 0;
}

/** The filter's bit positions for a 3-gram (double hashing); `visit` returns false to stop early. */
function everyProbe(bits: Uint8Array, gram: number, visit: (bit: number) => boolean): boolean {
  const m = bits.length * 8;
  const h1 = mix1(gram);
  const h2 = mix2(gram);
  for (let i = 0; i < PROBES; i++) if (!visit(((h1 + Math.imul(i, h2)) >>> 0) % m)) return false;
  return true;
}

function bloomHas(bits: Uint8Array, gram: number): boolean {
  return everyProbe(bits, gram, (b) => (bits[b >>> 3] & (1 << (b & 7))) !== 0);
}

function bloomAdd(bits: Uint8Array, gram: number): void {
  everyProbe(bits, gram, (b) => ((bits[b >>> 3] |= 1 << (b & 7)), true));
}

/**
 * Builds the filters of one file from its lines, fed in any order with their row numbers (kept so tests can
 * write files in the old format). The exact set of
 * 3-grams of a row group is gathered in a 2 MiB bitmap first, so the Bloom filter is sized by the real
 * number of distinct 3-grams.
 */
export class BloomIndexBuilder {
  private readonly open = new Map<number, { seen: Uint8Array; rows: number }>();
  private readonly done = new Map<number, RowGroupFilter>();
  private readonly starts: number[];

  constructor(private readonly rowGroupRows: readonly number[]) {
    this.starts = [];
    let s = 0;
    for (const n of rowGroupRows) {
      this.starts.push(s);
      s += n;
    }
  }

  add(row: number, line: string): void {
    const rg = rowGroupContaining(this.starts, row);
    let g = this.open.get(rg);
    if (!g) this.open.set(rg, (g = { seen: new Uint8Array(GRAMS / 8), rows: 0 }));
    const seen = g.seen;
    forEachGram(line, (x) => {
      seen[x >>> 3] |= 1 << (x & 7);
    });
    if (++g.rows === this.rowGroupRows[rg]) this.finish(rg);
  }

  private finish(rg: number): void {
    const g = this.open.get(rg);
    this.open.delete(rg);
    let distinct = 0;
    if (g) for (let i = 0; i < g.seen.length; i++) if (g.seen[i]) distinct += popcount8(g.seen[i]);
    const bits = new Uint8Array(distinct === 0 ? 0 : Math.max(8, Math.ceil((distinct * BITS_PER_KEY) / 8)));
    if (g && distinct > 0) {
      const seen = g.seen;
      for (let i = 0; i < seen.length; i++) {
        const v = seen[i];
        if (!v) continue;
        for (let j = 0; j < 8; j++) if (v & (1 << j)) bloomAdd(bits, (i << 3) | j);
      }
    }
    this.done.set(rg, { start: this.starts[rg], rows: this.rowGroupRows[rg], bits });
  }

  build(): BloomIndex {
    for (const rg of [...this.open.keys()]) this.finish(rg);
    const rowGroups: RowGroupFilter[] = [];
    for (let i = 0; i < this.rowGroupRows.length; i++) {
      rowGroups.push(this.done.get(i) ?? { start: this.starts[i], rows: this.rowGroupRows[i], bits: new Uint8Array(0) });
    }
    return { rowGroups };
  }
}

function popcount8(v: number): number {
  v = v - ((v >>> 1) & 0x55);
  v = (v & 0x33) + ((v >>> 2) & 0x33);
  return (v + (v >>> 4)) & 0x0f;
}

/** Whether the row group may hold a line containing `needle` (true for needles shorter than 3 bytes). */
export function mayContain(f: RowGroupFilter, needle: string): boolean {
  if (Buffer.byteLength(needle) < 3) return true;
  if (f.bits.length === 0) return false;
  let all = true;
  forEachGram(needle, (g) => {
    if (all && !bloomHas(f.bits, g)) all = false;
  });
  return all;
}

export function encodeBloomIndex(index: BloomIndex): { start: number; rows: number; bits: string }[] {
  return index.rowGroups.map((g) => ({ start: g.start, rows: g.rows, bits: Buffer.from(g.bits).toString('base64') }));
}

export function decodeBloomIndex(x: { start: number; rows: number; bits: string }[]): SkipIndex {
  const rowGroups = x.map((g) => ({ start: g.start, rows: g.rows, bits: new Uint8Array(Buffer.from(g.bits, 'base64')) }));
  return {
    rowGroups,
    candidates(needle: string): Uint8Array {
      const out = new Uint8Array(rowGroups.length);
      for (let i = 0; i < rowGroups.length; i++) out[i] = mayContain(rowGroups[i], needle) ? 1 : 0;
      return out;
    },
  };
}
