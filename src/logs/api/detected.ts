/**
 * Loki's "detected" APIs, which Grafana 11's Explore, query builder and Logs Drilldown call:
 *
 *   detected_labels   stream labels of the selected streams with their cardinality. As Loki's querier: a label
 *                     whose values are all IDs (numbers or UUIDs, except a 0/1 pair) is left out, unless it is
 *                     one of cluster, namespace, instance, pod.
 *   detected_fields   fields of the most recent `line_limit` lines of a log query: structured metadata (no
 *                     parser) and what the `json` parser, else `logfmt`, extracts from each line (with the parser
 *                     and, for JSON, the original path). The type is Loki's guess from a value: int, float,
 *                     boolean, duration, bytes, else string. At most `limit` fields.
 *   detected_field/<name>/values   the distinct values of one such field.
 *
 * Cardinalities are exact counts (Loki estimates them with HyperLogLog).
 */
import type { Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import type { LogStore } from '../store/interface.js';
import type { LogEntry } from '../model.js';
import type { LogSelectorExpr } from '../logql/ast.js';
import type { LogQLEngine } from '../logql/engine.js';
import { sanitizeLabelName, scanLogfmt } from '../logql/pipeline.js';
import { parseBytes, parseGoDuration } from '../logql/units.js';

const STATIC_LABELS = new Set(['cluster', 'namespace', 'instance', 'pod']);
const FLOAT_RE = /^[+-]?(?:(?:[0-9]+(?:_[0-9]+)*)?\.?[0-9]+(?:_[0-9]+)*(?:[eE][+-]?[0-9]+)?|[0-9]+\.|inf(?:inity)?|nan)$/i;
const UUID_RE = /^(?:urn:uuid:)?(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}|[0-9a-f]{32})$/i;

const isId = (v: string): boolean => FLOAT_RE.test(v) || UUID_RE.test(v);

/** Loki's shouldRejectLabel: no values, or every value an ID (a set of only 0 and 1 is kept). */
function rejectLabel(values: readonly string[]): boolean {
  if (values.length === 0) return true;
  if (values.length <= 2 && values.every((v) => v === '0' || v === '1')) return false;
  return values.every(isId);
}

export async function detectedLabels(store: LogStore, matchers: readonly Matcher[], start: bigint, end: bigint): Promise<{ label: string; cardinality: number }[]> {
  const values = new Map<string, Set<string>>();
  for (const ls of await store.series(matchers, start, end)) {
    for (const l of ls) {
      let s = values.get(l.name);
      if (!s) values.set(l.name, (s = new Set()));
      s.add(l.value);
    }
  }
  const out: { label: string; cardinality: number }[] = [];
  for (const [label, set] of values) {
    const vals = [...set];
    if (STATIC_LABELS.has(label) || !rejectLabel(vals)) out.push({ label, cardinality: vals.length });
  }
  return out.sort((a, b) => (a.label < b.label ? -1 : 1));
}

export type DetectedFieldType = 'int' | 'float' | 'boolean' | 'duration' | 'bytes' | 'string';

/** Loki's determineType: the first of Go's ParseInt, ParseFloat, ParseBool, ParseDuration, humanize.ParseBytes that accepts. */
export function detectType(v: string): DetectedFieldType {
  if (/^[+-]?[0-9]+$/.test(v) && Math.abs(Number(v)) <= 9223372036854775807) return 'int';
  if (FLOAT_RE.test(v)) return 'float';
  if (/^(?:1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(v)) return 'boolean';
  if (!/[ywd]/.test(v) && parseGoDuration(v) !== undefined) return 'duration';
  if (parseBytes(v) !== undefined) return 'bytes';
  return 'string';
}

interface FieldValue {
  name: string;
  value: string;
  parser?: 'json' | 'logfmt';
  jsonPath?: string[];
}

function flattenJson(obj: Record<string, unknown>, prefix: string, path: string[], stream: Set<string>, out: FieldValue[]): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const name = prefix === '' ? sanitizeLabelName(k) : `${prefix}_${sanitizeLabelName(k)}`;
    if (v === null || Array.isArray(v)) continue;
    if (typeof v === 'object') flattenJson(v as Record<string, unknown>, name, [...path, k], stream, out);
    else out.push({ name: stream.has(name) ? `${name}_extracted` : name, value: typeof v === 'string' ? v : String(v), parser: 'json', jsonPath: [...path, k] });
  }
}

