/**
 * Persisted, immutable blocks. One directory per block (named by ULID):
 *   meta.json       time range [minTime, maxTime), stats, compaction level and sources, format version
 *   chunks/000001   header (magic, version) then chunks
 *   index           header, symbol table, series (labels as symbol refs + chunk metas), postings per label pair,
 *                   a postings offset table, and a TOC whose CRC covers the whole file.
 * A series' id is the byte offset of its entry in the index; entries are written in label order, so sorted
 * ids are sorted series. The index is read into memory on open (it is small next to the chunks); chunk bytes
 * are read on demand with positioned reads, coalesced when close together.
 *
 * Format 2 (written now) differs from format 1 (still read) where format 1 spent bytes for nothing:
 *   chunks    [u8 encoding][bytes][u32 crc32(encoding+bytes)], no length prefix (the index has it); chunks of
 *             one series are contiguous in one file; encoding 2 (block-chunk.ts) instead of the head's XOR.
 *   series    chunk metas: the first chunk has (minT, maxT−minT, file, offset, length), the next ones only
 *             (minT−previous maxT, maxT−minT, length): their offset follows from the previous chunk's.
 *   postings  uvarint count, first id, then uvarint deltas (format 1: u32 count and u32 ids).
 *   table     grouped by label name: name once, then (value as symbol ref, postings offset delta) pairs; the
 *             all-series list is in the TOC instead (format 1: name and value strings per pair).
 *   TOC       symbols, series, postings, table, all-series postings offsets (u32 LE each), u32 CRC.
 * Format 1 chunks were [u32 len][u8 encoding][bytes][u32 crc]; its TOC had no all-series offset.
 */
import { mkdir, open, readFile, rename, rm, readdir, stat, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label, Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import { ByteReader, ByteWriter, decodeUtf8 } from '../../lib/encoding/bytes.js';
import { crc32 } from '../../lib/encoding/crc32.js';
import { syncDir } from '../../lib/wal/segment-log.js';
import {
  ENC_BLOCK,
  ENC_XOR,
  blockChunkCount,
  countSamples,
  decodeAnyChunk,
  encodeBlockChunks,
  firstPerTimestamp,
} from './block-chunk.js';
import { EMPTY, type PostingsArray } from './postings.js';
import { postingsForMatchers, type PostingsIndex } from './index-match.js';
import type { SeriesSamples } from './head.js';
import type { QuerySource } from './querier.js';
import { ulid } from './ulid.js';
import type { WarnLogger } from './wal-replay.js';

export interface BlockMeta {
  ulid: string;
  minTime: number;
  /** Exclusive. */
  maxTime: number;
  stats: { numSamples: number; numSeries: number; numChunks: number };
  compaction: { level: number; sources: string[] };
  /** On-disk format of the index and chunk files (see the file comment); 1 and 2 are read. */
  version: 1 | 2;
}

export interface ChunkData {
  bytes: Uint8Array;
  minT: number;
  maxT: number;
  /** ENC_XOR (head chunks; the default) or ENC_BLOCK (block-chunk.ts). */
  enc?: number;
}

export interface BlockSeriesInput {
  labels: Labels;
  chunks: ChunkData[];
}

const CHUNKS_MAGIC = 0x85bd40dd;
const INDEX_MAGIC = 0xbaaad700;
const FORMAT_V1 = 1;
const FORMAT_VERSION = 2;
const CHUNK_FILE_MAX = 512 * 1024 * 1024;
const TOC_SIZE_V1 = 20;
const TOC_SIZE = 24;
/** Framing around a format-2 chunk's bytes: encoding byte and CRC. */
const FRAME_V2 = 5;

function chunkFileName(seq: number): string {
  return String(seq).padStart(6, '0');
}

/** Sequentially written format-2 chunk files with buffered I/O. */
class ChunkFilesWriter {
  private seq = 0;
  private fh: FileHandle | undefined;
  private filePos = 0;
  private readonly buf = new ByteWriter(1 << 20);

  constructor(private readonly dir: string) {}

  private async nextFile(): Promise<void> {
    await this.flush();
    if (this.fh) {
      await this.fh.sync();
      await this.fh.close();
    }
    this.seq++;
    this.fh = await open(join(this.dir, chunkFileName(this.seq)), 'w');
    this.buf.u32be(CHUNKS_MAGIC);
    this.buf.u8(FORMAT_VERSION);
    this.buf.u8(0);
    this.buf.u8(0);
    this.buf.u8(0);
    this.filePos = 8;
  }

  /** Writes one series' chunks back to back in one file. Returns [file, offset of the first chunk]. */
  async addSeries(chunks: readonly ChunkData[]): Promise<[number, number]> {
    let total = 0;
    for (const c of chunks) total += FRAME_V2 + c.bytes.length;
    if (!this.fh || (this.filePos + total > CHUNK_FILE_MAX && this.filePos > 8)) await this.nextFile();
    const start = this.filePos;
    const w = this.buf;
    for (const c of chunks) {
      w.ensure(FRAME_V2 + c.bytes.length);
      const encPos = w.pos;
      w.u8(c.enc ?? ENC_XOR);
      w.bytes(c.bytes);
      w.u32(crc32(w.buf, encPos, w.pos));
    }
    this.filePos += total;
    if (w.pos >= 4 << 20) await this.flush();
    return [this.seq, start];
  }

  private async flush(): Promise<void> {
    if (this.fh && this.buf.pos > 0) {
      await this.fh.write(this.buf.buf, 0, this.buf.pos);
    }
    this.buf.reset();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.fh) {
      await this.fh.sync();
      await this.fh.close();
    }
  }
}

