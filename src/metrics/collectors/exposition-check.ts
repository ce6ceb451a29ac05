/**
 * Strict reader for text format 0.0.4, used to verify what our collectors write (and usable as a
 * self-check on any exposition): every sample belongs to a declared family, families are contiguous,
 * names are valid, label values correctly escaped, values parse, and no series appears twice.
 * It collects every problem instead of stopping at the first, so a failing test shows them all.
 */
import { isValidExposedLabelName, isValidMetricName, type MetricType } from './exposition.js';

export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs?: number;
}

export interface ParsedFamily {
  readonly name: string;
  type: MetricType;
  help?: string;
  readonly samples: ParsedSample[];
}

export interface ExpositionCheck {
  readonly families: Map<string, ParsedFamily>;
  readonly errors: string[];
}

const TYPES = new Set<MetricType>(['counter', 'gauge', 'untyped', 'histogram', 'summary']);

/** Go's strconv.ParseFloat accepts these spellings; Prometheus' text parser uses it. */
function parseValue(s: string): number | undefined {
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Which declared family a sample name belongs to, given the suffixes its type allows. */
function familyOf(sampleName: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  const direct = families.get(sampleName);
  if (direct && direct.type !== 'histogram') return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return direct;
}

export function checkExposition(text: string): ExpositionCheck {
  const families = new Map<string, ParsedFamily>();
  const errors: string[] = [];
  const series = new Set<string>();
  const closed = new Set<string>();
  /** Families whose TYPE line we have seen; samples need one. */
  const typed = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  if (text.length > 0 && !text.endsWith('\n')) errors.push('exposition does not end with a newline');

  const enter = (name: string, lineNo: number) => {
    if (current === name) return;
    if (closed.has(name)) errors.push(`line ${lineNo}: family ${name} continues after another family started`);
    if (current !== undefined) closed.add(current);
    current = name;
  };

  lines.forEach((line, i) => {
    const n = i + 1;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // plain comment
      const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      if (!isValidMetricName(name)) errors.push(`line ${n}: invalid metric name ${JSON.stringify(name)}`);
      let f = families.get(name);
      if (kind === 'TYPE') {
        const type = (rest ?? '').trim() as MetricType;
        if (!TYPES.has(type)) errors.push(`line ${n}: unknown type ${JSON.stringify(rest)} for ${name}`);
        if (f?.samples.length) errors.push(`line ${n}: TYPE for ${name} after its samples`);
        if (typed.has(name)) errors.push(`line ${n}: second TYPE for ${name}`);
        if (!f) families.set(name, (f = { name, type, samples: [] }));
        f.type = type;
        typed.add(name);
      } else {
        if (f?.help !== undefined) errors.push(`line ${n}: second HELP for ${name}`);
        if (!f) families.set(name, (f = { name, type: 'untyped', samples: [] }));
        f.help = unescapeHelp(rest ?? '');
      }
      enter(name, n);
      return;
    }

    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+(-?\d+))?\s*$/.exec(line);
    if (!m) {
      errors.push(`line ${n}: not a valid sample: ${JSON.stringify(line)}`);
      return;
    }
    const [, name, labelText, valueText, tsText] = m as unknown as [string, string, string | undefined, string, string | undefined];
    const labels: Record<string, string> = {};
    if (labelText) {
      const body = labelText.slice(1, -1);
      const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
      let pos = 0;
      while (pos < body.length) {
        re.lastIndex = pos;
        const lm = re.exec(body);
        if (!lm) {
          errors.push(`line ${n}: malformed labels ${labelText}`);
          break;
        }
        const [, lname, raw] = lm as unknown as [string, string, string];
        if (!isValidExposedLabelName(lname)) errors.push(`line ${n}: invalid label name ${lname}`);
        if (/\\[^\\"n]/.test(raw.replace(/\\\\/g, ''))) errors.push(`line ${n}: invalid escape in label ${lname}`);
        if (lname in labels) errors.push(`line ${n}: duplicate label ${lname}`);
        labels[lname] = raw.replace(/\\(\\|"|n)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
        pos = re.lastIndex;
      }
    }
    const value = parseValue(valueText);
    if (value === undefined) errors.push(`line ${n}: invalid value ${JSON.stringify(valueText)}`);
    const family = familyOf(name, families);
    if (!family || !typed.has(family.name)) {
      errors.push(`line ${n}: sample ${name} has no declared family (TYPE line)`);
    } else {
      enter(family.name, n);
      family.samples.push({ name, labels, value: value ?? NaN, ...(tsText ? { timestampMs: Number(tsText) } : {}) });
    }
    const key = name + '{' + Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',') + '}';
    if (series.has(key)) errors.push(`line ${n}: duplicate series ${key}`);
    series.add(key);
  });
  return { families, errors };
}
