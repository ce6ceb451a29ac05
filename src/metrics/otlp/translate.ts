/**
 * OTLP metrics → Prometheus samples, following Prometheus's OTLP translator (with metric suffixes):
 *  - gauge → gauge; monotonic cumulative sum → counter named `..._total`; non-monotonic cumulative sum → gauge;
 *  - explicit-bucket histogram (cumulative) → `_bucket{le}` (cumulative counts, `+Inf` = count), `_sum`, `_count`;
 *  - summary → `{quantile}` series, `_sum`, `_count`;
 *  - delta (or unspecified) temporality sums and histograms are rejected, as Prometheus does without its
 *    delta-to-cumulative conversion; exponential histograms are rejected because Sextant does not store
 *    native histograms yet. Both are counted in the response's partial_success;
 *  - data-point attributes become labels (sanitised names; values of keys that collide after sanitising are
 *    joined with `;` in key order); resource `service.namespace`/`service.name` → `job`,
 *    `service.instance.id` → `instance`; the remaining resource attributes go on a `target_info` gauge (1);
 *  - timestamps ns → ms; the NoRecordedValue flag → the staleness marker.
 * Exemplars are not kept (the storage interface has no exemplar store yet).
 */
import type { Label } from '../../model/labels.js';
import { STALE_NAN } from '../../model/value.js';
import {
  int64ToNumber,
  nanosToMillis,
  type OtlpAnyValue,
  type OtlpExportMetricsRequest,
  type OtlpKeyValue,
  type OtlpMetric,
} from './decode.js';
import { formatFloatF, prometheusLabelName, prometheusMetricName } from './names.js';

export interface TranslatedSample {
  /** Unsorted; may still be invalid (validated when appended). */
  labels: Label[];
  t: number;
  v: number;
  /** Index of the OTLP data point this sample came from, for counting rejected points. */
  point: number;
}

export interface Translation {
  samples: TranslatedSample[];
  /** Total number of OTLP data points seen (excluding synthetic target_info). */
  points: number;
  /** Points refused during translation. */
  rejectedPoints: number;
  errors: string[];
}

const NO_RECORDED_VALUE = 1;
const TEMPORALITY_CUMULATIVE = 2;
const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';

/** pcommon.Value.AsString(): how an attribute value becomes a label value. */
export function anyValueToString(v: OtlpAnyValue | null | undefined): string {
  if (!v) return '';
  switch (v.value) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ? 'true' : 'false';
    case 'intValue':
      return typeof v.intValue === 'object' && v.intValue !== null ? v.intValue.toString() : String(v.intValue ?? 0);
    case 'doubleValue':
      return formatFloatF(v.doubleValue ?? 0);
    case 'bytesValue':
      return Buffer.from(v.bytesValue ?? new Uint8Array()).toString('base64');
    case 'arrayValue':
      return JSON.stringify((v.arrayValue?.values ?? []).map(anyValueToJson));
    case 'kvlistValue':
      return JSON.stringify(Object.fromEntries((v.kvlistValue?.values ?? []).map((kv) => [kv.key, anyValueToJson(kv.value)])));
    default:
      return '';
  }
}

function anyValueToJson(v: OtlpAnyValue | null | undefined): unknown {
  if (!v) return null;
  switch (v.value) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return !!v.boolValue;
    case 'intValue':
      return int64ToNumber(v.intValue);
    case 'doubleValue':
      return v.doubleValue ?? 0;
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map(anyValueToJson);
    case 'kvlistValue':
      return Object.fromEntries((v.kvlistValue?.values ?? []).map((kv) => [kv.key, anyValueToJson(kv.value)]));
    case 'bytesValue':
      return Buffer.from(v.bytesValue ?? new Uint8Array()).toString('base64');
    default:
      return null;
  }
}

