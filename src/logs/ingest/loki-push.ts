/**
 * POST /loki/api/v1/push: decoding of Loki's two push encodings into streams of entries.
 *
 *  - JSON (`application/json`, optionally gzip): {"streams":[{"stream":{..},"values":[["<ns>","line",{meta}]]}]}
 *  - protobuf (`application/x-protobuf`, snappy block compressed): logproto.PushRequest, whose streams carry
 *    their labels as a `{name="value"}` string and entries may carry structured metadata.
 *
 * A malformed body fails as a whole (nothing stored) with a message naming the stream and entry.
 */
import type Long from 'long';
import { loadProtos } from '../../metrics/remote/proto.js';

export class PushDecodeError extends Error {}

export interface PushEntry {
  ts: bigint;
  line: string;
  metadata?: Record<string, string>;
}

export interface PushStream {
  /** From JSON: the label record; from protobuf: the raw label string (parsed and validated by the caller). */
  labels: Record<string, string> | string;
  entries: PushEntry[];
}

const NS_RE = /^-?\d{1,19}$/;

function parseTs(v: unknown, where: string): bigint {
  if (typeof v === 'string' && NS_RE.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw new PushDecodeError(`${where}: timestamp ${JSON.stringify(v)} is not a string of nanoseconds since the epoch`);
}

export function decodePushJson(text: string): PushStream[] {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new PushDecodeError(`invalid JSON push request: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new PushDecodeError('push request must be a JSON object with "streams"');
  const streams = (obj as { streams?: unknown }).streams;
  if (streams === undefined || streams === null) return [];
  if (!Array.isArray(streams)) throw new PushDecodeError('"streams" must be an array');
  const out: PushStream[] = [];
  streams.forEach((s: unknown, si) => {
    const where = `streams[${si}]`;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new PushDecodeError(`${where} must be an object`);
    const { stream, values } = s as { stream?: unknown; values?: unknown };
    const labels: Record<string, string> = {};
    if (stream !== undefined && stream !== null) {
      if (typeof stream !== 'object' || Array.isArray(stream)) throw new PushDecodeError(`${where}.stream must be an object of label names to values`);
      for (const [k, v] of Object.entries(stream)) {
        if (typeof v !== 'string') throw new PushDecodeError(`${where}.stream: label ${JSON.stringify(k)} has a non-string value`);
        labels[k] = v;
      }
    }
    if (values !== undefined && values !== null && !Array.isArray(values)) throw new PushDecodeError(`${where}.values must be an array`);
    const entries: PushEntry[] = [];
    ((values as unknown[] | undefined) ?? []).forEach((v, ei) => {
      const w = `${where}.values[${ei}]`;
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new PushDecodeError(`${w} must be [timestamp, line] or [timestamp, line, {structured metadata}]`);
      const ts = parseTs(v[0], w);
      if (typeof v[1] !== 'string') throw new PushDecodeError(`${w}: line must be a string`);
      const e: PushEntry = { ts, line: v[1] };
      if (v.length === 3 && v[2] !== null) {
        if (typeof v[2] !== 'object' || Array.isArray(v[2])) throw new PushDecodeError(`${w}: structured metadata must be an object of strings`);
        const meta: Record<string, string> = {};
        for (const [k, mv] of Object.entries(v[2] as Record<string, unknown>)) {
          if (typeof mv !== 'string') throw new PushDecodeError(`${w}: structured metadata ${JSON.stringify(k)} must be a string`);
          meta[k] = mv;
        }
        if (Object.keys(meta).length > 0) e.metadata = meta;
      }
      entries.push(e);
    });
    out.push({ labels, entries });
  });
  return out;
}

interface ProtoPush {
  streams?: {
    labels?: string;
    entries?: { timestamp?: { seconds?: number | Long | string; nanos?: number } | null; line?: string; structuredMetadata?: { name?: string; value?: string }[] }[];
  }[];
}

let pushType: ReturnType<typeof loadProtos> | undefined;

function pushRequestType() {
  pushType ??= loadProtos(['loki/push.proto']);
  return pushType.lookupType('logproto.PushRequest');
}

export function decodePushProtobuf(buf: Uint8Array): PushStream[] {
  let msg: ProtoPush;
  try {
    msg = pushRequestType().decode(buf) as unknown as ProtoPush;
  } catch (err) {
    throw new PushDecodeError(`invalid protobuf push request: ${err instanceof Error ? err.message : String(err)}`);
  }
  return (msg.streams ?? []).map((s) => ({
    labels: s.labels ?? '',
    entries: (s.entries ?? []).map((e) => {
      const secs = e.timestamp?.seconds ?? 0;
      const ts = BigInt(typeof secs === 'object' ? secs.toString() : secs) * 1_000_000_000n + BigInt(e.timestamp?.nanos ?? 0);
      const out: PushEntry = { ts, line: e.line ?? '' };
      if (e.structuredMetadata && e.structuredMetadata.length > 0) {
        const meta: Record<string, string> = {};
        for (const p of e.structuredMetadata) if (p.name) meta[p.name] = p.value ?? '';
        out.metadata = meta;
      }
      return out;
    }),
  }));
}

/**
 * Encodes a push request (used by the agent, the benchmark and tests that play Promtail). Hand-written: it is
 * on the agent's hot path and protobufjs's generic fromObject+encode is several times slower.
 */
export function encodePushProtobuf(streams: { labels: string; entries: PushEntry[] }[]): Uint8Array {
  const w = new ProtoWriter();
  for (const s of streams) {
    w.message(1, () => {
      w.string(1, s.labels);
      for (const e of s.entries) {
        w.message(2, () => {
          w.message(1, () => {
            let secs = e.ts / 1_000_000_000n;
            let nanos = Number(e.ts % 1_000_000_000n);
            if (nanos < 0) {
              secs -= 1n;
              nanos += 1_000_000_000;
            }
            if (secs !== 0n) w.varintField(1, secs);
            if (nanos !== 0) w.varintField(2, BigInt(nanos));
          });
          w.string(2, e.line);
          if (e.metadata) {
            for (const [name, value] of Object.entries(e.metadata)) {
              w.message(3, () => {
                w.string(1, name);
                w.string(2, value);
              });
            }
          }
        });
      }
    });
  }
  return w.finish();
}

/** A minimal protobuf writer: nested messages are written to a scratch buffer and length-prefixed on close. */
class ProtoWriter {
  private buf = Buffer.allocUnsafe(1 << 16);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private varint(v: bigint | number): void {
    this.ensure(10);
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  private smallVarint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  varintField(field: number, v: bigint): void {
    this.smallVarint(field << 3);
    this.varint(v);
  }

  string(field: number, s: string): void {
    const len = Buffer.byteLength(s);
    this.smallVarint((field << 3) | 2);
    this.smallVarint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  message(field: number, body: () => void): void {
    this.smallVarint((field << 3) | 2);
    // Reserve 5 bytes for the length, write the body, then move it left if the length needs fewer bytes.
    this.ensure(5);
    const lenAt = this.pos;
    this.pos += 5;
    body();
    const len = this.pos - lenAt - 5;
    let n = 1;
    while (len >= 2 ** (7 * n)) n++;
    if (n < 5) this.buf.copy(this.buf, lenAt + n, lenAt + 5, this.pos);
    let v = len;
    for (let i = 0; i < n; i++) {
      this.buf[lenAt + i] = i === n - 1 ? v : (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.pos -= 5 - n;
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
