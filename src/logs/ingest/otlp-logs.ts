/**
 * OTLP logs (ExportLogsServiceRequest, protobuf or OTLP/JSON) → log entries.
 *
 *   stream labels  ← resource attributes in RESOURCE_LABELS (as Loki's OTLP ingestion indexes by default),
 *                    named by replacing `.` with `_`, except k8s namespace/pod/container which become
 *                    `namespace`, `pod`, `container` like every other Sextant ingest path. With no
 *                    `service.name`, `service_name="unknown_service"` (Loki does the same).
 *   line           ← body: a string as is; a map or array as JSON; other scalars as text
 *   metadata       ← the other resource attributes, scope name/version, log attributes (names sanitised),
 *                    `level` from severity text or number, `severity_text`
 *   traceId/spanId ← trace_id/span_id as lower-case hex
 */
import type Long from 'long';
import { loadProtos } from '../../metrics/remote/proto.js';
import { sanitizeLabelName } from './labels.js';

export class OtlpLogsDecodeError extends Error {}

type Int64 = number | string | Long;

interface AnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values?: AnyValue[] } | null;
  kvlistValue?: { values?: KeyValue[] } | null;
  bytesValue?: Uint8Array | string | null;
}

interface KeyValue {
  key?: string;
  value?: AnyValue | null;
}

interface LogRecord {
  timeUnixNano?: Int64 | null;
  observedTimeUnixNano?: Int64 | null;
  severityNumber?: number | string | null;
  severityText?: string | null;
  body?: AnyValue | null;
  attributes?: KeyValue[];
  traceId?: Uint8Array | string | null;
  spanId?: Uint8Array | string | null;
  eventName?: string | null;
}

interface ExportLogsRequest {
  resourceLogs?: {
    resource?: { attributes?: KeyValue[] } | null;
    scopeLogs?: { scope?: { name?: string; version?: string } | null; logRecords?: LogRecord[] }[];
  }[];
}

let root: ReturnType<typeof loadProtos> | undefined;
function types() {
  root ??= loadProtos(['opentelemetry/proto/collector/logs/v1/logs_service.proto']);
  return {
    request: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    response: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  };
}

export function decodeOtlpLogsProtobuf(buf: Uint8Array): ExportLogsRequest {
  try {
    return types().request.decode(buf) as unknown as ExportLogsRequest;
  } catch (err) {
    throw new OtlpLogsDecodeError(`invalid protobuf: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** OTLP/JSON spells ids in hex (protobufjs's fromObject wants base64) and enums as numbers or names. */
function fixJson(obj: unknown): void {
  if (obj === null || typeof obj !== 'object') return;
  if (Array.isArray(obj)) {
    for (const x of obj) fixJson(x);
    return;
  }
  const rec = obj as Record<string, unknown>;
  for (const [k, v] of Object.entries(rec)) {
    if ((k === 'logRecords' || k === 'log_records') && Array.isArray(v)) {
      v.forEach((r: unknown, i) => {
        if (r === null || typeof r !== 'object') return;
        const lr = r as Record<string, unknown>;
        for (const idKey of ['traceId', 'spanId', 'trace_id', 'span_id']) {
          const id = lr[idKey];
          if (typeof id === 'string') {
            if (!HEX_RE.test(id)) throw new OtlpLogsDecodeError(`logRecords[${i}].${idKey} is not hex: ${JSON.stringify(id)}`);
            lr[idKey] = Buffer.from(id, 'hex');
          }
        }
      });
    } else if (typeof v === 'object') fixJson(v);
  }
}

export function decodeOtlpLogsJson(text: string): ExportLogsRequest {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new OtlpLogsDecodeError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new OtlpLogsDecodeError('request body must be a JSON object');
  fixJson(obj);
  try {
    return types().request.fromObject(obj as Record<string, unknown>) as unknown as ExportLogsRequest;
  } catch (err) {
    throw new OtlpLogsDecodeError(`invalid OTLP/JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function encodeLogsResponseProtobuf(rejected: number, message: string): Uint8Array {
  const t = types().response;
  return t.encode(t.create(rejected > 0 || message ? { partialSuccess: { rejectedLogRecords: rejected, errorMessage: message } } : {})).finish();
}

export function encodeLogsResponseJson(rejected: number, message: string): string {
  if (rejected === 0 && !message) return '{}';
  return JSON.stringify({ partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: message } });
}

/** Resource attributes indexed as stream labels (Loki's default list), with Sextant's label names. */
export const RESOURCE_LABELS: ReadonlyMap<string, string> = new Map([
  ['service.name', 'service_name'],
  ['service.namespace', 'service_namespace'],
  ['service.instance.id', 'service_instance_id'],
  ['deployment.environment', 'deployment_environment'],
  ['deployment.environment.name', 'deployment_environment_name'],
  ['cloud.region', 'cloud_region'],
  ['cloud.availability_zone', 'cloud_availability_zone'],
  ['k8s.cluster.name', 'k8s_cluster_name'],
  ['k8s.namespace.name', 'namespace'],
  ['k8s.pod.name', 'pod'],
  ['k8s.container.name', 'container'],
  ['container.name', 'container_name'],
  ['k8s.replicaset.name', 'k8s_replicaset_name'],
  ['k8s.deployment.name', 'k8s_deployment_name'],
  ['k8s.statefulset.name', 'k8s_statefulset_name'],
  ['k8s.daemonset.name', 'k8s_daemonset_name'],
  ['k8s.cronjob.name', 'k8s_cronjob_name'],
  ['k8s.job.name', 'k8s_job_name'],
]);

function int64(x: Int64 | null | undefined): bigint {
  if (x === undefined || x === null) return 0n;
  if (typeof x === 'object') return BigInt(x.toString());
  try {
    return BigInt(x);
  } catch {
    return 0n;
  }
}

function anyToJs(v: AnyValue | null | undefined): unknown {
  if (!v) return null;
  // protobufjs keeps proto3 defaults on the prototype ("" for stringValue, ...): the set member of the oneof
  // is the one own property (or the virtual `value` discriminator).
  const which = (v as { value?: unknown }).value;
  const key = typeof which === 'string' ? which : Object.keys(v).find((k) => k.endsWith('Value') && (v as Record<string, unknown>)[k] != null);
  switch (key) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'intValue': {
      const n = int64(v.intValue);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyToJs);
    case 'kvlistValue': {
      const o: Record<string, unknown> = {};
      for (const kv of v.kvlistValue?.values ?? []) if (kv.key !== undefined) o[kv.key] = anyToJs(kv.value);
      return o;
    }
    case 'bytesValue':
      return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue ?? []).toString('base64');
    default:
      return null;
  }
}

