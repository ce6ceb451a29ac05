/**
 * Stream labels for ingest: Loki's `{name="value", ...}` label string (the protobuf push carries one per
 * stream), Loki's label validation with its error messages, and the sanitising of field and attribute names
 * (dots and other characters → `_`) that the _bulk and OTLP mappings use.
 */
import { labelsFromRecord, type Labels } from '../../model/labels.js';

export class LabelParseError extends Error {}

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses `{a="b", c="d"}` (Go-quoted values, as Loki's ParseLabels accepts) into a record. */
export function parseLabelString(text: string): Record<string, string> {
  let i = 0;
  const s = text;
  const out: Record<string, string> = {};
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const fail = (msg: string): never => {
    throw new LabelParseError(`error parsing labels '${text}' with error: ${msg} at position ${i}`);
  };
  ws();
  if (s[i] !== '{') fail('expected "{"');
  i++;
  ws();
  if (s[i] === '}') {
    i++;
    ws();
    if (i !== s.length) fail('unexpected text after "}"');
    return out;
  }
  for (;;) {
    ws();
    const start = i;
    while (i < s.length && /[a-zA-Z0-9_.:]/.test(s[i])) i++;
    const name = s.slice(start, i);
    if (!name) fail('expected a label name');
    ws();
    if (s[i] !== '=') fail(`expected "=" after label name ${JSON.stringify(name)}`);
    i++;
    ws();
    const q = s[i];
    if (q !== '"' && q !== '`') fail('expected a quoted label value');
    i++;
    let value = '';
    if (q === '`') {
      const end = s.indexOf('`', i);
      if (end < 0) fail('unterminated raw string');
      value = s.slice(i, end);
      i = end + 1;
    } else {
      for (;;) {
        if (i >= s.length) fail('unterminated quoted string');
        const c = s[i];
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          const n = s[i + 1];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', v: '\v', "'": "'" };
          if (n in simple) {
            value += simple[n];
            i += 2;
          } else if (n === 'u' || n === 'x' || n === 'U') {
            const len = n === 'u' ? 4 : n === 'x' ? 2 : 8;
            const hex = s.slice(i + 2, i + 2 + len);
            if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail('invalid escape');
            value += String.fromCodePoint(parseInt(hex, 16));
            i += 2 + len;
          } else fail('invalid escape');
        } else {
          value += c;
          i++;
        }
      }
    }
    if (name in out) fail(`duplicate label name ${JSON.stringify(name)}`);
    out[name] = value;
    ws();
    if (s[i] === ',') {
      i++;
      ws();
      if (s[i] === '}') {
        i++;
        break;
      }
      continue;
    }
    if (s[i] === '}') {
      i++;
      break;
    }
    fail('expected "," or "}"');
  }
  ws();
  if (i !== s.length) fail('unexpected text after "}"');
  return out;
}

export interface LabelLimits {
  maxLabelNames: number;
  maxNameLength: number;
  maxValueLength: number;
}

/** Loki's defaults (max_label_names_per_series 15, max_label_name_length 1024, max_label_value_length 2048). */
export const DEFAULT_LABEL_LIMITS: LabelLimits = { maxLabelNames: 15, maxNameLength: 1024, maxValueLength: 2048 };

/** Validates a stream's labels as Loki does; returns the error message, or undefined when valid. */
export function validateStreamLabels(rec: Readonly<Record<string, string>>, limits: LabelLimits = DEFAULT_LABEL_LIMITS): string | undefined {
  const names = Object.keys(rec).filter((n) => rec[n] !== '');
  const shown = formatLabels(rec);
  if (names.length === 0) return 'error at least one label pair is required per stream';
  if (names.length > limits.maxLabelNames) return `stream '${shown}' has ${names.length} label names; limit ${limits.maxLabelNames}`;
  for (const n of names) {
    if (!NAME_RE.test(n)) return `error parsing labels '${shown}' with error: invalid label name ${JSON.stringify(n)}`;
    if (n.length > limits.maxNameLength) return `stream '${shown}' has label name too long: '${n}'`;
    if (rec[n].length > limits.maxValueLength) return `stream '${shown}' has label value too long: '${rec[n]}'`;
  }
  return undefined;
}

export function formatLabels(rec: Readonly<Record<string, string>>): string {
  return `{${Object.keys(rec)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rec[k])}`)
    .join(', ')}}`;
}

export function toLabels(rec: Readonly<Record<string, string>>): Labels {
  return labelsFromRecord(rec);
}

/** A field or attribute name as a valid label name: every other character becomes `_` (as Loki's OTLP path does). */
export function sanitizeLabelName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = `_${out}`;
  return out;
}
