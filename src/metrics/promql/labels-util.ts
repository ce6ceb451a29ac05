/** Label-set helpers the evaluator needs (all inputs and outputs are sorted label sets). */
import { METRIC_NAME, sortLabels, type Label, type Labels } from '../../model/labels.js';

export function dropMetricName(ls: Labels): Labels {
  for (let i = 0; i < ls.length; i++) {
    if (ls[i].name === METRIC_NAME) return [...ls.slice(0, i), ...ls.slice(i + 1)];
  }
  return ls;
}

export function keepLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  return ls.filter((l) => names.has(l.name));
}

export function removeLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  return ls.filter((l) => !names.has(l.name));
}

/** Sets (or, for an empty value, deletes) one label. */
export function setLabel(ls: Labels, name: string, value: string): Labels {
  const out: Label[] = ls.filter((l) => l.name !== name);
  if (value !== '') out.push({ name, value });
  return sortLabels(out);
}

/** Prometheus's labels.String(): {a="b", c="d"} with Go-quoted values. */
export function labelsString(ls: Labels): string {
  return `{${ls.map((l) => `${l.name}=${goQuote(l.value)}`).join(', ')}}`;
}

export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Signature of the labels used for vector matching (on: only `names`; ignoring: all but `names` and the metric name). */
export function matchingSignature(ls: Labels, on: boolean, names: ReadonlySet<string>): string {
  let s = '';
  for (const l of ls) {
    if (on ? names.has(l.name) : !names.has(l.name) && l.name !== METRIC_NAME) s += l.name + '\xff' + l.value + '\xff';
  }
  return s;
}

export function matchLabels(ls: Labels, on: boolean, names: ReadonlySet<string>): Labels {
  return ls.filter((l) => (on ? names.has(l.name) : !names.has(l.name) && l.name !== METRIC_NAME));
}