/** Sanitised attribute labels; colliding names keep all values joined with ';' in original-key order. */
function attributeLabels(attrs: readonly OtlpKeyValue[] | undefined, skip?: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  if (!attrs || attrs.length === 0) return out;
  const sorted = [...attrs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const kv of sorted) {
    if (skip?.has(kv.key)) continue;
    const name = prometheusLabelName(kv.key);
    if (name === '') continue;
    const value = anyValueToString(kv.value);
    const prev = out.get(name);
    out.set(name, prev === undefined ? value : `${prev};${value}`);
  }
  return out;
}

interface ResourceIdentity {
  job?: string;
  instance?: string;
}

function resourceIdentity(attrs: readonly OtlpKeyValue[] | undefined): ResourceIdentity {
  const get = (k: string): string | undefined => {
    const kv = attrs?.find((a) => a.key === k);
    return kv ? anyValueToString(kv.value) : undefined;
  };
  const name = get(SERVICE_NAME);
  const ns = get(SERVICE_NAMESPACE);
  const id = get(SERVICE_INSTANCE_ID);
  const out: ResourceIdentity = {};
  if (name !== undefined && name !== '') out.job = ns ? `${ns}/${name}` : name;
  if (id !== undefined && id !== '') out.instance = id;
  return out;
}

function toLabelArray(map: Map<string, string>): Label[] {
  const out: Label[] = [];
  for (const [name, value] of map) out.push({ name, value });
  return out;
}

export function translateOtlpMetrics(req: OtlpExportMetricsRequest): Translation {
  const tr: Translation = { samples: [], points: 0, rejectedPoints: 0, errors: [] };
  const addError = (msg: string): void => {
    if (tr.errors.length < 10) tr.errors.push(msg);
  };

  for (const rm of req.resourceMetrics ?? []) {
    const resAttrs = rm.resource?.attributes ?? [];
    const identity = resourceIdentity(resAttrs);
    let latest = -Infinity;

    const baseLabels = (attrs: readonly OtlpKeyValue[] | undefined): Map<string, string> => {
      const m = attributeLabels(attrs);
      // Resource identity overrides same-named point attributes, as upstream.
      if (identity.job !== undefined) m.set('job', identity.job);
      if (identity.instance !== undefined) m.set('instance', identity.instance);
      return m;
    };

    for (const sm of rm.scopeMetrics ?? []) {
      for (const metric of sm.metrics ?? []) {
        translateMetric(metric, tr, baseLabels, addError, (t) => {
          if (t > latest) latest = t;
        });
      }
    }

    // target_info carries the non-identifying resource attributes, once per resource with data.
    const skip = new Set([SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE_ID]);
    if (latest > -Infinity && resAttrs.some((kv) => !skip.has(kv.key))) {
      const m = attributeLabels(resAttrs, skip);
      if (identity.job !== undefined) m.set('job', identity.job);
      if (identity.instance !== undefined) m.set('instance', identity.instance);
      m.set('__name__', 'target_info');
      tr.samples.push({ labels: toLabelArray(m), t: latest, v: 1, point: -1 });
    }
  }
  return tr;
}

