/**
 * Pre-encoded remote_write requests. Each batch of series is encoded once with `encodeWriteRequest`
 * (one sample per series) and snappy-compressed once; per round only the 8-byte value and the timestamp
 * varint of each series are rewritten, directly in the compressed body (see CompressedTemplate). Every
 * timestamp of a run has the same varint length (2^35..2^42 ms, i.e. years 1971..2109), so the layout never
 * moves. This keeps the load generator far cheaper than the servers it feeds, which matters on a 2-core
 * machine where both compete for CPU.
 */
import { encodeWriteRequest, snappyCompress, type EncodeSeries } from '../../src/metrics/remote/codec.js';
import { targetTimestamp, type SeriesSet } from './series.js';

const MIN_T = 2 ** 35;
const MAX_T = 2 ** 42 - 1;

export interface BatchTemplate {
  /** Series index range [first, end) in the set. */
  readonly first: number;
  readonly end: number;
  readonly buf: Buffer;
  /** Byte offset of each series' sample value (little-endian double). */
  readonly valueOffsets: Uint32Array;
  /** Byte offset of each series' sample timestamp varint (6 bytes). */
  readonly timeOffsets: Uint32Array;
}

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    v += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [v, pos];
    mul *= 128;
  }
}

/** Encodes series [first, end) with a placeholder sample and records where each sample's fields sit. */
export function buildTemplate(set: SeriesSet, first: number, end: number): BatchTemplate {
  const series: EncodeSeries[] = [];
  for (let i = first; i < end; i++) series.push({ labels: set.labels[i], samples: [{ t: MIN_T, v: 0 }] });
  const buf = Buffer.from(encodeWriteRequest(series));
  const valueOffsets = new Uint32Array(end - first);
  const timeOffsets = new Uint32Array(end - first);
  // Walk WriteRequest.timeseries (field 1) and, inside each, TimeSeries.samples (field 2).
  let pos = 0;
  let k = 0;
  while (pos < buf.length) {
    if (buf[pos] !== 0x0a) throw new Error(`template: unexpected WriteRequest tag ${buf[pos]} at ${pos}`);
    const [len, start] = readVarint(buf, pos + 1);
    const tsEnd = start + len;
    let p = start;
    while (p < tsEnd) {
      const tag = buf[p];
      const [flen, fstart] = readVarint(buf, p + 1);
      if (tag === 0x12) {
        // Sample: 0x09 <double> 0x10 <varint t>
        if (buf[fstart] !== 0x09 || buf[fstart + 9] !== 0x10) throw new Error('template: unexpected Sample layout');
        valueOffsets[k] = fstart + 1;
        timeOffsets[k] = fstart + 10;
      }
      p = fstart + flen;
    }
    pos = tsEnd;
    k++;
  }
  if (k !== end - first) throw new Error(`template: found ${k} series, expected ${end - first}`);
  return { first, end, buf, valueOffsets, timeOffsets };
}

/** Templates for consecutive batches of `batchSize` series, each compressed once. */
export function buildTemplates(set: SeriesSet, batchSize: number): CompressedTemplate[] {
  const out: CompressedTemplate[] = [];
  for (let first = 0; first < set.values.length; first += batchSize) {
    out.push(compressTemplate(buildTemplate(set, first, Math.min(set.values.length, first + batchSize)), first + 1));
  }
  return out;
}

