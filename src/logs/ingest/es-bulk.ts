/**
 * Elasticsearch `_bulk` NDJSON: action lines (`index`/`create` with a source line after; `update` with one,
 * `delete` without) and the mapping of each document to a log entry:
 *
 *   ts       ← `@timestamp` | `timestamp` | `time`   (RFC 3339 string, or epoch number in s/ms/µs/ns by size)
 *   line     ← `message` | `log` | `msg`              (else the whole document as JSON)
 *   labels   ← `_index` as `index`, plus configured fields (default below), names sanitised
 *   traceId  ← `trace_id` | `traceId` | `trace.id`;  spanId ← `span_id` | `spanId` | `span.id`
 *   metadata ← every other field, flattened with `_` between path parts (`http.status` → `http_status`), so
 *              LogQL can name it; `level` comes from `level` | `severity` | `log.level`
 *
 * A malformed action line fails the whole request (as Elasticsearch does); a malformed document fails its
 * item only.
 */
import { sanitizeLabelName } from './labels.js';

export class BulkDecodeError extends Error {}

export type BulkOp = 'index' | 'create' | 'update' | 'delete';

export interface BulkItem {
  op: BulkOp;
  index: string;
  id?: string;
  /** The parsed source document (index/create), or the parse error message. */
  doc?: Record<string, unknown>;
  docError?: string;
  /** 1-based line numbers of the action and of the source, for error messages. */
  line: number;
}

const OPS = new Set(['index', 'create', 'update', 'delete']);

export function parseBulk(text: string, defaultIndex: string | undefined): BulkItem[] {
  const items: BulkItem[] = [];
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | undefined => {
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = text.length;
      const line = text.slice(pos, end);
      pos = end + 1;
      lineNo++;
      if (line.trim() !== '') return line;
    }
    return undefined;
  };
  for (;;) {
    const actionText = nextLine();
    if (actionText === undefined) break;
    const at = lineNo;
    let action: unknown;
    try {
      action = JSON.parse(actionText);
    } catch (err) {
      throw new BulkDecodeError(`Malformed action/metadata line [${at}], expected START_OBJECT or END_OBJECT but found [VALUE_STRING]: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (action === null || typeof action !== 'object' || Array.isArray(action)) {
      throw new BulkDecodeError(`Malformed action/metadata line [${at}], expected START_OBJECT but found [${Array.isArray(action) ? 'START_ARRAY' : 'VALUE'}]`);
    }
    const keys = Object.keys(action);
    if (keys.length !== 1 || !OPS.has(keys[0])) {
      throw new BulkDecodeError(`Malformed action/metadata line [${at}], expected one of [create, delete, index, update] but found [${keys.join(', ')}]`);
    }
    const op = keys[0] as BulkOp;
    const meta = (action as Record<string, unknown>)[op];
    const m = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {};
    const item: BulkItem = { op, index: typeof m._index === 'string' ? m._index : defaultIndex ?? '', line: at };
    if (typeof m._id === 'string' || typeof m._id === 'number') item.id = String(m._id);
    if (op !== 'delete') {
      const src = nextLine();
      if (src === undefined) throw new BulkDecodeError(`Validation Failed: 1: no requests added; the action on line [${at}] has no source line;`);
      try {
        const doc: unknown = JSON.parse(src);
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) item.docError = `failed to parse, document is empty or not an object (line [${lineNo}])`;
        else item.doc = doc as Record<string, unknown>;
      } catch (err) {
        item.docError = `failed to parse (line [${lineNo}]): ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    items.push(item);
  }
  return items;
}

export interface BulkMapping {
  /** `path` or `path=label`: document fields that become stream labels. `_index` is the bulk index name. */
  labelFields: readonly string[];
}

export const DEFAULT_BULK_LABEL_FIELDS: readonly string[] = [
  '_index=index',
  'kubernetes.namespace_name=namespace',
  'kubernetes.pod_name=pod',
  'kubernetes.container_name=container',
  'host',
  'hostname=host',
  'host.name=host',
  'service.name=service_name',
];

/**
 * Parses a comma-separated label-field list (`path` or `path=label`, e.g.
 * `_index=index,kubernetes.namespace_name=namespace,host`) and checks every item; throws an Error naming the
 * bad item. A path is a literal key or a dotted path into nested objects (no spaces, `=` or empty parts);
 * `_index` is the bulk index. A label given after `=` must be a valid Prometheus label name not starting with
 * `__`; without one, the path with every other character than [a-zA-Z0-9_] replaced by `_` is the name.
 */
export function parseBulkLabelFields(text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.every((s) => s === '')) throw new Error('empty list: give at least one field, e.g. _index=index');
  for (const item of items) {
    if (item === '') throw new Error(`empty item in ${JSON.stringify(text)}`);
    const eq = item.indexOf('=');
    const path = eq < 0 ? item : item.slice(0, eq);
    if (path === '' || /[\s=]/.test(path) || path.split('.').some((p) => p === '')) {
      throw new Error(`${JSON.stringify(item)}: the field path must be a key or a dotted path like kubernetes.pod_name`);
    }
    if (eq >= 0) {
      const label = item.slice(eq + 1);
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label) || label.startsWith('__')) {
        throw new Error(`${JSON.stringify(item)}: ${JSON.stringify(label)} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`);
      }
    } else if (sanitizeLabelName(path).startsWith('__')) {
      throw new Error(`${JSON.stringify(item)}: the label name would start with __ (reserved); name it with path=label`);
    }
  }
  return items;
}

