/**
 * Prometheus text exposition format 0.0.4 writer, shared by the built-in collectors.
 * Numbers are formatted like Go's client_golang (strconv 'g', shortest) so our output reads like
 * node_exporter's: 793082, 3.281872e+06, 1.7952410379902658e+09, +Inf, NaN.
 */
import { isValidLabelName, isValidMetricName } from '../../model/labels.js';

export type MetricType = 'counter' | 'gauge' | 'untyped' | 'histogram' | 'summary';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  /** Label pairs in output order. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  /** Appended to the family name, e.g. `_bucket`, `_sum`, `_count` for histograms. */
  readonly suffix?: string;
  /** Milliseconds since epoch; omitted from output when undefined. */
  readonly timestampMs?: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: readonly Sample[];
}

export { isValidMetricName };

/**
 * A label name an exposition may carry: a valid Prometheus label name that is not reserved. Stricter than
 * the model's isValidLabelName because `__`-prefixed names are Prometheus-internal and never exposed.
 */
export function isValidExposedLabelName(name: string): boolean {
  return isValidLabelName(name) && !name.startsWith('__');
}

/** HELP text escapes only backslash and newline (quotes stay as they are). */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Go's strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that round-trip, in exponent form
 * when the decimal exponent is < -4 or >= 6 (Go fixes that limit at 6 for shortest output), with at
 * least two exponent digits. Named for Go's 'g' verb: the query API's JSON values (formatSampleValue in
 * promql/aggregate.ts) switch to exponent form at different thresholds (below 1e-6, from 1e21), and `le`/
 * `quantile` label values (formatFloatF) never use it.
 */
export function formatFloatG(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const exp = v.toExponential(); // shortest round-trip digits, e.g. "3.281872e+6"
  const at = exp.indexOf('e');
  const mantissa = exp.slice(0, at);
  const e = Number(exp.slice(at + 1));
  if (e < -4 || e >= 6) {
    const sign = e < 0 ? '-' : '+';
    const digits = String(Math.abs(e)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  // In this exponent range JavaScript's shortest decimal form is plain notation, like Go's %f branch.
  return String(v);
}

function writeLabels(labels: Readonly<Record<string, string>> | undefined): string {
  if (!labels) return '';
  let out = '';
  for (const name of Object.keys(labels)) {
    out += `${out ? ',' : ''}${name}="${escapeLabelValue(labels[name]!)}"`;
  }
  return out ? `{${out}}` : '';
}

/** One family: HELP, TYPE and its sample lines, each line ending in "\n". Throws on an invalid metric or label name. */
export function writeFamily(
  name: string,
  type: MetricType,
  help: string,
  samples: readonly Sample[],
  /** Federation re-exposes stored series, which may carry `__`-prefixed labels; collectors never may. */
  opts: { allowReservedLabels?: boolean } = {},
): string {
  if (!isValidMetricName(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
  const validLabel = opts.allowReservedLabels ? isValidLabelName : isValidExposedLabelName;
  let out = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  for (const s of samples) {
    if (s.labels) {
      for (const l of Object.keys(s.labels)) {
        if (!validLabel(l)) throw new Error(`invalid label name ${JSON.stringify(l)} on ${name}`);
      }
    }
    out += `${name}${s.suffix ?? ''}${writeLabels(s.labels)} ${formatFloatG(s.value)}`;
    if (s.timestampMs !== undefined) out += ` ${Math.trunc(s.timestampMs)}`;
    out += '\n';
  }
  return out;
}

/**
 * Families sorted by name (as client_golang does). Families without samples are left out, and
 * families given more than once under one name are merged (the first HELP/TYPE wins) because the
 * format allows each name only once.
 */
export function writeFamilies(families: readonly MetricFamily[]): string {
  const byName = new Map<string, { type: MetricType; help: string; samples: Sample[] }>();
  for (const f of families) {
    const seen = byName.get(f.name);
    if (seen) seen.samples.push(...f.samples);
    else byName.set(f.name, { type: f.type, help: f.help, samples: [...f.samples] });
  }
  const names = [...byName.keys()].sort();
  let out = '';
  for (const name of names) {
    const f = byName.get(name)!;
    if (f.samples.length > 0) out += writeFamily(name, f.type, f.help, f.samples);
  }
  return out;
}