function varint6(v: number, out: Uint8Array): void {
  if (v < MIN_T || v > MAX_T || !Number.isInteger(v)) throw new Error(`timestamp ${v} outside the fixed 6-byte varint range`);
  for (let i = 0; i < 5; i++) {
    out[i] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[5] = v;
}

/**
 * The template compressed once, with the byte positions in the compressed stream where each sample's
 * value and timestamp land. A round is produced by copying the compressed template and overwriting those
 * bytes: no compression per round, and the body stays what snappy made of a real request (labels
 * compressed, values and timestamps as literals, which is what snappy does with unpredictable bytes).
 */
export interface CompressedTemplate {
  readonly tpl: BatchTemplate;
  readonly compressed: Buffer;
  /** 8 positions per series. */
  readonly valuePos: Uint32Array;
  /** 6 positions per series. */
  readonly timePos: Uint32Array;
}

function uvarintBytes(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/**
 * Re-encodes a snappy block (format: google/snappy format_description.txt) so that every byte marked in
 * `isPatch` is stored as a literal and no copy reads from one: snappy may have extended a match into
 * (or copied from) those bytes by chance, which would make them impossible to overwrite in place. Copy
 * bytes that touch patchable bytes become literals with the original content; everything else is kept.
 * Returns the new block and, for every output position, its position in the block (-1 if not a literal).
 */
export function reencodeForPatching(comp: Uint8Array, plain: Uint8Array, isPatch: Uint8Array): { block: Buffer; literalAt: Int32Array } {
  let pos = 0;
  let outLen = 0;
  for (let shift = 0; ; shift += 7) {
    const b = comp[pos++];
    outLen += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) break;
  }
  if (outLen !== plain.length) throw new Error(`snappy block: header says ${outLen} bytes, template has ${plain.length}`);
  let dst = new Uint8Array(comp.length * 2 + 64);
  let dlen = 0;
  const push = (b: number): void => {
    if (dlen === dst.length) {
      const bigger = new Uint8Array(dst.length * 2);
      bigger.set(dst);
      dst = bigger;
    }
    dst[dlen++] = b;
  };
  for (const b of uvarintBytes(outLen)) push(b);
  const literalAt = new Int32Array(outLen).fill(-1);
  let litStart = -1; // output position where the pending literal run starts
  const flushLiteral = (end: number): void => {
    if (litStart < 0) return;
    const len = end - litStart;
    if (len - 1 < 60) push((len - 1) << 2);
    else {
      const lenBytes: number[] = [];
      for (let v = len - 1; v > 0; v = Math.floor(v / 256)) lenBytes.push(v & 0xff);
      push((59 + lenBytes.length) << 2);
      for (const b of lenBytes) push(b);
    }
    for (let i = litStart; i < end; i++) {
      literalAt[i] = dlen;
      push(plain[i]);
    }
    litStart = -1;
  };
  const emitCopy = (offset: number, len: number): void => {
    while (len > 0) {
      // Keep snappy's own choice of element where it fits: 2-byte copies for short, near matches.
      const n = len >= 4 && len <= 11 && offset < 2048 ? len : Math.min(64, len);
      if (n >= 4 && n <= 11 && offset < 2048) {
        push(((offset >>> 8) << 5) | ((n - 4) << 2) | 1);
        push(offset & 0xff);
      } else if (offset < 65536) {
        push(((n - 1) << 2) | 2);
        push(offset & 0xff);
        push(offset >>> 8);
      } else {
        push(((n - 1) << 2) | 3);
        push(offset & 0xff);
        push((offset >>> 8) & 0xff);
        push((offset >>> 16) & 0xff);
        push(Math.floor(offset / 2 ** 24) & 0xff);
      }
      len -= n;
    }
  };
  let out = 0;
  while (pos < comp.length) {
    const tag = comp[pos++];
    const type = tag & 3;
    if (type === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const nbytes = len - 59;
        len = 0;
        for (let i = 0; i < nbytes; i++) len += comp[pos++] * 2 ** (8 * i);
      }
      len += 1;
      if (litStart < 0) litStart = out;
      pos += len;
      out += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | comp[pos++];
    } else if (type === 2) {
      len = 1 + (tag >>> 2);
      offset = comp[pos] | (comp[pos + 1] << 8);
      pos += 2;
    } else {
      len = 1 + (tag >>> 2);
      offset = (comp[pos] | (comp[pos + 1] << 8) | (comp[pos + 2] << 16)) + comp[pos + 3] * 2 ** 24;
      pos += 4;
    }
    // Split the copy into runs of clean bytes (kept as copies) and dirty bytes (turned into literals).
    let i = out;
    const end = out + len;
    while (i < end) {
      const dirty = isPatch[i] === 1 || isPatch[i - offset] === 1;
      let j = i + 1;
      while (j < end && (isPatch[j] === 1 || isPatch[j - offset] === 1) === dirty) j++;
      if (dirty) {
        if (litStart < 0) litStart = i;
      } else {
        flushLiteral(i);
        emitCopy(offset, j - i);
      }
      i = j;
    }
    out = end;
  }
  flushLiteral(out);
  if (out !== outLen) throw new Error(`snappy block: decoded ${out} bytes, header says ${outLen}`);
  return { block: Buffer.from(dst.subarray(0, dlen)), literalAt };
}

export function compressTemplate(tpl: BatchTemplate, seed = 1): CompressedTemplate {
  const n = tpl.end - tpl.first;
  const valuePos = new Uint32Array(n * 8);
  const timePos = new Uint32Array(n * 6);
  // Random placeholders, so snappy treats sample bytes as the unpredictable data they are.
  let state = seed >>> 0 || 1;
  const plain = Buffer.from(tpl.buf);
  const isPatch = new Uint8Array(plain.length);
  for (let k = 0; k < n; k++) {
    for (const [off, len] of [
      [tpl.valueOffsets[k], 8],
      [tpl.timeOffsets[k], 6],
    ]) {
      for (let j = 0; j < len; j++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        plain[off + j] = state & 0xff;
        isPatch[off + j] = 1;
      }
    }
  }
  const { block, literalAt } = reencodeForPatching(snappyCompress(plain), plain, isPatch);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < 8; j++) valuePos[k * 8 + j] = literalAt[tpl.valueOffsets[k] + j];
    for (let j = 0; j < 6; j++) timePos[k * 6 + j] = literalAt[tpl.timeOffsets[k] + j];
  }
  return { tpl, compressed: block, valuePos, timePos };
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const tBytes = new Uint8Array(6);

/**
 * The snappy-compressed body of one batch for one round: the set's current values and this round's
 * per-target timestamps. Returns a new buffer each time (bodies may still be in flight).
 */
export function fillAndCompress(set: SeriesSet, ct: CompressedTemplate, roundStartMs: number, round: number): Buffer {
  const { tpl, compressed, valuePos, timePos } = ct;
  const { first, end } = tpl;
  const body = Buffer.allocUnsafe(compressed.length);
  compressed.copy(body);
  let lastTarget = -1;
  for (let i = first; i < end; i++) {
    const k = i - first;
    const target = set.targetOf[i];
    if (target !== lastTarget) {
      varint6(targetTimestamp(set, target, roundStartMs, round), tBytes);
      lastTarget = target;
    }
    f64[0] = set.values[i];
    const vp = k * 8;
    if (littleEndian) for (let j = 0; j < 8; j++) body[valuePos[vp + j]] = f64Bytes[j];
    else for (let j = 0; j < 8; j++) body[valuePos[vp + j]] = f64Bytes[7 - j];
    const tp = k * 6;
    for (let j = 0; j < 6; j++) body[timePos[tp + j]] = tBytes[j];
  }
  return body;
}
