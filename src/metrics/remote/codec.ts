/**
 * Prometheus remote-write wire format (prometheus.WriteRequest, see proto/prometheus/remote.proto) and the
 * snappy block framing around it. The decoder is hand-written over the raw bytes rather than protobufjs's
 * generic Reader: it is on the ingest hot path, and skipping the intermediate message objects and Long
 * handling makes it several times faster (see codec.test.ts "decodes faster than protobufjs").
 */
import snappy from 'snappy';
import type { Label, Labels } from '../../model/labels.js';
import type { Sample } from '../../model/value.js';

export type { Label } from '../../model/labels.js';

export interface WriteExemplar {
  labels: Label[];
  value: number;
  /** Milliseconds since the epoch. */
  t: number;
}

export interface WriteSeries {
  /** As received: not necessarily sorted nor valid. */
  labels: Label[];
  samples: { t: number; v: number }[];
  exemplars?: WriteExemplar[];
  /** Native histograms are not stored yet; the receiver counts them as rejected. */
  histogramCount?: number;
  /**
   * Decoded with a SeriesLabelCache: true when `labels` came from the cache — the array stored with
   * SeriesLabelCache.put, shared, never to be modified — so whatever the caller did before storing it
   * (validation, sorting) need not be repeated.
   */
  cachedLabels?: boolean;
  /** Decoded with a SeriesLabelCache and not found there: the key under which to put the labels' final form. */
  labelsHash?: number;
}

/** prometheus.MetricMetadata.MetricType, by wire value. */
export const METRIC_TYPES = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'] as const;
export type MetricTypeName = (typeof METRIC_TYPES)[number];

export interface WriteMetadata {
  type: MetricTypeName;
  metricFamilyName: string;
  help: string;
  unit: string;
}

export interface DecodedWriteRequest {
  series: WriteSeries[];
  metadata: WriteMetadata[];
}

export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

const utf8 = new TextDecoder('utf-8');
const TWO_32 = 4294967296;

/** A cursor over a protobuf buffer; methods throw ProtobufDecodeError on truncation. */
class Cursor {
  pos: number;
  private readonly view: DataView;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    public end: number,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** A varint that must fit 32 bits unsigned (tags, lengths); one-byte values take the fast path. */
  uint32(): number {
    if (this.pos < this.end) {
      const b = this.buf[this.pos];
      if (b < 0x80) {
        this.pos++;
        return b;
      }
    }
    const v = this.int64();
    if (v < 0 || v > 0xffffffff) throw new ProtobufDecodeError('varint out of range');
    return v;
  }

