/**
 * The in-memory head: the most recent samples of every active series, Gorilla-compressed, with an inverted
 * index for selectors. Memory per series is kept small: one MemSeries object with numeric fields, interned
 * label pair objects shared between series, compressed chunks in trimmed byte arrays, no per-sample objects.
 */
import { AppendError, type Appender } from '../storage/interface.js';
import type { Label, Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import { ByteWriter } from '../../lib/encoding/bytes.js';
import type { SegmentLog } from '../../lib/wal/segment-log.js';
import { XorChunkBuilder, chunkCount, copyBytes, decodeChunk, MAX_SAMPLES_PER_CHUNK } from './chunk.js';
import { addSorted, removeRefs, type PostingsArray, EMPTY } from './postings.js';
import { postingsForMatchers, type PostingsIndex } from './index-match.js';
import { encodeSamples, encodeSeries } from './wal-records.js';

export interface HeadChunk {
  bytes: Uint8Array;
  minT: number;
  maxT: number;
}

/** Out-of-order samples of one series, sorted by time (only when an out-of-order window is configured). */
export class OooBuffer {
  ts = new Float64Array(4);
  bits = new Uint32Array(8);
  n = 0;

  insert(t: number, hi: number, lo: number): void {
    let lo_ = 0;
    let hi_ = this.n;
    while (lo_ < hi_) {
      const mid = (lo_ + hi_) >>> 1;
      if (this.ts[mid] < t) lo_ = mid + 1;
      else hi_ = mid;
    }
    if (lo_ < this.n && this.ts[lo_] === t) return; // first write wins, as for in-order duplicates
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.n * 2);
      ts.set(this.ts);
      const bits = new Uint32Array(this.n * 4);
      bits.set(this.bits);
      this.ts = ts;
      this.bits = bits;
    }
    this.ts.copyWithin(lo_ + 1, lo_, this.n);
    this.bits.copyWithin(2 * lo_ + 2, 2 * lo_, 2 * this.n);
    this.ts[lo_] = t;
    this.bits[2 * lo_] = lo;
    this.bits[2 * lo_ + 1] = hi;
    this.n++;
  }

  /** Drops samples before t. */
  dropBefore(t: number): void {
    let k = 0;
    while (k < this.n && this.ts[k] < t) k++;
    if (k === 0) return;
    this.ts.copyWithin(0, k, this.n);
    this.bits.copyWithin(0, 2 * k, 2 * this.n);
    this.n -= k;
  }
}

const OPEN_CHUNK_BYTES = 128;

/**
 * One head series. It is itself the builder of its open chunk (count > 0 means an open chunk exists):
 * one object per series instead of two.
 */
export class MemSeries extends XorChunkBuilder {
  /** Completed chunks, oldest first. */
  chunks: HeadChunk[] | null = null;
  /** Uncommitted sample of the appender with id pendOwner sits at index pendIdx of that appender. */
  pendOwner = 0;
  pendIdx = 0;
  /** Bit 1: the series record is in the WAL; bit 2: garbage-collected from the head. */
  private flags = 0;
  ooo: OooBuffer | null = null;

  constructor(
    readonly ref: number,
    readonly labels: Labels,
  ) {
    // 128 bytes hold ~50 samples of a typical series, as Prometheus's open chunk starts with 128: growing
    // 32 → 64 → 128 instead leaves the smaller pieces behind in the shared slabs, unused but never freed.
    super(OPEN_CHUNK_BYTES);
    // lastT doubles as the series' newest timestamp; it survives reset() when a chunk is completed.
    this.lastT = -Infinity;
  }

  get maxT(): number {
    return this.lastT;
  }
  get walLogged(): boolean {
    return (this.flags & 1) !== 0;
  }
  set walLogged(v: boolean) {
    this.flags = v ? this.flags | 1 : this.flags & ~1;
  }
  get deleted(): boolean {
    return (this.flags & 2) !== 0;
  }
  set deleted(v: boolean) {
    this.flags = v ? this.flags | 2 : this.flags & ~2;
  }

  minTime(): number {
    if (this.chunks && this.chunks.length > 0) return this.chunks[0].minT;
    if (this.count > 0) return this.minT;
    return Infinity;
  }