/** Reused decode buffers for re-encoding (grown to the longest series seen). */
let scratchTs = new Float64Array(1024);
let scratchVs = new Float64Array(1024);

/**
 * A series' chunks as block chunks. Chunks that already are block chunks, in order and disjoint, are kept
 * (compaction of format-2 blocks copies them); otherwise all samples are decoded, put in order (the first of
 * equal timestamps wins) and re-encoded.
 */
function toBlockChunks(chunks: readonly ChunkData[]): ChunkData[] {
  let keep = true;
  for (let i = 0; i < chunks.length && keep; i++) {
    if (chunks[i].enc !== ENC_BLOCK || (i > 0 && chunks[i].minT <= chunks[i - 1].maxT)) keep = false;
  }
  if (keep) return chunks as ChunkData[];
  let total = 0;
  for (const c of chunks) total += countSamples(c.bytes, c.enc);
  if (total > scratchTs.length) {
    scratchTs = new Float64Array(total * 2);
    scratchVs = new Float64Array(total * 2);
  }
  const ts = scratchTs;
  const vs = scratchVs;
  let n = 0;
  for (const c of chunks) {
    try {
      n += decodeAnyChunk(c.bytes, c.enc, c.minT, ts, vs, n);
    } catch {
      // Unreachable for chunks that passed their CRC; one bad chunk must not stop every later compaction.
    }
  }
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (!(ts[i] > ts[i - 1])) sorted = false;
  if (!sorted) n = sortSamples(ts, vs, n);
  return n === 0 ? [] : encodeBlockChunks(ts, vs, 0, n);
}

/** Stable sort by timestamp keeping the first sample of each timestamp (exact value bits kept). */
function sortSamples(ts: Float64Array, vs: Float64Array, n: number): number {
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => ts[a] - ts[b] || a - b);
  const kept = firstPerTimestamp(order, ts, new Uint32Array(vs.buffer, vs.byteOffset, 2 * vs.length));
  ts.set(kept.ts.subarray(0, kept.n));
  vs.set(kept.vs.subarray(0, kept.n));
  return kept.n;
}

/**
 * Writes a block from series sorted by labels. Yields to the event loop between batches of series.
 * Returns the new block's directory name, or undefined when there was nothing to write.
 */