function anyToString(v: AnyValue | null | undefined): string {
  const js = anyToJs(v);
  if (js === null || js === undefined) return '';
  if (typeof js === 'string') return js;
  if (typeof js === 'object') return JSON.stringify(js);
  return String(js);
}

function hexId(v: Uint8Array | string | null | undefined): string | undefined {
  if (!v || v.length === 0) return undefined;
  const hex = typeof v === 'string' ? Buffer.from(v, 'base64').toString('hex') : Buffer.from(v).toString('hex');
  return /^0+$/.test(hex) ? undefined : hex;
}

const SEVERITY_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const SEVERITY_ENUM: Record<string, number> = Object.fromEntries(
  SEVERITY_NAMES.flatMap((n, i) => [1, 2, 3, 4].map((k) => [`SEVERITY_NUMBER_${n.toUpperCase()}${k === 1 ? '' : k}`, i * 4 + k])),
);

export function levelOf(severityNumber: number | string | null | undefined, severityText: string | null | undefined): string | undefined {
  const n = typeof severityNumber === 'string' ? SEVERITY_ENUM[severityNumber] ?? 0 : severityNumber ?? 0;
  if (n >= 1 && n <= 24) return SEVERITY_NAMES[Math.floor((n - 1) / 4)];
  if (severityText) return severityText.toLowerCase();
  return undefined;
}

export interface OtlpLogEntry {
  labels: Record<string, string>;
  ts: bigint;
  line: string;
  metadata: Record<string, string>;
  traceId?: string;
  spanId?: string;
}

export function translateOtlpLogs(req: ExportLogsRequest, nowNs: bigint): OtlpLogEntry[] {
  const out: OtlpLogEntry[] = [];
  for (const rl of req.resourceLogs ?? []) {
    const labels: Record<string, string> = {};
    const resMeta: Record<string, string> = {};
    for (const kv of rl.resource?.attributes ?? []) {
      if (!kv.key) continue;
      const value = anyToString(kv.value);
      const label = RESOURCE_LABELS.get(kv.key);
      if (label) {
        if (value !== '') labels[label] = value;
      } else resMeta[sanitizeLabelName(kv.key)] = value;
    }
    if (!labels.service_name) labels.service_name = 'unknown_service';
    for (const sl of rl.scopeLogs ?? []) {
      const scopeMeta: Record<string, string> = { ...resMeta };
      if (sl.scope?.name) scopeMeta.scope_name = sl.scope.name;
      if (sl.scope?.version) scopeMeta.scope_version = sl.scope.version;
      for (const lr of sl.logRecords ?? []) {
        let ts = int64(lr.timeUnixNano);
        if (ts === 0n) ts = int64(lr.observedTimeUnixNano);
        if (ts === 0n) ts = nowNs;
        const metadata: Record<string, string> = { ...scopeMeta };
        for (const kv of lr.attributes ?? []) if (kv.key) metadata[sanitizeLabelName(kv.key)] = anyToString(kv.value);
        const level = levelOf(lr.severityNumber, lr.severityText);
        if (level) metadata.level = level;
        if (lr.severityText) metadata.severity_text = lr.severityText;
        if (lr.eventName) metadata.event_name = lr.eventName;
        const e: OtlpLogEntry = { labels, ts, line: anyToString(lr.body), metadata };
        const trace = hexId(lr.traceId);
        const span = hexId(lr.spanId);
        if (trace) e.traceId = trace;
        if (span) e.spanId = span;
        out.push(e);
      }
    }
  }
  return out;
}