  /** True when the series has any sample in [mint, maxt]. */
  overlaps(mint: number, maxt: number): boolean {
    if (this.chunks) for (const c of this.chunks) if (c.maxT >= mint && c.minT <= maxt) return true;
    if (this.count > 0 && this.lastT >= mint && this.minT <= maxt) return true;
    if (this.ooo) for (let i = 0; i < this.ooo.n; i++) if (this.ooo.ts[i] >= mint && this.ooo.ts[i] <= maxt) return true;
    return false;
  }

  numChunks(): number {
    return (this.chunks ? this.chunks.length : 0) + (this.count > 0 ? 1 : 0);
  }
}

/** One label pair in the head index: the Label object series share, and the sorted refs having it. */
export class PairEntry {
  /**
   * 0 = none, a number = exactly one series (the common case for high-cardinality labels: no array at all),
   * else a sorted array.
   */
  private r: number | number[] = 0;
  constructor(readonly label: Label) {}

  add(ref: number): void {
    const r = this.r;
    if (r === 0) this.r = ref;
    else if (typeof r === 'number') {
      if (r !== ref) this.r = r < ref ? [r, ref] : [ref, r];
    } else addSorted(r, ref);
  }

  get size(): number {
    const r = this.r;
    return typeof r === 'number' ? (r === 0 ? 0 : 1) : r.length;
  }

  refs(): PostingsArray {
    const r = this.r;
    return typeof r === 'number' ? (r === 0 ? EMPTY : [r]) : r;
  }

  removeAll(deleted: Set<number>): void {
    const r = this.r;
    if (typeof r === 'number') {
      if (r !== 0 && deleted.has(r)) this.r = 0;
      return;
    }
    removeRefs(r, deleted);
    if (r.length <= 1) this.r = r.length === 1 ? r[0] : 0;
  }
}

/** The values of one label name; carries the canonical name string so each name is stored once. */
class ValueMap extends Map<string, PairEntry> {
  constructor(readonly name: string) {
    super();
  }
}

export interface SeriesSamples {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

const SEP = 0xff;

/**
 * FNV-1a over label values (names only contribute their length: they are few and rarely the only difference;
 * collisions are resolved by comparing label sets). 30 bits so the Map key stays a small integer.
 */
export function hashLabels(labels: Labels): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    const value = l.value;
    h = Math.imul(h ^ (l.name.length | 0x100), 16777619);
    for (let j = 0; j < value.length; j++) h = Math.imul(h ^ value.charCodeAt(j), 16777619);
    h = Math.imul(h ^ SEP, 16777619);
  }
  return h & 0x3fffffff;
}

/**
 * A copy of s that shares no memory with a larger string. Substrings of 13+ characters are V8 "sliced
 * strings" that keep their whole parent alive — a label value cut out of a scrape body would otherwise pin
 * the entire body for as long as the series lives. Shorter strings are always copied by V8 already.
 */
function ownString(s: string): string {
  if (s.length < 13) return s;
  return Buffer.from(s, 'utf8').toString('utf8');
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  return true;
}

export interface HeadOptions {
  blockRangeMs: number;
  outOfOrderWindowMs: number;
}

export class Head implements PostingsIndex {
  readonly byRef: (MemSeries | undefined)[] = [];
  private readonly byHash = new Map<number, MemSeries | MemSeries[]>();
  /** label name → value → the shared Label object and its postings. */
  private readonly index = new Map<string, ValueMap>();
  private readonly all: number[] = [];
  nextRef = 1;
  numSeries = 0;
  /** Time range of in-order head data. */
  minT = Infinity;
  maxT = -Infinity;
  /** Lower bound of out-of-order samples ever held (conservative: only used to decide whether to read the head). */
  oooMinT = Infinity;
  /** Nothing older than this is accepted in order (the newest persisted block's end). */
  minValidTime = -Infinity;
  readonly blockRange: number;
  readonly oooWindow: number;
  replaying = false;
  wal: SegmentLog | undefined;
  private nextAppenderId = 1;
  readonly inflight = new Set<HeadAppender>();
  /** Called after every successful commit (the DB uses it to notice when a block can be cut). */
  onCommitted: (() => void) | undefined;
  /** Counters of samples refused at commit (races between appenders), as Prometheus counts them. */
  droppedAtCommit = 0;
  readonly recWriter = new ByteWriter(1 << 16);