export async function writeBlock(
  parentDir: string,
  input: Iterable<BlockSeriesInput> | AsyncIterable<BlockSeriesInput>,
  opts: { minTime: number; maxTime: number; level: number; sources: string[]; now?: number },
): Promise<BlockMeta | undefined> {
  const id = ulid(opts.now);
  const tmp = join(parentDir, id + '.tmp');
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'chunks'), { recursive: true });
  const cw = new ChunkFilesWriter(join(tmp, 'chunks'));
  const seriesLabels: Labels[] = [];
  const seriesMetas: number[][] = [];
  const symbols = new Set<string>();
  let numSamples = 0;
  let numChunks = 0;
  let k = 0;
  // Samples since the last yield: re-encoding head chunks costs ~0.1 µs per sample, so yield by samples too.
  let work = 0;
  try {
    for await (const s of input) {
      const chunks = toBlockChunks(s.chunks);
      if (chunks.length === 0) continue;
      const [file, off] = await cw.addSeries(chunks);
      // Per chunk: minT, maxT, length (file and first offset in the series' first two slots).
      const metas: number[] = [file, off];
      for (const c of chunks) {
        metas.push(c.minT, c.maxT, FRAME_V2 + c.bytes.length);
        const n = blockChunkCount(c.bytes);
        numSamples += n;
        work += n;
        numChunks++;
      }
      for (const l of s.labels) {
        symbols.add(l.name);
        symbols.add(l.value);
      }
      seriesLabels.push(s.labels);
      seriesMetas.push(metas);
      if (++k % 2000 === 0 || work >= 100_000) {
        work = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
    await cw.close();
    if (seriesLabels.length === 0) {
      await rm(tmp, { recursive: true, force: true });
      return undefined;
    }
    const index = await buildIndex(seriesLabels, seriesMetas, symbols);
    const fh = await open(join(tmp, 'index'), 'w');
    await fh.write(index);
    await fh.sync();
    await fh.close();
    const meta: BlockMeta = {
      ulid: id,
      minTime: opts.minTime,
      maxTime: opts.maxTime,
      stats: { numSamples, numSeries: seriesLabels.length, numChunks },
      compaction: { level: opts.level, sources: opts.sources.length > 0 ? opts.sources : [id] },
      version: FORMAT_VERSION,
    };
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
    await syncDir(tmp);
    await rename(tmp, join(parentDir, id));
    await syncDir(parentDir);
    return meta;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function buildIndex(seriesLabels: Labels[], seriesMetas: number[][], symbolSet: Set<string>): Promise<Uint8Array> {
  const symbols = [...symbolSet].sort();
  const symIdx = new Map<string, number>();
  symbols.forEach((s, i) => symIdx.set(s, i));
  const w = new ByteWriter(1 << 20);
  w.u32be(INDEX_MAGIC);
  w.u8(FORMAT_VERSION);
  w.u8(0);
  w.u8(0);
  w.u8(0);
  const symbolsOff = w.pos;
  w.uvarint(symbols.length);
  for (const s of symbols) w.str(s);

  const seriesOff = w.pos;
  const postings = new Map<string, Map<string, number[]>>();
  const all: number[] = [];
  const body = new ByteWriter(256);
  for (let i = 0; i < seriesLabels.length; i++) {
    const id = w.pos;
    if (id > 0x7fffffff) throw new RangeError('index too large');
    all.push(id);
    body.reset();
    const ls = seriesLabels[i];
    body.uvarint(ls.length);
    for (const l of ls) {
      body.uvarint(symIdx.get(l.name)!);
      body.uvarint(symIdx.get(l.value)!);
      let vals = postings.get(l.name);
      if (!vals) postings.set(l.name, (vals = new Map()));
      let p = vals.get(l.value);
      if (!p) vals.set(l.value, (p = []));
      p.push(id);
    }
    const m = seriesMetas[i];
    const nc = (m.length - 2) / 3;
    body.uvarint(nc);
    for (let j = 0; j < nc; j++) {
      const minT = m[2 + 3 * j];
      const maxT = m[3 + 3 * j];
      if (j === 0) body.varint(minT);
      else body.uvarint(minT - m[3 * j]); // > 0: chunks are in order and disjoint
      body.uvarint(maxT - minT);
      if (j === 0) {
        body.uvarint(m[0]);
        body.uvarint(m[1]);
      }
      body.uvarint(m[4 + 3 * j]);
    }
    w.uvarint(body.pos);
    w.bytes(body.buf.subarray(0, body.pos));
    if (i % 5000 === 4999) await new Promise((r) => setImmediate(r));
  }

  const postingsOff = w.pos;
  const writeList = (ids: number[]): void => {
    w.uvarint(ids.length);
    let prev = 0;
    for (const id of ids) {
      w.uvarint(id - prev);
      prev = id;
    }
  };
  const allOff = w.pos;
  writeList(all);
  const names = [...postings.keys()].sort();
  const tableEntries: [string, [number, number][]][] = [];
  for (const name of names) {
    const vals = postings.get(name)!;
    const entries: [number, number][] = [];
    for (const value of [...vals.keys()].sort()) {
      entries.push([symIdx.get(value)!, w.pos]);
      writeList(vals.get(value)!);
    }
    tableEntries.push([name, entries]);
  }
  const tableOff = w.pos;
  w.uvarint(tableEntries.length);
  let prevOff = postingsOff;
  for (const [name, entries] of tableEntries) {
    w.str(name);
    w.uvarint(entries.length);
    for (const [ref, off] of entries) {
      w.uvarint(ref);
      w.uvarint(off - prevOff);
      prevOff = off;
    }
  }
  const tocStart = w.pos;
  w.u32(symbolsOff);
  w.u32(seriesOff);
  w.u32(postingsOff);
  w.u32(tableOff);
  w.u32(allOff);
  w.u32(crc32(w.buf, 0, tocStart + 20));
  return w.buf.subarray(0, w.pos);
}

export class CorruptBlockError extends Error {}

/** A chunk's bytes (without framing) and encoding, as read from a chunk file. */
interface RawChunk {
  bytes: Uint8Array;
  enc: number;
}

interface ChunkReq {
  file: number;
  off: number;
  len: number;
  /** Index into the result array. */
  slot: number;
}

/** Reads and queries one block. */
export class BlockReader implements PostingsIndex, QuerySource {
  /**
   * Only offsets are kept per symbol and per postings-table entry (4 bytes each); strings are decoded from the
   * index buffer on demand, so a block with a million distinct label values does not hold a million strings.
   */
  private symOffsets = new Uint32Array(0);
  /** Format 1: offset of each postings-table entry. Format 2: offset of each entry's postings list. */
  private pairOffsets = new Uint32Array(0);
  /** Format 2: each entry's value as a symbol ref. */
  private pairValues = new Uint32Array(0);
  /** Format 2: offset of the all-series postings list (format 1 keeps it in the table under ""=""). */
  private allOff: number | undefined;
  /** Index format (1 or 2). */
  private format = FORMAT_VERSION;
  /** Label name → [first, end) entry range in pairOffsets (entries are sorted by name, then value). */
  private nameRanges = new Map<string, [number, number]>();
  /** A small direct-mapped cache of decoded symbols (names and common values repeat in every series). */
  private readonly symCacheIdx = new Int32Array(4096).fill(-1);
  private readonly symCacheStr: string[] = new Array<string>(4096).fill('');
  private index!: Buffer;
  private readonly fds = new Map<number, FileHandle>();
  private readonly fileSizes = new Map<number, number>();
  /** Chunk file → its format (the version byte of its header). */
  private readonly fileFormats = new Map<number, number>();
  private readonly warned = new Set<string>();
  private pending = 0;
  private closing = false;
  sizeBytes = 0;

  private constructor(
    readonly dir: string,
    readonly meta: BlockMeta,
    private readonly logger: WarnLogger | undefined,
  ) {}

  /** Opens a block; throws CorruptBlockError (with the offending file in the message) if it is unusable. */
  static async open(dir: string, logger?: WarnLogger): Promise<BlockReader> {
    let meta: BlockMeta;
    const metaFile = join(dir, 'meta.json');
    try {
      meta = JSON.parse(await readFile(metaFile, 'utf8')) as BlockMeta;
      if (typeof meta.minTime !== 'number' || typeof meta.maxTime !== 'number' || typeof meta.ulid !== 'string') {
        throw new Error('missing fields');
      }
    } catch (e) {
      throw new CorruptBlockError(`${metaFile}: ${String(e)}`);
    }
    const b = new BlockReader(dir, meta, logger);
    const indexFile = join(dir, 'index');
    try {
      b.index = await readFile(indexFile);
      b.parseIndex();
    } catch (e) {
      throw new CorruptBlockError(`${indexFile}: ${String(e)}`);
    }
    let size = b.index.length;
    const chunksDir = join(dir, 'chunks');
    for (const name of (await readdir(chunksDir)).sort()) {
      if (!/^\d{6}$/.test(name)) continue;
      const file = join(chunksDir, name);
      const fh = await open(file, 'r');
      const st = await fh.stat();
      const head = Buffer.alloc(8);
      await fh.read(head, 0, 8, 0);
      if (st.size < 8 || head.readUInt32BE(0) !== CHUNKS_MAGIC || (head[4] !== FORMAT_V1 && head[4] !== FORMAT_VERSION)) {
        await fh.close();
        logger?.warn({ file }, 'TSDB: chunk file has a bad header; its chunks will be skipped');
        continue;
      }
      b.fds.set(Number(name), fh);
      b.fileFormats.set(Number(name), head[4]);
      b.fileSizes.set(Number(name), st.size);
      size += st.size;
    }
    b.sizeBytes = size + (await stat(metaFile)).size;
    return b;
  }

  private parseIndex(): void {
    const ix = this.index;
    if (ix.length < 8 + TOC_SIZE_V1) throw new Error('index too short');
    if (ix.readUInt32BE(0) !== INDEX_MAGIC) throw new Error('bad index magic');
    this.format = ix[4];
    if (this.format !== FORMAT_V1 && this.format !== FORMAT_VERSION) throw new Error(`unknown index format ${this.format}`);
    const tocSize = this.format === FORMAT_V1 ? TOC_SIZE_V1 : TOC_SIZE;
    if (ix.length < 8 + tocSize) throw new Error('index too short');
    const tocStart = ix.length - tocSize;
    if (crc32(ix, 0, tocStart + tocSize - 4) !== ix.readUInt32LE(tocStart + tocSize - 4)) throw new Error('index checksum mismatch');
    const symbolsOff = ix.readUInt32LE(tocStart);
    const tableOff = ix.readUInt32LE(tocStart + 12);
    const r = new ByteReader(ix, symbolsOff, tocStart);
    const n = r.uvarint();
    this.symOffsets = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.symOffsets[i] = r.pos;
      const skip = r.uvarint();
      r.pos += skip;
      if (r.pos > tocStart) throw new Error('symbol table overruns the index');
    }
    if (this.format === FORMAT_V1) this.parseTableV1(tableOff, tocStart);
    else {
      this.allOff = ix.readUInt32LE(tocStart + 16);
      this.parseTable(tableOff, tocStart, ix.readUInt32LE(tocStart + 8));
    }
  }

  private parseTable(tableOff: number, tocStart: number, postingsOff: number): void {
    const r = new ByteReader(this.index, tableOff, tocStart);
    const names = r.uvarint();
    const offs: number[] = [];
    const vals: number[] = [];
    let off = postingsOff;
    for (let i = 0; i < names; i++) {
      const name = r.str();
      const count = r.uvarint();
      const start = offs.length;
      for (let k = 0; k < count; k++) {
        const ref = r.uvarint();
        if (ref >= this.symOffsets.length) throw new Error('postings table refers to a missing symbol');
        vals.push(ref);
        off += r.uvarint();
        if (off >= tableOff) throw new Error('postings offset beyond the postings');
        offs.push(off);
      }
      this.nameRanges.set(name, [start, offs.length]);
    }
    if (r.pos !== tocStart) throw new Error('postings table does not end at the TOC');
    this.pairOffsets = Uint32Array.from(offs);
    this.pairValues = Uint32Array.from(vals);
  }

  private parseTableV1(tableOff: number, tocStart: number): void {
    const ix = this.index;
    const r = new ByteReader(ix, tableOff, tocStart);
    const tn = r.uvarint();
    this.pairOffsets = new Uint32Array(tn);
    let prevStart = -1;
    let prevLen = -1;
    let prevName = '';
    let rangeStart = 0;
    for (let i = 0; i < tn; i++) {
      this.pairOffsets[i] = r.pos;
      const nameLen = r.uvarint();
      const nameStart = r.pos;
      r.pos += nameLen;
      // Names repeat in runs; only decode one when its bytes differ from the previous entry's.
      const same = prevStart >= 0 && prevLen === nameLen && ix.compare(ix, nameStart, nameStart + nameLen, prevStart, prevStart + prevLen) === 0;
      if (!same) {
        if (i > 0) this.nameRanges.set(prevName, [rangeStart, i]);
        prevName = decodeUtf8(ix, nameStart, nameStart + nameLen);
        rangeStart = i;
        prevStart = nameStart;
        prevLen = nameLen;
      }
      const skip = r.uvarint();
      r.pos += skip;
      r.uvarint();
      if (r.pos > tocStart) throw new Error('postings table overruns the index');
    }
    if (tn > 0) this.nameRanges.set(prevName, [rangeStart, tn]);
  }

  private symbol(i: number): string {
    const slot = i & 4095;
    if (this.symCacheIdx[slot] === i) return this.symCacheStr[slot];
    if (i >= this.symOffsets.length) throw new RangeError('bad symbol reference');
    const r = new ByteReader(this.index, this.symOffsets[i]);
    const str = r.str();
    this.symCacheIdx[slot] = i;
    this.symCacheStr[slot] = str;
    return str;
  }

  /** Decodes postings-table entry k: [value, postings offset] (the name is known from the range). */
  private entry(k: number): [string, number] {
    if (this.format !== FORMAT_V1) return [this.symbol(this.pairValues[k]), this.pairOffsets[k]];
    const r = new ByteReader(this.index, this.pairOffsets[k]);
    const skip = r.uvarint();
    r.pos += skip;
    const value = r.str();
    return [value, r.uvarint()];
  }

  private postingsOffset(name: string, value: string): number | undefined {
    const range = this.nameRanges.get(name);
    if (!range) return undefined;
    let lo = range[0];
    let hi = range[1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const [v, off] = this.entry(mid);
      if (v === value) return off;
      if (v < value) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  minTime(): number {
    return this.meta.minTime;
  }
  /** Inclusive, for overlap checks against query ranges. */
  maxTime(): number {
    return this.meta.maxTime - 1;
  }

  // --- PostingsIndex ---
  allPostings(): PostingsArray {
    return this.readPostings(this.format === FORMAT_V1 ? this.postingsOffset('', '') : this.allOff);
  }
  valuesOf(name: string): Iterable<string> {
    const range = name === '' ? undefined : this.nameRanges.get(name);
    if (!range) return [];
    const out: string[] = [];
    for (let k = range[0]; k < range[1]; k++) out.push(this.entry(k)[0]);
    return out;
  }
  postings(name: string, value: string): PostingsArray {
    return this.readPostings(this.postingsOffset(name, value));
  }
  private readPostings(off: number | undefined): PostingsArray {
    if (off === undefined) return EMPTY;
    const ix = this.index;
    if (this.format === FORMAT_V1) {
      const n = ix.readUInt32LE(off);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = ix.readUInt32LE(off + 4 + 4 * i);
      return out;
    }
    const r = new ByteReader(ix, off);
    const n = r.uvarint();
    if (n > ix.length) throw new RangeError('bad postings length');
    const out = new Int32Array(n);
    let p = r.pos;
    let id = 0;
    for (let i = 0; i < n; i++) {
      // Deltas between entry offsets are small: one or two bytes.
      let c = ix[p++];
      let d = c & 0x7f;
      let shift = 7;
      while (c >= 0x80) {
        c = ix[p++];
        d |= (c & 0x7f) << shift;
        shift += 7;
        if (shift > 28) throw new RangeError('bad postings delta');
      }
      id += d;
      out[i] = id;
    }
    return out;
  }

  /** Decodes one series entry: labels and chunk metas (minT, maxT, file, off, len)*. */
  readSeries(id: number): { labels: Label[]; metas: number[] } {
    const r = new ByteReader(this.index, id, this.index.length);
    const len = r.uvarint();
    r.end = r.pos + len;
    const nl = r.uvarint();
    const labels = new Array<Label>(nl);
    for (let i = 0; i < nl; i++) labels[i] = { name: this.symbol(r.uvarint()), value: this.symbol(r.uvarint()) };
    const nc = r.uvarint();
    const metas = new Array<number>(nc * 5);
    let prevMax = 0;
    if (this.format === FORMAT_V1) {
      for (let i = 0; i < nc; i++) {
        const minT = prevMax + r.varint();
        const maxT = minT + r.uvarint();
        metas[5 * i] = minT;
        metas[5 * i + 1] = maxT;
        metas[5 * i + 2] = r.uvarint();
        metas[5 * i + 3] = r.uvarint();
        metas[5 * i + 4] = r.uvarint();
        prevMax = maxT;
      }
      return { labels, metas };
    }
    let file = 0;
    let off = 0;
    for (let i = 0; i < nc; i++) {
      const minT = i === 0 ? r.varint() : prevMax + r.uvarint();
      const maxT = minT + r.uvarint();
      if (i === 0) {
        file = r.uvarint();
        off = r.uvarint();
      }
      const len = r.uvarint();
      metas[5 * i] = minT;
      metas[5 * i + 1] = maxT;
      metas[5 * i + 2] = file;
      metas[5 * i + 3] = off;
      metas[5 * i + 4] = len;
      off += len;
      prevMax = maxT;
    }
    return { labels, metas };
  }

  private warnOnce(file: string, msg: string, extra: object = {}): void {
    if (this.warned.has(file + msg)) return;
    this.warned.add(file + msg);
    this.logger?.warn({ file, ...extra }, msg);
  }

  /** Reads chunks, coalescing nearby ranges into one read. Corrupt or missing chunks come back undefined. */
  async readChunks(reqs: ChunkReq[], out: (RawChunk | undefined)[]): Promise<void> {
    const sorted = [...reqs].sort((a, b) => a.file - b.file || a.off - b.off);
    let i = 0;
    while (i < sorted.length) {
      const first = sorted[i];
      let j = i + 1;
      let end = first.off + first.len;
      while (
        j < sorted.length &&
        sorted[j].file === first.file &&
        sorted[j].off - end < 64 * 1024 &&
        sorted[j].off + sorted[j].len - first.off < 8 * 1024 * 1024
      ) {
        end = Math.max(end, sorted[j].off + sorted[j].len);
        j++;
      }
      const file = join(this.dir, 'chunks', chunkFileName(first.file));
      const fh = this.fds.get(first.file);
      let buf: Buffer | undefined;
      if (fh) {
        const size = this.fileSizes.get(first.file) ?? 0;
        const want = Math.max(0, Math.min(end, size) - first.off);
        buf = Buffer.allocUnsafe(want);
        let got = 0;
        try {
          while (got < want) {
            const { bytesRead } = await fh.read(buf, got, want - got, first.off + got);
            if (bytesRead === 0) break;
            got += bytesRead;
          }
        } catch (e) {
          this.warnOnce(file, 'TSDB: cannot read chunk file', { err: String(e) });
          got = 0;
        }
        buf = buf.subarray(0, got);
      }
      const v1 = this.fileFormats.get(first.file) === FORMAT_V1;
      for (let k = i; k < j; k++) {
        const q = sorted[k];
        const rel = q.off - first.off;
        if (!buf || rel + q.len > buf.length || q.len < FRAME_V2) {
          this.warnOnce(file, 'TSDB: chunk beyond end of chunk file; skipping it', { offset: q.off });
          continue;
        }
        // Format 1: [u32 len][enc][data][crc]; format 2: [enc][data][crc] with the length from the index.
        const encPos = v1 ? rel + 4 : rel;
        const end = rel + q.len - 4;
        const enc = buf[encPos];
        if ((v1 && buf.readUInt32LE(rel) + 9 !== q.len) || (enc !== ENC_XOR && enc !== ENC_BLOCK)) {
          this.warnOnce(file, 'TSDB: corrupt chunk; skipping it', { offset: q.off });
          continue;
        }
        if (crc32(buf, encPos, end) !== buf.readUInt32LE(end)) {
          this.warnOnce(file, 'TSDB: chunk checksum mismatch; skipping it', { offset: q.off });
          continue;
        }
        out[q.slot] = { bytes: buf.subarray(encPos + 1, end), enc };
      }
      i = j;
    }
  }

  /** All series with their raw chunks, in label order (for compaction). Yields batches to bound memory. */
  async *allSeriesChunks(batch = 1000): AsyncGenerator<BlockSeriesInput> {
    const ids = this.allPostings();
    for (let start = 0; start < ids.length; start += batch) {
      const end = Math.min(ids.length, start + batch);
      const series: { labels: Label[]; metas: number[] }[] = [];
      const reqs: ChunkReq[] = [];
      for (let i = start; i < end; i++) {
        const s = this.readSeries(ids[i]);
        for (let c = 0; c < s.metas.length; c += 5) {
          reqs.push({ file: s.metas[c + 2], off: s.metas[c + 3], len: s.metas[c + 4], slot: reqs.length });
        }
        series.push(s);
      }
      const chunks: (RawChunk | undefined)[] = new Array(reqs.length);
      await this.readChunks(reqs, chunks);
      let slot = 0;
      for (const s of series) {
        const out: ChunkData[] = [];
        for (let c = 0; c < s.metas.length; c += 5) {
          const b = chunks[slot++];
          if (b) out.push({ bytes: b.bytes, enc: b.enc, minT: s.metas[c], maxT: s.metas[c + 1] });
        }
        yield { labels: s.labels, chunks: out };
      }
    }
  }

  async select(matchers: readonly Matcher[], mint: number, maxt: number): Promise<SeriesSamples[]> {
    if (this.fds.size === 0 && this.closing) return [];
    this.pending++;
    try {
      const ids = postingsForMatchers(this, matchers);
      const series: { labels: Label[]; metas: number[] }[] = [];
      const reqs: ChunkReq[] = [];
      for (let i = 0; i < ids.length; i++) {
        const s = this.readSeries(ids[i]);
        const keep: number[] = [];
        for (let c = 0; c < s.metas.length; c += 5) {
          if (s.metas[c + 1] >= mint && s.metas[c] <= maxt) {
            keep.push(s.metas[c], s.metas[c + 1], reqs.length);
            reqs.push({ file: s.metas[c + 2], off: s.metas[c + 3], len: s.metas[c + 4], slot: reqs.length });
          }
        }
        if (keep.length > 0) series.push({ labels: s.labels, metas: keep });
      }
      const chunks: (RawChunk | undefined)[] = new Array(reqs.length);
      await this.readChunks(reqs, chunks);
      const out: SeriesSamples[] = [];
      for (const s of series) {
        let total = 0;
        for (let c = 0; c < s.metas.length; c += 3) {
          const b = chunks[s.metas[c + 2]];
          if (b) total += countSamples(b.bytes, b.enc);
        }
        const ts = new Float64Array(total);
        const vs = new Float64Array(total);
        let n = 0;
        for (let c = 0; c < s.metas.length; c += 3) {
          const b = chunks[s.metas[c + 2]];
          if (!b) continue;
          try {
            n += decodeAnyChunk(b.bytes, b.enc, s.metas[c], ts, vs, n);
          } catch (e) {
            this.warnOnce(this.dir, 'TSDB: undecodable chunk; skipping it', { err: String(e) });
          }
        }
        let lo = 0;
        while (lo < n && ts[lo] < mint) lo++;
        let hi = n;
        while (hi > lo && ts[hi - 1] > maxt) hi--;
        if (hi > lo) out.push({ labels: s.labels, ts: ts.subarray(lo, hi), vs: vs.subarray(lo, hi) });
      }
      return out;
    } finally {
      this.pending--;
    }
  }

  private matchingLabels(matchers: readonly Matcher[], mint: number, maxt: number): Label[][] {
    const ids = postingsForMatchers(this, matchers);
    const out: Label[][] = [];
    for (let i = 0; i < ids.length; i++) {
      const s = this.readSeries(ids[i]);
      for (let c = 0; c < s.metas.length; c += 5) {
        if (s.metas[c + 1] >= mint && s.metas[c] <= maxt) {
          out.push(s.labels);
          break;
        }
      }
    }
    return out;
  }

  async seriesLabels(matchers: readonly Matcher[], mint: number, maxt: number): Promise<Labels[]> {
    return this.matchingLabels(matchers, mint, maxt);
  }

  async labelNames(matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]> {
    if (matchers.length === 0) return [...this.nameRanges.keys()].filter((n) => n !== '');
    const names = new Set<string>();
    for (const ls of this.matchingLabels(matchers, mint, maxt)) for (const l of ls) names.add(l.name);
    return [...names];
  }

  async labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number): Promise<string[]> {
    if (matchers.length === 0) return [...this.valuesOf(name)];
    const vals = new Set<string>();
    for (const ls of this.matchingLabels(matchers, mint, maxt)) for (const l of ls) if (l.name === name) vals.add(l.value);
    return [...vals];
  }

  private async closeFds(): Promise<void> {
    const fds = [...this.fds.values()];
    this.fds.clear();
    for (const fh of fds) await fh.close().catch(() => undefined);
  }

  /**
   * Closes the chunk files. With a grace period (a block replaced by compaction or retention), queriers that
   * still hold this block keep reading it — unlinked files stay readable through open descriptors.
   */
  async close(graceMs = 0): Promise<void> {
    this.closing = true;
    if (graceMs <= 0 && this.pending === 0) {
      await this.closeFds();
      return;
    }
    const attempt = (): void => {
      if (this.pending === 0) void this.closeFds();
      else setTimeout(attempt, 1000).unref();
    };
    setTimeout(attempt, graceMs).unref();
  }
}
