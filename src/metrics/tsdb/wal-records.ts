/**
 * Binary WAL record formats for the TSDB head (no JSON on the hot path):
 *   SERIES  [1][nsym][sym...][n][ (ref, nlabels, (nameSym, valueSym)*) ...]   per-record symbol table
 *   SAMPLES [2][n][baseRef][baseT][ (refDelta zz, tDelta zz, f64 LE bits) ...]
 *   CHUNKS  [5][n][ (ref, minT zz, maxT zz, len, bytes) ...]                    checkpoints only
 */
import { ByteReader, ByteWriter } from '../../lib/encoding/bytes.js';
import type { Labels } from '../../model/labels.js';

export const REC_SERIES = 1;
export const REC_SAMPLES = 2;
export const REC_CHUNKS = 5;

export function encodeSeries(w: ByteWriter, refs: readonly number[], labelSets: readonly Labels[]): void {
  const symIdx = new Map<string, number>();
  const syms: string[] = [];
  const sym = (s: string): number => {
    let i = symIdx.get(s);
    if (i === undefined) {
      i = syms.length;
      syms.push(s);
      symIdx.set(s, i);
    }
    return i;
  };
  const body = new ByteWriter(64 + refs.length * 16);
  body.uvarint(refs.length);
  for (let i = 0; i < refs.length; i++) {
    body.uvarint(refs[i]);
    const ls = labelSets[i];
    body.uvarint(ls.length);
    for (const l of ls) {
      body.uvarint(sym(l.name));
      body.uvarint(sym(l.value));
    }
  }
  w.u8(REC_SERIES);
  w.uvarint(syms.length);
  for (const s of syms) w.str(s);
  w.bytes(body.buf.subarray(0, body.pos));
}

/** Decodes a SERIES record; `intern` maps decoded strings to canonical ones. */
export function decodeSeries(
  rec: Uint8Array,
  intern: (s: string) => string,
  onSeries: (ref: number, names: string[], values: string[], n: number) => void,
): void {
  const r = new ByteReader(rec, 1);
  const nsym = r.uvarint();
  const syms = new Array<string>(nsym);
  for (let i = 0; i < nsym; i++) syms[i] = intern(r.str());
  const n = r.uvarint();
  // Reused for every series of the record; onSeries must not keep them.
  const names: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < n; i++) {
    const ref = r.uvarint();
    const nl = r.uvarint();
    for (let j = 0; j < nl; j++) {
      const ni = r.uvarint();
      const vi = r.uvarint();
      if (ni >= nsym || vi >= nsym) throw new RangeError('bad symbol reference');
      names[j] = syms[ni];
      values[j] = syms[vi];
    }
    onSeries(ref, names, values, nl);
  }
}

/** Samples as parallel arrays; values as raw bits laid out like a little-endian Float64Array (vbits[2i]=lo, [2i+1]=hi). */
export function encodeSamples(
  w: ByteWriter,
  n: number,
  refs: ArrayLike<number>,
  ts: ArrayLike<number>,
  vbits: ArrayLike<number>,
): void {
  w.u8(REC_SAMPLES);
  w.uvarint(n);
  if (n === 0) return;
  const baseRef = refs[0];
  const baseT = ts[0];
  w.uvarint(baseRef);
  w.varint(baseT);
  w.ensure(n * 30);
  for (let i = 0; i < n; i++) {
    w.varint(refs[i] - baseRef);
    w.varint(ts[i] - baseT);
    w.f64bits(vbits[2 * i + 1], vbits[2 * i]);
  }
}

/**
 * Decodes a SAMPLES record without per-sample allocations: onSample gets the value as raw bits (hi, lo).
 */
export function decodeSamples(
  rec: Uint8Array,
  onSample: (ref: number, t: number, hi: number, lo: number) => void,
): void {
  const r = new ByteReader(rec, 1);
  const n = r.uvarint();
  if (n === 0) return;
  const baseRef = r.uvarint();
  const baseT = r.varint();
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  for (let i = 0; i < n; i++) {
    const ref = baseRef + r.varint();
    const t = baseT + r.varint();
    if (r.pos + 8 > r.end) throw new RangeError('samples record truncated');
    const lo = dv.getUint32(r.pos, true);
    const hi = dv.getUint32(r.pos + 4, true);
    r.pos += 8;
    onSample(ref, t, hi, lo);
  }
}

export interface ChunkRecordEntry {
  ref: number;
  minT: number;
  maxT: number;
  bytes: Uint8Array;
}

export function encodeChunksRecord(w: ByteWriter, entries: readonly ChunkRecordEntry[]): void {
  w.u8(REC_CHUNKS);
  w.uvarint(entries.length);
  for (const e of entries) {
    w.uvarint(e.ref);
    w.varint(e.minT);
    w.varint(e.maxT);
    w.uvarint(e.bytes.length);
    w.bytes(e.bytes);
  }
}

export function decodeChunksRecord(rec: Uint8Array, onChunk: (e: ChunkRecordEntry) => void): void {
  const r = new ByteReader(rec, 1);
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    const ref = r.uvarint();
    const minT = r.varint();
    const maxT = r.varint();
    const len = r.uvarint();
    onChunk({ ref, minT, maxT, bytes: r.bytes(len) });
  }
}