  constructor(opts: HeadOptions) {
    this.blockRange = opts.blockRangeMs;
    this.oooWindow = opts.outOfOrderWindowMs;
  }

  appenderId(): number {
    return this.nextAppenderId++;
  }

  /** Resolves when every commit that was in flight at call time has been applied to the head. */
  async waitInflight(): Promise<void> {
    const snap = [...this.inflight];
    while (snap.some((a) => this.inflight.has(a))) await new Promise((r) => setTimeout(r, 1));
  }

  appender(): HeadAppender {
    return new HeadAppender(this);
  }

  /**
   * The shared entry for a label pair; its Label object is what series hold, so strings exist once.
   * `copy` detaches new strings from whatever they were sliced from (see ownString).
   */
  private pair(name: string, value: string, copy: boolean): PairEntry {
    let vals = this.index.get(name);
    if (vals === undefined) {
      const canonical = copy ? ownString(name) : name;
      vals = new ValueMap(canonical);
      this.index.set(canonical, vals);
    }
    let e = vals.get(value);
    if (e === undefined) {
      // The Map key must be the owned copy too, or the key itself pins the original.
      const owned = copy ? ownString(value) : value;
      e = new PairEntry({ name: vals.name, value: owned });
      vals.set(owned, e);
    }
    return e;
  }

  lookup(labels: Labels, hash: number): MemSeries | undefined {
    const e = this.byHash.get(hash);
    if (e === undefined) return undefined;
    if (e instanceof MemSeries) return sameLabels(e.labels, labels) ? e : undefined;
    for (const s of e) if (sameLabels(s.labels, labels)) return s;
    return undefined;
  }

  getOrCreate(labels: Labels): MemSeries {
    const hash = hashLabels(labels);
    const s = this.lookup(labels, hash);
    if (s !== undefined) return s;
    const ls = new Array<Label>(labels.length);
    for (let i = 0; i < labels.length; i++) ls[i] = this.pair(labels[i].name, labels[i].value, true).label;
    return this.insert(this.nextRef++, ls, hash);
  }

  /** Recreates a series from the WAL with its original ref. */
  createWithRef(ref: number, names: readonly string[], values: readonly string[], n = names.length): MemSeries {
    if (!(ref > 0 && ref <= 0x7fffffff)) throw new RangeError(`invalid series ref ${ref}`);
    const existing = this.byRef[ref];
    if (existing) return existing;
    const ls = new Array<Label>(n);
    for (let i = 0; i < n; i++) ls[i] = this.pair(names[i], values[i], false).label;
    const hash = hashLabels(ls);
    const dup = this.lookup(ls, hash);
    if (dup) {
      // Same labels under two refs (a series recreated after GC): alias the old ref to the live series.
      this.byRef[ref] = dup;
      return dup;
    }
    if (ref >= this.nextRef) this.nextRef = ref + 1;
    const s = this.insert(ref, ls, hash);
    s.walLogged = true;
    return s;
  }

  private insert(ref: number, ls: Label[], hash: number): MemSeries {
    const s = new MemSeries(ref, ls);
    this.byRef[ref] = s;
    const e = this.byHash.get(hash);
    if (e === undefined) this.byHash.set(hash, s);
    else if (e instanceof MemSeries) this.byHash.set(hash, [e, s]);
    else e.push(s);
    for (const l of ls) this.index.get(l.name)!.get(l.value)!.add(ref);
    addSorted(this.all, ref);
    this.numSeries++;
    return s;
  }

  private chunkEnd(minT: number): number {
    return (Math.floor(minT / this.blockRange) + 1) * this.blockRange;
  }

