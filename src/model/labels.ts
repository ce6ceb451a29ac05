/**
 * Label sets: the identity of a series. A `Labels` value is always sorted by name with unique names,
 * so two equal sets have equal canonical keys and can be compared without re-sorting.
 */
export interface Label {
  readonly name: string;
  readonly value: string;
}

export type Labels = readonly Label[];

export const METRIC_NAME = '__name__';

/** Builds a sorted label set from a plain record, dropping empty values as Prometheus does. */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  const out: Label[] = [];
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (value !== undefined && value !== '') out.push({ name, value });
  }
  return sortLabels(out);
}

export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

/** Sorts in place by name (byte order, as Prometheus does) and returns the same array. */
export function sortLabels(labels: Label[]): Label[] {
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const SEP = '\xff';

/** A canonical string for a label set, usable as a Map key. 0xff never occurs in valid UTF-8 label text. */
export function labelsKey(labels: Labels): string {
  let s = '';
  for (const l of labels) s += l.name + SEP + l.value + SEP;
  return s;
}

export function getLabel(labels: Labels, name: string): string {
  for (const l of labels) if (l.name === name) return l.value;
  return '';
}

export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  }
  return true;
}

/** Compares label sets the way Prometheus sorts series: label by label, name then value. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i].name !== b[i].name) return a[i].name < b[i].name ? -1 : 1;
    if (a[i].value !== b[i].value) return a[i].value < b[i].value ? -1 : 1;
  }
  return a.length - b.length;
}

/** Renders `name{a="b", ...}` as Prometheus prints series. */
export function formatLabels(labels: Labels): string {
  let name = '';
  const parts: string[] = [];
  for (const l of labels) {
    if (l.name === METRIC_NAME) name = l.value;
    else parts.push(`${l.name}=${JSON.stringify(l.value)}`);
  }
  return `${name}{${parts.join(', ')}}`;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

export function isValidMetricName(name: string): boolean {
  return METRIC_NAME_RE.test(name);
}

/**
 * Checks a label set received from outside (remote_write, OTLP, scrape): valid names, a metric name,
 * no duplicates, sorted order not assumed. Returns an error message or undefined.
 */
export function validateLabels(labels: readonly Label[]): string | undefined {
  const seen = new Set<string>();
  let hasName = false;
  for (const l of labels) {
    if (l.name === METRIC_NAME) {
      hasName = true;
      if (!isValidMetricName(l.value)) return `invalid metric name: ${JSON.stringify(l.value)}`;
    } else if (!isValidLabelName(l.name)) {
      return `invalid label name: ${JSON.stringify(l.name)}`;
    }
    if (seen.has(l.name)) return `duplicate label name: ${JSON.stringify(l.name)}`;
    seen.add(l.name);
  }
  if (!hasName) return 'series has no metric name';
  return undefined;
}