/** The fields of one entry: its structured metadata, then the json (else logfmt) parse of its line. */
function entryFields(line: string, source: LogEntry, streamNames: Set<string>): FieldValue[] {
  const out: FieldValue[] = [];
  for (const [name, value] of Object.entries(source.metadata ?? {})) out.push({ name, value });
  const t = line.trim();
  if (t.startsWith('{') && t.endsWith('}')) {
    try {
      const doc: unknown = JSON.parse(t);
      if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
        flattenJson(doc as Record<string, unknown>, '', [], streamNames, out);
        return out;
      }
    } catch {
      // not JSON: try logfmt
    }
  }
  const parsed: FieldValue[] = [];
  const ok = scanLogfmt(line, (k, v) => {
    if (v === '') return; // bare words of plain text are not fields
    const name = sanitizeLabelName(k);
    parsed.push({ name: streamNames.has(name) ? `${name}_extracted` : name, value: v, parser: 'logfmt' });
  });
  if (ok) out.push(...parsed);
  return out;
}

export interface DetectedField {
  label: string;
  type: DetectedFieldType;
  cardinality: number;
  parsers: string[] | null;
  jsonPath?: string[];
}

interface FieldAcc {
  type: DetectedFieldType;
  values: Set<string>;
  parsers: Set<string>;
  jsonPath?: string[];
}

async function scanFields(
  engine: LogQLEngine,
  expr: LogSelectorExpr,
  start: bigint,
  end: bigint,
  lineLimit: number,
  signal: AbortSignal | undefined,
  visit: (f: FieldValue) => void,
): Promise<void> {
  const stats = { linesProcessed: 0, bytesProcessed: 0, entriesReturned: 0, execTimeSeconds: 0 };
  const streams = await engine.selectLogs(expr, start, end, 'backward', lineLimit, stats, signal);
  const names = new Map<Labels, Set<string>>();
  for (const s of streams) {
    for (const e of s.entries) {
      let n = names.get(e.source.stream);
      if (!n) names.set(e.source.stream, (n = new Set(e.source.stream.map((l) => l.name))));
      for (const f of entryFields(e.line, e.source, n)) visit(f);
    }
  }
}

export async function detectedFields(
  engine: LogQLEngine,
  expr: LogSelectorExpr,
  start: bigint,
  end: bigint,
  lineLimit: number,
  limit: number,
  signal?: AbortSignal,
): Promise<DetectedField[]> {
  const fields = new Map<string, FieldAcc>();
  await scanFields(engine, expr, start, end, lineLimit, signal, (f) => {
    let acc = fields.get(f.name);
    if (!acc) {
      if (fields.size >= limit) return;
      fields.set(f.name, (acc = { type: 'string', values: new Set(), parsers: new Set() }));
    }
    acc.type = detectType(f.value);
    acc.values.add(f.value);
    if (f.parser) acc.parsers.add(f.parser);
    if (f.jsonPath && !acc.jsonPath) acc.jsonPath = f.jsonPath;
  });
  return [...fields.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([label, a]) => {
      const f: DetectedField = { label, type: a.type, cardinality: a.values.size, parsers: a.parsers.size > 0 ? [...a.parsers] : null };
      if (a.jsonPath) f.jsonPath = a.jsonPath;
      return f;
    });
}

export async function detectedFieldValues(
  engine: LogQLEngine,
  expr: LogSelectorExpr,
  name: string,
  start: bigint,
  end: bigint,
  lineLimit: number,
  limit: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const values = new Set<string>();
  await scanFields(engine, expr, start, end, lineLimit, signal, (f) => {
    if (f.name === name && values.size < limit) values.add(f.value);
  });
  return [...values].sort();
}