  /**
   * Applies one committed (or replayed) sample. Returns false when it cannot be applied any more (another
   * appender committed a newer sample first); duplicates of the last sample are silently ignored.
   */
  applySample(s: MemSeries, t: number, hi: number, lo: number, acknowledged = false): boolean {
    if (t > s.maxT && t >= this.minValidTime) {
      if (s.count > 0 && (s.count >= MAX_SAMPLES_PER_CHUNK || t >= this.chunkEnd(s.minT))) this.finishChunk(s);
      s.appendBits(t, hi, lo);
      if (t > this.maxT) this.maxT = t;
      if (t < this.minT) this.minT = t;
      return true;
    }
    if (t === s.maxT) return (hi | 0) === s.vHi && (lo | 0) === s.vLo;
    // Below minValidTime the range is already (being) persisted: only the out-of-order path may take it.
    if (this.oooWindow > 0 && (this.replaying || t >= this.maxT - this.oooWindow)) {
      if (s.ooo === null) s.ooo = new OooBuffer();
      s.ooo.insert(t, hi, lo);
      if (t < this.oooMinT) this.oooMinT = t;
      return true;
    }
    // A sample that passed the append checks and is being committed (or replayed from the WAL) was, or will be,
    // acknowledged to its writer. If a concurrent commit overtook it, it goes into the out-of-order buffer
    // rather than being dropped: the durability promise outranks in-order-only storage.
    if (acknowledged && t >= this.minValidTime) {
      if (s.ooo === null) s.ooo = new OooBuffer();
      s.ooo.insert(t, hi, lo);
      if (t < this.oooMinT) this.oooMinT = t;
      return true;
    }
    return false;
  }

  private finishChunk(s: MemSeries): void {
    const c: HeadChunk = { bytes: s.copyBytes(), minT: s.minT, maxT: s.lastT };
    if (s.chunks === null) s.chunks = [c];
    else s.chunks.push(c);
    s.reset();
  }

  /** Restores a chunk from a checkpoint. */
  restoreChunk(s: MemSeries, c: HeadChunk): void {
    if (c.maxT <= s.maxT) return;
    if (s.count > 0) this.finishChunk(s);
    const bytes = copyBytes(c.bytes);
    if (s.chunks === null) s.chunks = [];
    s.chunks.push({ bytes, minT: c.minT, maxT: c.maxT });
    // The last value is needed for duplicate detection.
    const n = chunkCount(bytes);
    const ts = new Float64Array(n);
    const bits = new Uint32Array(2 * n);
    decodeChunk(bytes, ts, bits, 0);
    s.lastT = c.maxT;
    s.vLo = bits[2 * n - 2] | 0;
    s.vHi = bits[2 * n - 1] | 0;
    if (c.maxT > this.maxT) this.maxT = c.maxT;
    if (c.minT < this.minT) this.minT = c.minT;
  }

  // --- PostingsIndex ---
  allPostings(): PostingsArray {
    return this.all;
  }
  valuesOf(name: string): Iterable<string> {
    return this.index.get(name)?.keys() ?? [];
  }
  postings(name: string, value: string): PostingsArray {
    return this.index.get(name)?.get(value)?.refs() ?? EMPTY;
  }
  labelNamesAll(): string[] {
    return [...this.index.keys()];
  }
  valuesMap(): ReadonlyMap<string, ReadonlyMap<string, PairEntry>> {
    return this.index;
  }

  /** Series matching the matchers that have samples in [mint, maxt]. */
  matchingSeries(matchers: readonly Matcher[], mint: number, maxt: number): MemSeries[] {
    const refs = postingsForMatchers(this, matchers);
    const out: MemSeries[] = [];
    for (let i = 0; i < refs.length; i++) {
      const s = this.byRef[refs[i]];
      if (s !== undefined && !s.deleted && s.ref === refs[i] && s.overlaps(mint, maxt)) out.push(s);
    }
    return out;
  }

  /** Decodes a series' samples in [mint, maxt]; values keep their exact bits. */
  samples(s: MemSeries, mint: number, maxt: number): { ts: Float64Array; vs: Float64Array } {
    let total = 0;
    if (s.chunks) for (const c of s.chunks) if (c.maxT >= mint && c.minT <= maxt) total += chunkCount(c.bytes);
    const open = s.count > 0 && s.lastT >= mint && s.minT <= maxt;
    if (open) total += s.count;
    let ts = new Float64Array(total);
    let vs = new Float64Array(total);
    let bits = new Uint32Array(vs.buffer);
    let n = 0;
    if (s.chunks) {
      for (const c of s.chunks) if (c.maxT >= mint && c.minT <= maxt) n += decodeChunk(c.bytes, ts, bits, n);
    }
    if (open) n += decodeChunk(s.bytes(), ts, bits, n);
    let lo = 0;
    while (lo < n && ts[lo] < mint) lo++;
    let hi = n;
    while (hi > lo && ts[hi - 1] > maxt) hi--;
    ts = ts.subarray(lo, hi);
    vs = vs.subarray(lo, hi);
    bits = bits.subarray(2 * lo, 2 * hi);
    const o = s.ooo;
    if (o && o.n > 0) return mergeSamples(ts, bits, o.ts.subarray(0, o.n), o.bits.subarray(0, 2 * o.n), mint, maxt);
    return { ts, vs };
  }

