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

/** Encodes a push request (used by the agent and by tests that play Promtail). */
export function encodePushProtobuf(streams: { labels: string; entries: PushEntry[] }[]): Uint8Array {
  const t = pushRequestType();
  return t
    .encode(
      t.fromObject({
        streams: streams.map((s) => ({
          labels: s.labels,
          entries: s.entries.map((e) => ({
            timestamp: { seconds: String(e.ts / 1_000_000_000n), nanos: Number(e.ts % 1_000_000_000n) },
            line: e.line,
            structuredMetadata: e.metadata ? Object.entries(e.metadata).map(([name, value]) => ({ name, value })) : [],
          })),
        })),
      }),
    )
    .finish();
}