function translateMetric(
  metric: OtlpMetric,
  tr: Translation,
  baseLabels: (attrs: readonly OtlpKeyValue[] | undefined) => Map<string, string>,
  addError: (msg: string) => void,
  seenTime: (t: number) => void,
): void {
  const rawName = metric.name ?? '';
  const unit = metric.unit ?? '';
  const emit = (labels: Map<string, string>, name: string, t: number, v: number, point: number, extra?: [string, string]): void => {
    const m = new Map(labels);
    if (extra) m.set(extra[0], extra[1]);
    m.set('__name__', name);
    tr.samples.push({ labels: toLabelArray(m), t, v, point });
  };
  const rejectAll = (n: number, msg: string): void => {
    tr.points += n;
    tr.rejectedPoints += n;
    if (n > 0) addError(msg);
  };

  switch (metric.data) {
    case 'gauge':
    case 'sum': {
      const isSum = metric.data === 'sum';
      const points = (isSum ? metric.sum?.dataPoints : metric.gauge?.dataPoints) ?? [];
      const monotonic = isSum && !!metric.sum?.isMonotonic;
      if (isSum && (metric.sum?.aggregationTemporality ?? 0) !== TEMPORALITY_CUMULATIVE) {
        rejectAll(points.length, `invalid temporality and type combination for metric "${rawName}" (only cumulative sums are accepted)`);
        return;
      }
      const name = prometheusMetricName(rawName, unit, isSum ? 'sum' : 'gauge', monotonic);
      if (name === '') {
        rejectAll(points.length, `invalid metric name ${JSON.stringify(rawName)}`);
        return;
      }
      for (const p of points) {
        const idx = tr.points++;
        const t = nanosToMillis(p.timeUnixNano);
        seenTime(t);
        let v = p.value === 'asInt' ? int64ToNumber(p.asInt) : p.value === 'asDouble' ? (p.asDouble ?? 0) : 0;
        if ((p.flags ?? 0) & NO_RECORDED_VALUE) v = STALE_NAN;
        emit(baseLabels(p.attributes), name, t, v, idx);
      }
      return;
    }
    case 'histogram': {
      const points = metric.histogram?.dataPoints ?? [];
      if ((metric.histogram?.aggregationTemporality ?? 0) !== TEMPORALITY_CUMULATIVE) {
        rejectAll(points.length, `invalid temporality and type combination for metric "${rawName}" (only cumulative histograms are accepted)`);
        return;
      }
      const name = prometheusMetricName(rawName, unit, 'histogram', false);
      if (name === '') {
        rejectAll(points.length, `invalid metric name ${JSON.stringify(rawName)}`);
        return;
      }
      for (const p of points) {
        const idx = tr.points++;
        const t = nanosToMillis(p.timeUnixNano);
        seenTime(t);
        const stale = ((p.flags ?? 0) & NO_RECORDED_VALUE) !== 0;
        const val = (x: number): number => (stale ? STALE_NAN : x);
        const base = baseLabels(p.attributes);
        const count = int64ToNumber(p.count);
        if (p.sum !== undefined && p.sum !== null && Object.prototype.hasOwnProperty.call(p, 'sum')) {
          emit(base, name + '_sum', t, val(p.sum), idx);
        }
        emit(base, name + '_count', t, val(count), idx);
        const bounds = p.explicitBounds ?? [];
        const counts = p.bucketCounts ?? [];
        let cumulative = 0;
        for (let i = 0; i < bounds.length && i < counts.length; i++) {
          cumulative += int64ToNumber(counts[i]);
          emit(base, name + '_bucket', t, val(cumulative), idx, ['le', formatFloatF(bounds[i])]);
        }
        emit(base, name + '_bucket', t, val(count), idx, ['le', '+Inf']);
      }
      return;
    }
    case 'summary': {
      const points = metric.summary?.dataPoints ?? [];
      const name = prometheusMetricName(rawName, unit, 'summary', false);
      if (name === '') {
        rejectAll(points.length, `invalid metric name ${JSON.stringify(rawName)}`);
        return;
      }
      for (const p of points) {
        const idx = tr.points++;
        const t = nanosToMillis(p.timeUnixNano);
        seenTime(t);
        const stale = ((p.flags ?? 0) & NO_RECORDED_VALUE) !== 0;
        const val = (x: number): number => (stale ? STALE_NAN : x);
        const base = baseLabels(p.attributes);
        emit(base, name + '_sum', t, val(p.sum ?? 0), idx);
        emit(base, name + '_count', t, val(int64ToNumber(p.count)), idx);
        for (const q of p.quantileValues ?? []) {
          emit(base, name, t, val(q.value ?? 0), idx, ['quantile', formatFloatF(q.quantile ?? 0)]);
        }
      }
      return;
    }
    case 'exponentialHistogram': {
      const points = metric.exponentialHistogram?.dataPoints ?? [];
      rejectAll(points.length, `exponential histogram "${rawName}" not supported (Sextant does not store native histograms yet)`);
      return;
    }
    default:
      // A metric without data carries no points; nothing to count.
      return;
  }
}