  /**
   * Drops everything before `before` (now persisted in a block) and garbage-collects series left without
   * samples. Series referenced by in-flight commits are kept.
   */
  truncate(before: number): void {
    const keep = new Set<MemSeries>();
    for (const a of this.inflight) a.collectSeries(keep);
    const deleted = new Set<number>();
    let minT = Infinity;
    for (let ref = 1; ref < this.byRef.length; ref++) {
      const s = this.byRef[ref];
      if (s === undefined) continue;
      if (s.ref !== ref) {
        // An alias left by replay.
        this.byRef[ref] = undefined;
        continue;
      }
      if (s.chunks) {
        let k = 0;
        while (k < s.chunks.length && s.chunks[k].maxT < before) k++;
        if (k > 0) s.chunks = k === s.chunks.length ? null : s.chunks.slice(k);
      }
      if (s.count > 0 && s.minT < before) s.reset();
      const m = s.minTime();
      if (m < minT) minT = m;
      if (m === Infinity && s.ooo === null && !keep.has(s)) {
        s.deleted = true;
        deleted.add(ref);
        this.byRef[ref] = undefined;
        const hash = hashLabels(s.labels);
        const e = this.byHash.get(hash);
        if (e === s) this.byHash.delete(hash);
        else if (Array.isArray(e)) {
          const rest = e.filter((x) => x !== s);
          this.byHash.set(hash, rest.length === 1 ? rest[0] : rest);
        }
        this.numSeries--;
      }
    }
    if (deleted.size > 0) {
      removeRefs(this.all, deleted);
      for (const [name, vals] of this.index) {
        for (const [value, e] of vals) {
          e.removeAll(deleted);
          if (e.size === 0) vals.delete(value);
        }
        if (vals.size === 0) this.index.delete(name);
      }
    }
    this.minT = minT;
    if (before > this.minValidTime) this.minValidTime = before;
  }

}

/** Merges in-order samples with out-of-order ones; on equal timestamps the in-order sample wins. */
function mergeSamples(
  ats: Float64Array,
  abits: Uint32Array,
  bts: Float64Array,
  bbits: Uint32Array,
  mint: number,
  maxt: number,
): { ts: Float64Array; vs: Float64Array } {
  const ts = new Float64Array(ats.length + bts.length);
  const vs = new Float64Array(ts.length);
  const bits = new Uint32Array(vs.buffer);
  let i = 0;
  let j = 0;
  let n = 0;
  while (j < bts.length && bts[j] < mint) j++;
  while (i < ats.length || j < bts.length) {
    const takeB = j < bts.length && bts[j] <= maxt && (i >= ats.length || bts[j] < ats[i]);
    if (takeB) {
      ts[n] = bts[j];
      bits[2 * n] = bbits[2 * j];
      bits[2 * n + 1] = bbits[2 * j + 1];
      j++;
    } else if (i < ats.length) {
      if (j < bts.length && bts[j] === ats[i]) j++;
      ts[n] = ats[i];
      bits[2 * n] = abits[2 * i];
      bits[2 * n + 1] = abits[2 * i + 1];
      i++;
    } else break;
    n++;
  }
  return { ts: ts.subarray(0, n), vs: vs.subarray(0, n) };
}

const scratch = new DataView(new ArrayBuffer(8));

export class HeadAppender implements Appender {
  private id: number;
  private series: MemSeries[] = [];
  private ts = new Float64Array(64);
  private bits = new Uint32Array(128);
  private n = 0;

  constructor(private readonly head: Head) {
    this.id = head.appenderId();
  }

  collectSeries(into: Set<MemSeries>): void {
    for (let i = 0; i < this.n; i++) into.add(this.series[i]);
  }