  /** An int64 varint as a JS number (exact up to 2^53, which covers millisecond timestamps). */
  int64(): number {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b: number;
    let i = 0;
    // Low 28 bits.
    for (; i < 4; i++) {
      if (pos >= this.end) throw new ProtobufDecodeError('unexpected end of data in varint');
      b = buf[pos++];
      lo |= (b & 0x7f) << (i * 7);
      if ((b & 0x80) === 0) {
        this.pos = pos;
        return lo;
      }
    }
    if (pos >= this.end) throw new ProtobufDecodeError('unexpected end of data in varint');
    b = buf[pos++];
    lo = (lo | ((b & 0x0f) << 28)) >>> 0;
    hi = (b & 0x7f) >> 4;
    if (b & 0x80) {
      for (i = 0; i < 5; i++) {
        if (pos >= this.end) throw new ProtobufDecodeError('unexpected end of data in varint');
        b = buf[pos++];
        hi |= (b & 0x7f) << (i * 7 + 3);
        if ((b & 0x80) === 0) break;
      }
      if (b & 0x80) throw new ProtobufDecodeError('varint too long');
    }
    this.pos = pos;
    hi |= 0;
    if (hi < 0) {
      // Two's complement negative: -(~value + 1).
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return -(nhi * TWO_32 + nlo);
    }
    return hi * TWO_32 + lo;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new ProtobufDecodeError('unexpected end of data in double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length of a length-delimited field, checked against the enclosing message. */
  length(): number {
    const len = this.uint32();
    if (this.pos + len > this.end) throw new ProtobufDecodeError('length-delimited field exceeds message');
    return len;
  }

  string(): string {
    const len = this.length();
    const start = this.pos;
    this.pos += len;
    return decodeString(this.buf, start, start + len);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.int64();
        return;
      case 1:
        if (this.pos + 8 > this.end) throw new ProtobufDecodeError('unexpected end of data');
        this.pos += 8;
        return;
      case 2: {
        const len = this.length();
        this.pos += len;
        return;
      }
      case 5:
        if (this.pos + 4 > this.end) throw new ProtobufDecodeError('unexpected end of data');
        this.pos += 4;
        return;
      default:
        throw new ProtobufDecodeError(`invalid wire type ${wireType}`);
    }
  }
}

/**
 * Label names and values repeat across series and requests, so short strings are interned: a small
 * direct-mapped cache keyed by a hash of the bytes. A hit costs a byte compare and returns a shared string,
 * which is cheaper than building one and keeps the receiver's heap small.
 */
const INTERN_SIZE = 8192;
const internBytes: (Uint8Array | undefined)[] = new Array(INTERN_SIZE);
const internStrings: string[] = new Array(INTERN_SIZE);
const INTERN_MAX_LEN = 64;

function decodeString(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > INTERN_MAX_LEN) return utf8.decode(buf.subarray(start, end));
  let h = 0x811c9dc5 ^ n;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  const slot = (h >>> 0) & (INTERN_SIZE - 1);
  const cached = internBytes[slot];
  if (cached !== undefined && cached.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (cached[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return internStrings[slot];
  }
  const s = utf8.decode(buf.subarray(start, end));
  internBytes[slot] = buf.slice(start, end);
  internStrings[slot] = s;
  return s;
}

/**
 * Label sets of series seen before, keyed by a hash of the exact bytes of their TimeSeries label fields.
 * A sender re-sends the same series every interval with byte-identical labels; a hit skips decoding (and,
 * for the receiver, validating and sorting) them. What is stored is the caller's final form of the labels —
 * the receiver stores the storage's own label array — so the cache costs one Map entry per series rather
 * than a second copy of every label set. A hit is verified by comparing the wire bytes with the stored
 * labels (same names and values, same order, nothing else), so it always equals what decoding would give;
 * non-ASCII label sets are never hits and are decoded every time. Two generations bound the size: when the
 * current one is full it becomes the previous one, and entries still in use are carried over on their next
 * hit, so at most 2 × maxEntries label sets are referenced.
 */
export class SeriesLabelCache {
  private cur = new Map<number, Labels>();
  private prev = new Map<number, Labels>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 1 << 17) {}

  /** The stored labels whose encoding is exactly buf[start, end), if any. */
  get(hash: number, buf: Uint8Array, start: number, end: number): Labels | undefined {
    let v = this.cur.get(hash);
    if (v === undefined) {
      v = this.prev.get(hash);
      if (v !== undefined && encodesLabels(buf, start, end, v)) {
        this.prev.delete(hash);
        this.put(hash, v);
        this.hits++;
        return v;
      }
    } else if (encodesLabels(buf, start, end, v)) {
      this.hits++;
      return v;
    }
    this.misses++;
    return undefined;
  }

  /**
   * Stores the final form of the labels of a series decoded with `labelsHash` set. They must be the same
   * label sequence as decoded (an entry that is not is never hit).
   */
  put(hash: number, labels: Labels): void {
    if (this.cur.size >= this.maxEntries) {
      this.prev = this.cur;
      this.cur = new Map();
    }
    this.cur.set(hash, labels);
  }

  get size(): number {
    return this.cur.size + this.prev.size;
  }
}

/** Hash of buf[start, end), four bytes at a time; 30 bits so that Map keys stay small integers. */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x9747b28c ^ (end - start);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    h = Math.imul(h ^ Math.imul(k, 0xcc9e2d51), 0x1b873593);
    h = (h << 13) | (h >>> 19);
  }
  for (; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h & 0x3fffffff;
}

/** Reads a small varint (a length within a label run); -1 if it does not fit 21 bits or runs past end. */
function smallVarint(buf: Uint8Array, pos: number, end: number, out: { pos: number }): number {
  let v = 0;
  for (let shift = 0; shift < 21; shift += 7) {
    if (pos >= end) return -1;
    const b = buf[pos++];
    v |= (b & 0x7f) << shift;
    if (b < 0x80) {
      out.pos = pos;
      return v;
    }
  }
  return -1;
}

const cursorOut = { pos: 0 };

/** True when buf[pos, pos+n) is exactly the ASCII string s. */
function sameAscii(buf: Uint8Array, pos: number, n: number, s: string): boolean {
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c !== buf[pos + i] || c >= 0x80) return false;
  }
  return true;
}