const TS_FIELDS = ['@timestamp', 'timestamp', 'time'];
const LINE_FIELDS = ['message', 'log', 'msg'];
const TRACE_FIELDS = ['trace_id', 'traceId', 'trace.id'];
const SPAN_FIELDS = ['span_id', 'spanId', 'span.id'];
const LEVEL_FIELDS = ['level', 'severity', 'log.level'];

export interface MappedDoc {
  labels: Record<string, string>;
  ts: bigint | undefined;
  line: string;
  metadata: Record<string, string>;
  traceId?: string;
  spanId?: string;
}

/** Reads a field by a dotted path: a literal dotted key first, then nested objects. Removes nothing. */
function getPath(doc: Record<string, unknown>, path: string): unknown {
  if (path in doc) return doc[path];
  const parts = path.split('.');
  let cur: unknown = doc;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** RFC 3339 with up to nanosecond fractions, or an epoch number whose unit is guessed by magnitude. */
export function parseTimestamp(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) {
    const a = Math.abs(v);
    if (a < 1e11) return BigInt(Math.round(v * 1e9));
    if (a < 1e14) return BigInt(Math.round(v * 1e6));
    if (a < 1e17) return BigInt(Math.round(v)) * 1000n;
    return BigInt(Math.round(v));
  }
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return parseTimestamp(Number(v));
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i.exec(v.trim());
  if (!m) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n;
  }
  let zone = m[4] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1_000_000n + frac;
}

/** Normalises a trace or span id: hex (any case, optional dashes) → lower-case hex. */
export function normalizeHexId(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{8,32}$/.test(s) ? s : undefined;
}

export function mapDocument(doc: Record<string, unknown>, index: string, mapping: BulkMapping): MappedDoc {
  const used = new Set<string>();
  const labels: Record<string, string> = {};
  for (const spec of mapping.labelFields) {
    const eq = spec.indexOf('=');
    const path = eq < 0 ? spec : spec.slice(0, eq);
    const label = sanitizeLabelName(eq < 0 ? spec : spec.slice(eq + 1));
    if (labels[label] !== undefined) continue;
    const value = path === '_index' ? index : scalarString(getPath(doc, path));
    if (value !== undefined && value !== '') {
      labels[label] = value;
      used.add(path);
    }
  }
  let ts: bigint | undefined;
  for (const f of TS_FIELDS) {
    const v = getPath(doc, f);
    if (v === undefined) continue;
    ts = parseTimestamp(v);
    if (ts !== undefined) {
      used.add(f);
      break;
    }
  }
  let line: string | undefined;
  for (const f of LINE_FIELDS) {
    const v = doc[f];
    if (typeof v === 'string') {
      line = v.endsWith('\n') ? v.slice(0, -1) : v;
      used.add(f);
      break;
    }
  }
  const out: MappedDoc = { labels, ts, line: line ?? JSON.stringify(doc), metadata: {} };
  for (const f of TRACE_FIELDS) {
    const id = normalizeHexId(getPath(doc, f));
    if (id) {
      out.traceId = id;
      used.add(f);
      break;
    }
  }
  for (const f of SPAN_FIELDS) {
    const id = normalizeHexId(getPath(doc, f));
    if (id) {
      out.spanId = id;
      used.add(f);
      break;
    }
  }
  for (const f of LEVEL_FIELDS) {
    const v = scalarString(getPath(doc, f));
    if (v) {
      out.metadata.level = v.toLowerCase();
      used.add(f);
      break;
    }
  }
  // When the line is the whole document, repeating its fields as metadata would only double the bytes.
  if (line !== undefined) flatten(doc, '', used, out.metadata);
  return out;
}

function flatten(obj: Record<string, unknown>, prefix: string, used: Set<string>, out: Record<string, string>): void {
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (used.has(path) || v === null || v === undefined) continue;
    if (typeof v === 'object' && !Array.isArray(v)) {
      flatten(v as Record<string, unknown>, path, used, out);
      continue;
    }
    const name = sanitizeLabelName(path);
    if (out[name] !== undefined) continue;
    out[name] = typeof v === 'string' ? v : JSON.stringify(v);
  }
}

let idCounter = 0;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A 20-character id like Elasticsearch's auto-generated ones (time-based, unique within the process). */
export function generateId(nowMs: number): string {
  let n = BigInt(nowMs) * 1_000_000n + BigInt(idCounter++ % 1_000_000);
  let s = '';
  for (let i = 0; i < 20; i++) {
    s = ID_ALPHABET[Number(n & 63n)] + s;
    n >>= 6n;
    if (n === 0n) n = BigInt(Math.floor(Math.random() * 2 ** 30));
  }
  return s;
}