  append(labels: Labels, t: number, v: number): void {
    const head = this.head;
    if (!Number.isSafeInteger(t)) throw new AppendError('out_of_bounds', `invalid timestamp ${t}`);
    if (labels.length === 0) throw new AppendError('invalid_labels', 'empty label set');
    if (head.maxT !== -Infinity || head.minValidTime !== -Infinity) {
      const minValid = Math.max(head.minValidTime, head.maxT - head.blockRange / 2);
      if (t < minValid && !(head.oooWindow > 0 && t >= head.maxT - head.oooWindow)) {
        if (head.oooWindow > 0) throw new AppendError('too_old', 'too old sample: beyond the out-of-order window');
        throw new AppendError('out_of_bounds', 'out of bounds');
      }
    }
    let s = head.getOrCreate(labels);
    if (s.deleted) s = head.getOrCreate(labels);
    scratch.setFloat64(0, v, true);
    const lo = scratch.getUint32(0, true);
    const hi = scratch.getUint32(4, true);
    let lastT: number;
    let lastHi: number;
    let lastLo: number;
    if (s.pendOwner === this.id) {
      const k = s.pendIdx;
      lastT = this.ts[k];
      lastLo = this.bits[2 * k];
      lastHi = this.bits[2 * k + 1];
    } else {
      lastT = s.lastT;
      lastHi = s.vHi;
      lastLo = s.vLo;
    }
    if (t === lastT) {
      if ((hi | 0) === (lastHi | 0) && (lo | 0) === (lastLo | 0)) return;
      throw new AppendError('duplicate', 'duplicate sample for timestamp');
    }
    if (t < lastT && !(head.oooWindow > 0 && t >= head.maxT - head.oooWindow)) {
      if (head.oooWindow > 0) throw new AppendError('too_old', 'too old sample: beyond the out-of-order window');
      throw new AppendError('out_of_order', 'out of order sample');
    }
    const n = this.n;
    if (n === this.ts.length) this.grow();
    this.series[n] = s;
    this.ts[n] = t;
    this.bits[2 * n] = lo;
    this.bits[2 * n + 1] = hi;
    this.n = n + 1;
    if (t > lastT) {
      s.pendOwner = this.id;
      s.pendIdx = n;
    }
  }

  private grow(): void {
    const ts = new Float64Array(this.ts.length * 2);
    ts.set(this.ts);
    const bits = new Uint32Array(this.bits.length * 2);
    bits.set(this.bits);
    this.ts = ts;
    this.bits = bits;
  }

  async commit(): Promise<void> {
    const n = this.n;
    const head = this.head;
    if (n === 0) {
      this.reset();
      return;
    }
    const series = this.series;
    const refs = new Int32Array(n);
    const newRefs: number[] = [];
    const newLabels: Labels[] = [];
    const newSeries: MemSeries[] = [];
    for (let i = 0; i < n; i++) {
      let s = series[i];
      if (s.deleted) series[i] = s = head.getOrCreate(s.labels);
      if (!s.walLogged) {
        s.walLogged = true;
        newSeries.push(s);
        newRefs.push(s.ref);
        newLabels.push(s.labels);
      }
      refs[i] = s.ref;
    }
    const w = head.recWriter;
    w.reset();
    let seriesEnd = 0;
    if (newRefs.length > 0) {
      encodeSeries(w, newRefs, newLabels);
      seriesEnd = w.pos;
    }
    encodeSamples(w, n, refs, this.ts, this.bits);
    const recs: Uint8Array[] = [];
    if (seriesEnd > 0) recs.push(w.buf.subarray(0, seriesEnd));
    recs.push(w.buf.subarray(seriesEnd, w.pos));
    // Retire this id before awaiting so the pending markers on series stop pointing into our arrays.
    this.id = head.appenderId();
    head.inflight.add(this);
    try {
      if (head.wal) await head.wal.append(recs);
    } catch (e) {
      for (const s of newSeries) s.walLogged = false;
      head.inflight.delete(this);
      this.reset();
      throw e;
    }
    const ts = this.ts;
    const bits = this.bits;
    for (let i = 0; i < n; i++) {
      if (!head.applySample(series[i], ts[i], bits[2 * i + 1], bits[2 * i], true)) head.droppedAtCommit++;
    }
    head.inflight.delete(this);
    this.reset();
    head.onCommitted?.();
  }

  rollback(): void {
    this.reset();
  }

  private reset(): void {
    this.n = 0;
    this.series = [];
    this.id = this.head.appenderId();
  }
}