/**
 * True when buf[pos, end) is the run of TimeSeries.labels fields encoding exactly `labels`, in order, each as
 * name (field 1) then value (field 2) and nothing else — the layout every sender writes.
 */
function encodesLabels(buf: Uint8Array, pos: number, end: number, labels: Labels): boolean {
  const o = cursorOut;
  let i = 0;
  while (pos < end) {
    if (i >= labels.length || buf[pos] !== 0x0a) return false;
    const len = smallVarint(buf, pos + 1, end, o);
    if (len < 0) return false;
    pos = o.pos;
    const msgEnd = pos + len;
    const l = labels[i++];
    if (buf[pos] !== 0x0a) return false;
    const nl = smallVarint(buf, pos + 1, msgEnd, o);
    if (nl < 0 || !sameAscii(buf, o.pos, nl, l.name)) return false;
    pos = o.pos + nl;
    if (buf[pos] !== 0x12) return false;
    const vl = smallVarint(buf, pos + 1, msgEnd, o);
    if (vl < 0 || !sameAscii(buf, o.pos, vl, l.value)) return false;
    pos = o.pos + vl;
    if (pos !== msgEnd) return false;
  }
  return i === labels.length && pos === end;
}

/** Label sets longer than this (bytes) are decoded every time rather than cached. */
const SERIES_KEY_MAX = 4096;

function expectWireType(field: string, got: number, want: number): void {
  if (got !== want) throw new ProtobufDecodeError(`field ${field}: wire type ${got}, expected ${want}`);
}

function decodeLabel(c: Cursor, end: number): Label {
  const outerEnd = c.end;
  c.end = end;
  let name = '';
  let value = '';
  while (c.pos < end) {
    const tag = c.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      expectWireType('Label.name', wt, 2);
      name = c.string();
    } else if (field === 2) {
      expectWireType('Label.value', wt, 2);
      value = c.string();
    } else c.skip(wt);
  }
  c.end = outerEnd;
  return { name, value };
}

function decodeSample(c: Cursor, end: number, into: SeriesScratch): void {
  const outerEnd = c.end;
  c.end = end;
  let v = 0;
  let t = 0;
  while (c.pos < end) {
    const tag = c.uint32();
    if (tag === 0x09) v = c.double();
    else if (tag === 0x10) t = c.int64();
    else {
      const field = tag >>> 3;
      if (field === 1 || field === 2) throw new ProtobufDecodeError(`Sample field ${field}: unexpected wire type ${tag & 7}`);
      c.skip(tag & 7);
    }
  }
  c.end = outerEnd;
  into.push(t, v);
}

function decodeExemplar(c: Cursor, end: number): WriteExemplar {
  const outerEnd = c.end;
  c.end = end;
  const labels: Label[] = [];
  let value = 0;
  let t = 0;
  while (c.pos < end) {
    const tag = c.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      expectWireType('Exemplar.labels', wt, 2);
      const len = c.length();
      labels.push(decodeLabel(c, c.pos + len));
    } else if (field === 2) {
      expectWireType('Exemplar.value', wt, 1);
      value = c.double();
    } else if (field === 3) {
      expectWireType('Exemplar.timestamp', wt, 0);
      t = c.int64();
    } else c.skip(wt);
  }
  c.end = outerEnd;
  return { labels, value, t };
}

/**
 * End of the run of TimeSeries.labels fields (tag 0x0a) starting at pos, or -1 when a length is malformed
 * (the ordinary decoder then reports the error).
 */
function labelRunEnd(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && buf[pos] === 0x0a) {
    pos++;
    let len = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= end || shift > 28) return -1;
      b = buf[pos++];
      len |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (len < 0 || pos + len > end) return -1;
    pos += len;
  }
  return pos;
}

/**
 * One TimeSeries being decoded. Reused from series to series: samples go into typed arrays rather than an
 * object each, which matters on the ingest path where most series carry one sample.
 */
class SeriesScratch {
  labels: Label[] = [];
  /** labels came from the cache (shared, read-only). */
  cached = false;
  /** Key for SeriesLabelCache.put when not cached; -1 when the series cannot be cached. */
  hash = -1;
  n = 0;
  ts = new Float64Array(16);
  vs = new Float64Array(16);
  exemplars: WriteExemplar[] | undefined;
  histogramCount = 0;

  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.n * 2);
      ts.set(this.ts);
      const vs = new Float64Array(this.n * 2);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  toWriteSeries(): WriteSeries {
    const samples = new Array<{ t: number; v: number }>(this.n);
    for (let i = 0; i < this.n; i++) samples[i] = { t: this.ts[i], v: this.vs[i] };
    const s: WriteSeries = { labels: this.labels, samples };
    if (this.cached) s.cachedLabels = true;
    else if (this.hash >= 0) s.labelsHash = this.hash;
    if (this.exemplars) s.exemplars = this.exemplars;
    if (this.histogramCount) s.histogramCount = this.histogramCount;
    return s;
  }
}

function decodeTimeSeries(c: Cursor, end: number, cache: SeriesLabelCache | undefined, out: SeriesScratch): void {
  const outerEnd = c.end;
  c.end = end;
  let labels: Label[] = [];
  let hash = -1;
  let cachedLabels = false;
  let runEnd = -1;
  out.n = 0;
  out.exemplars = undefined;
  out.histogramCount = 0;
  if (cache !== undefined) {
    // Senders write the labels first and contiguously; only that (usual) layout is cached.
    runEnd = labelRunEnd(c.buf, c.pos, end);
    if (runEnd > c.pos && runEnd - c.pos <= SERIES_KEY_MAX) {
      hash = hashBytes(c.buf, c.pos, runEnd);
      const hit = cache.get(hash, c.buf, c.pos, runEnd);
      if (hit !== undefined) {
        // Shared with the cache (and the storage): read-only, see WriteSeries.cachedLabels.
        labels = hit as Label[];
        cachedLabels = true;
        c.pos = runEnd;
      }
    }
  }
  while (c.pos < end) {
    const tagStart = c.pos;
    const tag = c.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      expectWireType('TimeSeries.labels', wt, 2);
      const len = c.length();
      if (tagStart >= runEnd) {
        // More labels after the samples: rare; this series is decoded without the cache.
        if (cachedLabels) labels = labels.slice();
        cachedLabels = false;
        hash = -1;
      }
      labels.push(decodeLabel(c, c.pos + len));
    } else if (field === 2) {
      expectWireType('TimeSeries.samples', wt, 2);
      const len = c.length();
      decodeSample(c, c.pos + len, out);
    } else if (field === 3) {
      expectWireType('TimeSeries.exemplars', wt, 2);
      const len = c.length();
      (out.exemplars ??= []).push(decodeExemplar(c, c.pos + len));
    } else if (field === 4) {
      expectWireType('TimeSeries.histograms', wt, 2);
      c.skip(wt);
      out.histogramCount++;
    } else c.skip(wt);
  }
  c.end = outerEnd;
  out.labels = labels;
  out.cached = cachedLabels;
  out.hash = cachedLabels ? -1 : hash;
}

function decodeMetadata(c: Cursor, end: number): WriteMetadata {
  const outerEnd = c.end;
  c.end = end;
  const md: WriteMetadata = { type: 'unknown', metricFamilyName: '', help: '', unit: '' };
  while (c.pos < end) {
    const tag = c.uint32();
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      expectWireType('MetricMetadata.type', wt, 0);
      md.type = METRIC_TYPES[c.int64()] ?? 'unknown';
    } else if (field === 2) {
      expectWireType('MetricMetadata.metric_family_name', wt, 2);
      md.metricFamilyName = c.string();
    } else if (field === 4) {
      expectWireType('MetricMetadata.help', wt, 2);
      md.help = c.string();
    } else if (field === 5) {
      expectWireType('MetricMetadata.unit', wt, 2);
      md.unit = c.string();
    } else c.skip(wt);
  }
  c.end = outerEnd;
  return md;
}

/**
 * Decodes an uncompressed prometheus.WriteRequest. Throws ProtobufDecodeError on malformed input.
 * With a cache, series whose label bytes were seen before get the labels stored for them (see SeriesLabelCache);
 * the others carry `labelsHash`, under which the caller may store their final form.
 */
export function decodeWriteRequest(buf: Uint8Array, cache?: SeriesLabelCache): DecodedWriteRequest {
  const series: WriteSeries[] = [];
  const metadata = visitWriteRequest(buf, cache, (s) => series.push((s as SeriesScratch).toWriteSeries()));
  return { series, metadata };
}

/** One decoded series as visitWriteRequest hands it over; valid only during the callback. */
export interface VisitedSeries {
  /** As received; shared and read-only when `cached` (the array stored with SeriesLabelCache.put). */
  readonly labels: Label[];
  readonly cached: boolean;
  /** Key for SeriesLabelCache.put (not cached and cacheable), else -1. */
  readonly hash: number;
  /** Number of samples; their timestamps and values are ts[0..n) and vs[0..n). */
  readonly n: number;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
  readonly exemplars: WriteExemplar[] | undefined;
  readonly histogramCount: number;
}

const visitScratch = new SeriesScratch();
let visitScratchBusy = false;

/**
 * Decodes a WriteRequest series by series without building an object per series or sample: `onSeries` sees
 * each one as it is decoded (in order; the view is reused, copy what you keep). Returns the metadata. Throws
 * ProtobufDecodeError on malformed input — possibly after some series were visited.
 */
export function visitWriteRequest(buf: Uint8Array, cache: SeriesLabelCache | undefined, onSeries: (s: VisitedSeries) => void): WriteMetadata[] {
  const c = new Cursor(buf, 0, buf.length);
  const metadata: WriteMetadata[] = [];
  // The shared scratch is free unless this is a visit from within another one's callback.
  const reuse = !visitScratchBusy;
  const scratch = reuse ? visitScratch : new SeriesScratch();
  visitScratchBusy = true;
  try {
    while (c.pos < c.end) {
      const tag = c.uint32();
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 0) throw new ProtobufDecodeError('invalid field number 0');
      if (field === 1) {
        expectWireType('WriteRequest.timeseries', wt, 2);
        const len = c.length();
        decodeTimeSeries(c, c.pos + len, cache, scratch);
        onSeries(scratch);
      } else if (field === 3) {
        expectWireType('WriteRequest.metadata', wt, 2);
        const len = c.length();
        metadata.push(decodeMetadata(c, c.pos + len));
      } else c.skip(wt);
    }
  } finally {
    if (reuse) {
      visitScratchBusy = false;
      scratch.labels = [];
      scratch.exemplars = undefined;
    }
  }
  return metadata;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

export interface EncodeSeries {
  labels: Labels;
  samples: readonly Sample[];
  exemplars?: readonly WriteExemplar[];
}

function varintSize(v: number): number {
  if (v < 0) return 10;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  let x = Math.floor(v / 0x800000000);
  while (x > 0) {
    n++;
    x = Math.floor(x / 128);
  }
  return n;
}

class Writer {
  pos = 0;
  private readonly view: DataView;
  constructor(readonly buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  varint(v: number): void {
    const buf = this.buf;
    if (v < 0) {
      // Two's complement 64-bit, always 10 bytes.
      let lo = v % TWO_32;
      let hi = Math.floor(v / TWO_32);
      lo = lo >>> 0;
      hi = hi >>> 0;
      for (let i = 0; i < 9; i++) {
        buf[this.pos++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      buf[this.pos++] = lo & 0x01;
      return;
    }
    while (v >= 0x80) {
      buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }
  double(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  string(s: string, byteLen: number): void {
    this.varint(byteLen);
    if (byteLen > 0) this.buf.write(s, this.pos, byteLen, 'utf8');
    this.pos += byteLen;
  }
}

function labelSize(l: Label): { size: number; n: number; v: number } {
  const n = Buffer.byteLength(l.name, 'utf8');
  const v = Buffer.byteLength(l.value, 'utf8');
  return { size: 1 + varintSize(n) + n + 1 + varintSize(v) + v, n, v };
}

function sampleSize(s: Sample): number {
  return 1 + 8 + (s.t === 0 ? 0 : 1 + varintSize(s.t));
}

/** Encodes series (and optional metadata) as an uncompressed prometheus.WriteRequest. */
export function encodeWriteRequest(series: readonly EncodeSeries[], metadata: readonly WriteMetadata[] = []): Uint8Array {
  // First pass: sizes, so the output is written once into an exact-size buffer.
  const seriesSizes = new Array<number>(series.length);
  const labelSizes: { size: number; n: number; v: number }[][] = new Array(series.length);
  let total = 0;
  for (let i = 0; i < series.length; i++) {
    const s = series[i];
    let size = 0;
    const ls = s.labels.map(labelSize);
    labelSizes[i] = ls;
    for (const l of ls) size += 1 + varintSize(l.size) + l.size;
    for (const smp of s.samples) {
      const ss = sampleSize(smp);
      size += 1 + varintSize(ss) + ss;
    }
    for (const e of s.exemplars ?? []) {
      const es = exemplarSize(e);
      size += 1 + varintSize(es) + es;
    }
    seriesSizes[i] = size;
    total += 1 + varintSize(size) + size;
  }
  const mdSizes = metadata.map(metadataSize);
  for (const m of mdSizes) total += 1 + varintSize(m.size) + m.size;

  const w = new Writer(Buffer.allocUnsafe(total));
  for (let i = 0; i < series.length; i++) {
    const s = series[i];
    w.buf[w.pos++] = 0x0a;
    w.varint(seriesSizes[i]);
    const ls = labelSizes[i];
    for (let j = 0; j < s.labels.length; j++) writeLabel(w, s.labels[j], ls[j]);
    for (const smp of s.samples) {
      const ss = sampleSize(smp);
      w.buf[w.pos++] = 0x12;
      w.varint(ss);
      w.buf[w.pos++] = 0x09;
      w.double(smp.v);
      if (smp.t !== 0) {
        w.buf[w.pos++] = 0x10;
        w.varint(smp.t);
      }
    }
    for (const e of s.exemplars ?? []) {
      w.buf[w.pos++] = 0x1a;
      w.varint(exemplarSize(e));
      for (const l of e.labels) writeLabel(w, l, labelSize(l));
      w.buf[w.pos++] = 0x11;
      w.double(e.value);
      if (e.t !== 0) {
        w.buf[w.pos++] = 0x18;
        w.varint(e.t);
      }
    }
  }
  for (let i = 0; i < metadata.length; i++) {
    const m = metadata[i];
    const ms = mdSizes[i];
    w.buf[w.pos++] = 0x1a;
    w.varint(ms.size);
    const typeNum = METRIC_TYPES.indexOf(m.type);
    if (typeNum > 0) {
      w.buf[w.pos++] = 0x08;
      w.varint(typeNum);
    }
    if (ms.name) {
      w.buf[w.pos++] = 0x12;
      w.string(m.metricFamilyName, ms.name);
    }
    if (ms.help) {
      w.buf[w.pos++] = 0x22;
      w.string(m.help, ms.help);
    }
    if (ms.unit) {
      w.buf[w.pos++] = 0x2a;
      w.string(m.unit, ms.unit);
    }
  }
  if (w.pos !== total) throw new Error(`encodeWriteRequest: size mismatch ${w.pos} != ${total}`);
  return w.buf;
}

function writeLabel(w: Writer, l: Label, ls: { size: number; n: number; v: number }): void {
  w.buf[w.pos++] = 0x0a;
  w.varint(ls.size);
  w.buf[w.pos++] = 0x0a;
  w.string(l.name, ls.n);
  w.buf[w.pos++] = 0x12;
  w.string(l.value, ls.v);
}

function exemplarSize(e: WriteExemplar): number {
  let size = 0;
  for (const l of e.labels) {
    const ls = labelSize(l);
    size += 1 + varintSize(ls.size) + ls.size;
  }
  size += 1 + 8;
  if (e.t !== 0) size += 1 + varintSize(e.t);
  return size;
}

function metadataSize(m: WriteMetadata): { size: number; name: number; help: number; unit: number } {
  const name = Buffer.byteLength(m.metricFamilyName, 'utf8');
  const help = Buffer.byteLength(m.help, 'utf8');
  const unit = Buffer.byteLength(m.unit, 'utf8');
  const typeNum = METRIC_TYPES.indexOf(m.type);
  let size = typeNum > 0 ? 1 + varintSize(typeNum) : 0;
  if (name) size += 1 + varintSize(name) + name;
  if (help) size += 1 + varintSize(help) + help;
  if (unit) size += 1 + varintSize(unit) + unit;
  return { size, name, help, unit };
}

// ---------------------------------------------------------------------------------------------------------
// Snappy block format (not the framed/stream format): what remote_write 1.0 uses.

export class SnappyDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnappyDecodeError';
  }
}

/**
 * The uncompressed length a snappy block declares in its header (a varint), or -1 if the header is
 * malformed. Lets the receiver refuse a decompression bomb before allocating for it.
 */
export function snappyDecodedLength(buf: Uint8Array): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < buf.length; i++) {
    const b = buf[i];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result > 0xffffffff ? -1 : result;
    mul *= 128;
  }
  return -1;
}

export function snappyCompress(data: Uint8Array): Buffer {
  return snappy.compressSync(data);
}

/** Decompresses a snappy block; throws SnappyDecodeError on corrupt input. */
export function snappyUncompress(data: Uint8Array): Buffer {
  try {
    const out = snappy.uncompressSync(data, { asBuffer: true });
    return out as Buffer;
  } catch (err) {
    throw new SnappyDecodeError(err instanceof Error ? err.message : String(err));
  }
}
