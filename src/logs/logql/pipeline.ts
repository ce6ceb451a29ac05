/**
 * The LogQL log pipeline: line filters, parsers, label filters, formatters, drop/keep and decolorize,
 * applied line by line. Labels start as the stream labels plus structured metadata; parsers add labels
 * (renamed `<name>_extracted` when a stream label already has the name) and record failures in `__error__`
 * and `__error_details__` as Loki does.
 */
import { containsMatchingIp, parseIpPattern } from './ip.js';
import { compilePatternFilter } from './pattern-filter.js';
import type { Label, Labels } from '../../model/labels.js';
import { labelsKey } from '../../model/labels.js';
import { compileMatcher, type CompiledMatcher } from '../../model/matcher.js';
import type { LogEntry } from '../model.js';
import type { CompareOp, JsonPath, LabelFilterExpr, LineFilterStage, Stage } from './ast.js';
import { LineTemplate } from './template.js';
import { parseBytes, parseGoDuration } from './units.js';

export const ERROR_LABEL = '__error__';
export const ERROR_DETAILS_LABEL = '__error_details__';
export const JSON_ERR = 'JSONParserErr';
export const LOGFMT_ERR = 'LogfmtParserErr';
export const LABEL_FILTER_ERR = 'LabelFilterErr';
export const TEMPLATE_ERR = 'TemplateFormatErr';
export const SAMPLE_ERR = 'SampleExtractionErr';

/** The mutable state of one line while it passes the pipeline. */
export interface LineState {
  line: string;
  readonly ts: bigint;
  readonly labels: Map<string, string>;
  /** Names that came with the stream (or its metadata): parsed labels with these names get `_extracted`. */
  readonly base: ReadonlySet<string>;
}

type StageFn = (s: LineState) => boolean;

export interface ProcessedLine {
  line: string;
  labels: Labels;
  /** labelsKey(labels), for grouping into result streams/series. */
  key: string;
}

/** A line-only test for a line filter stage (also used by stores that evaluate pushed-down filters). */
export function lineFilterTest(f: { op: LineFilterStage['op']; values: readonly string[] }): (line: string) => boolean {
  const vals = f.values;
  switch (f.op) {
    case '|=':
      if (vals.length === 1) {
        const v = vals[0];
        return (l) => l.includes(v);
      }
      return (l) => vals.some((v) => l.includes(v));
    case '!=':
      return (l) => !vals.some((v) => l.includes(v));
    case '|~': {
      const res = vals.map(unanchoredRegExp);
      return (l) => res.some((r) => r.test(l));
    }
    case '!~': {
      const res = vals.map(unanchoredRegExp);
      return (l) => !res.some((r) => r.test(l));
    }
  }
}

/** An RE2 pattern as an unanchored JavaScript RegExp (`(?i)` → flag, `(?P<n>` → `(?<n>`). */
export function unanchoredRegExp(pattern: string): RegExp {
  let flags = 's';
  let body = pattern.replace(/\(\?P</g, '(?<');
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('m')) flags += 'm';
    body = body.slice(lead[0].length);
  }
  return new RegExp(body.replace(/\\z/g, '$'), flags);
}

const VALID_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const sanitized = new Map<string, string>();

export function sanitizeLabelName(key: string): string {
  if (VALID_NAME.test(key)) return key;
  let out = sanitized.get(key);
  if (out === undefined) {
    out = key.replace(/[^a-zA-Z0-9_]/g, '_');
    if (out === '' || /^[0-9]/.test(out)) out = '_' + out;
    if (sanitized.size > 10000) sanitized.clear();
    sanitized.set(key, out);
  }
  return out;
}

function setParsed(s: LineState, name: string, value: string): void {
  let n = name;
  if (s.base.has(n)) n += '_extracted';
  s.labels.set(n, value);
}

function setError(s: LineState, err: string, details: string): void {
  if (s.labels.has(ERROR_LABEL)) return;
  s.labels.set(ERROR_LABEL, err);
  s.labels.set(ERROR_DETAILS_LABEL, details);
}

// ---- parsers ----

function flattenJson(s: LineState, prefix: string, obj: Record<string, unknown>): void {
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const name = prefix === '' ? sanitizeLabelName(k) : `${prefix}_${sanitizeLabelName(k)}`;
    if (v === null || Array.isArray(v)) continue;
    if (typeof v === 'object') flattenJson(s, name, v as Record<string, unknown>);
    else setParsed(s, name, typeof v === 'string' ? v : String(v));
  }
}

/** Cheap test before JSON.parse: a thrown SyntaxError costs far more than parsing a line. */
function looksLikeObject(line: string): boolean {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) <= 32) i++;
  let j = line.length - 1;
  while (j > i && line.charCodeAt(j) <= 32) j--;
  return line[i] === '{' && line[j] === '}';
}

function parseJsonObject(s: LineState): Record<string, unknown> | undefined {
  if (!looksLikeObject(s.line)) {
    setError(s, JSON_ERR, 'Value looks like object, but can\'t find closing \'}\' symbol');
    return undefined;
  }
  let v: unknown;
  try {
    v = JSON.parse(s.line);
  } catch (e) {
    setError(s, JSON_ERR, (e as Error).message);
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    setError(s, JSON_ERR, 'Value looks like object, but can\'t find closing \'}\' symbol');
    return undefined;
  }
  return v as Record<string, unknown>;
}

function jsonAt(doc: unknown, path: JsonPath): unknown {
  let cur: unknown = doc;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof p === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[p];
    } else {
      if (Array.isArray(cur)) return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
  }
  return cur;
}

/** go-logfmt's scanner: key=value, key="quoted", bare keys. Calls `emit` per pair; false on malformed input. */
export function scanLogfmt(line: string, emit: (k: string, v: string) => void): boolean {
  let i = 0;
  const n = line.length;
  let ok = true;
  while (i < n) {
    while (i < n && line.charCodeAt(i) <= 32) i++;
    if (i >= n) break;
    const ks = i;
    while (i < n && line[i] !== '=' && line.charCodeAt(i) > 32 && line[i] !== '"') i++;
    const key = line.slice(ks, i);
    if (key === '') {
      ok = false;
      // skip the malformed token
      while (i < n && line.charCodeAt(i) > 32) i++;
      continue;
    }
    if (line[i] === '"') {
      ok = false;
      while (i < n && line.charCodeAt(i) > 32) i++;
      continue;
    }
    if (line[i] !== '=') {
      emit(key, '');
      continue;
    }
    i++;
    if (line[i] === '"') {
      let j = i + 1;
      let esc = false;
      while (j < n) {
        const c = line[j];
        if (esc) esc = false;
        else if (c === '\\') esc = true;
        else if (c === '"') break;
        j++;
      }
      if (j >= n) {
        ok = false;
        break;
      }
      let val: string;
      try {
        val = JSON.parse(line.slice(i, j + 1)) as string;
      } catch {
        val = line.slice(i + 1, j);
      }
      emit(key, val);
      i = j + 1;
    } else {
      const vs = i;
      while (i < n && line.charCodeAt(i) > 32) {
        if (line[i] === '"' || line[i] === '=') ok = false;
        i++;
      }
      emit(key, line.slice(vs, i));
    }
  }
  return ok;
}

interface PatternPart {
  literal?: string;
  capture?: string;
}

export function compilePattern(pattern: string): PatternPart[] {
  const parts: PatternPart[] = [];
  const re = /<(_|[A-Za-z_][A-Za-z0-9_]*)>/g;
  let last = 0;
  for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
    if (m.index > last) parts.push({ literal: pattern.slice(last, m.index) });
    parts.push({ capture: m[1] });
    last = m.index + m[0].length;
  }
  if (last < pattern.length) parts.push({ literal: pattern.slice(last) });
  return parts;
}

function matchPattern(parts: readonly PatternPart[], line: string, emit: (k: string, v: string) => void): void {
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.literal !== undefined) {
      if (i === 0) {
        if (!line.startsWith(p.literal)) return;
        pos = p.literal.length;
      }
      continue;
    }
    const next = parts[i + 1];
    let end: number;
    if (next?.literal !== undefined) {
      end = line.indexOf(next.literal, pos);
      if (end < 0) return;
    } else end = line.length;
    if (p.capture !== '_') emit(p.capture!, line.slice(pos, end));
    pos = end + (next?.literal?.length ?? 0);
  }
}

// ---- label filters ----

function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

export function compileLabelFilter(f: LabelFilterExpr): StageFn {
  switch (f.type) {
    case 'and': {
      const l = compileLabelFilter(f.left);
      const r = compileLabelFilter(f.right);
      return (s) => l(s) && r(s);
    }
    case 'or': {
      const l = compileLabelFilter(f.left);
      const r = compileLabelFilter(f.right);
      return (s) => l(s) || r(s);
    }
    case 'string': {
      const m: CompiledMatcher = compileMatcher(f.matcher);
      const name = f.matcher.name;
      return (s) => m.matches(s.labels.get(name) ?? '');
    }
    case 'ip': {
      const m = parseIpPattern(f.pattern);
      const { name, op } = f;
      return (s) => {
        // As Loki: a line that already failed parsing is left to the string matchers; a missing label fails.
        if (s.labels.has(ERROR_LABEL)) return true;
        const v = s.labels.get(name);
        if (v === undefined) return false;
        return containsMatchingIp(v, m) === (op === '=');
      };
    }
    default: {
      const conv: (v: string) => number | undefined =
        f.type === 'duration' ? (v) => {
          const ns = parseGoDuration(v);
          return ns === undefined ? undefined : ns;
        } : f.type === 'bytes' ? parseBytes : (v) => {
          const n = v.trim() === '' ? NaN : Number(v);
          return Number.isNaN(n) && v.trim().toLowerCase() !== 'nan' ? undefined : n;
        };
      const { name, op, value } = f;
      return (s) => {
        const v = s.labels.get(name);
        if (v === undefined) return false;
        const n = conv(v);
        if (n === undefined) {
          setError(s, LABEL_FILTER_ERR, `${f.type === 'number' ? 'strconv.ParseFloat' : f.type === 'duration' ? 'time: invalid duration' : 'bytes'}: parsing ${JSON.stringify(v)}: invalid syntax`);
          return true;
        }
        return compare(op, n, value);
      };
    }
  }
}

// ---- stages ----

const ANSI_RE = /\x1b\[[0-9;]*[A-Za-z]/g;

function compileStage(st: Stage): StageFn {
  switch (st.type) {
    case 'lineFilter': {
      if (st.ips?.length || st.patterns?.length) {
        const ips = (st.ips ?? []).map(parseIpPattern);
        const patterns = (st.patterns ?? []).map(compilePatternFilter);
        const strings = st.values.length > 0 ? lineFilterTest({ op: '|=', values: st.values }) : () => false;
        const any = (line: string): boolean => strings(line) || ips.some((m) => containsMatchingIp(line, m)) || patterns.some((p) => p(line));
        return st.op === '!=' ? (s) => !any(s.line) : (s) => any(s.line);
      }
      const test = lineFilterTest(st);
      return (s) => test(s.line);
    }
    case 'json': {
      if (!st.params) {
        return (s) => {
          const obj = parseJsonObject(s);
          if (obj) flattenJson(s, '', obj);
          return true;
        };
      }
      const params = st.params;
      return (s) => {
        let doc: unknown;
        try {
          doc = JSON.parse(s.line);
        } catch (e) {
          setError(s, JSON_ERR, (e as Error).message);
          return true;
        }
        for (const p of params) {
          const v = jsonAt(doc, p.path);
          if (v === undefined || v === null) continue;
          setParsed(s, p.name, typeof v === 'string' ? v : JSON.stringify(v));
        }
        return true;
      };
    }
    case 'logfmt': {
      const { strict, keepEmpty, params } = st;
      const wanted = params ? new Map(params.map((p) => [p.key, p.name])) : undefined;
      return (s) => {
        const found: [string, string][] = [];
        const ok = scanLogfmt(s.line, (k, v) => {
          if (v === '' && !keepEmpty) return;
          if (wanted) {
            const name = wanted.get(k);
            if (name !== undefined) found.push([name, v]);
          } else found.push([sanitizeLabelName(k), v]);
        });
        if (!ok && strict) {
          setError(s, LOGFMT_ERR, 'logfmt syntax error: unexpected character or unterminated value');
          return true;
        }
        for (const [k, v] of found) setParsed(s, k, v);
        return true;
      };
    }
    case 'regexp': {
      const re = unanchoredRegExp(st.pattern);
      return (s) => {
        const m = re.exec(s.line);
        if (m?.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) setParsed(s, sanitizeLabelName(k), v);
        return true;
      };
    }
    case 'pattern': {
      const parts = compilePattern(st.pattern);
      return (s) => {
        matchPattern(parts, s.line, (k, v) => setParsed(s, k, v));
        return true;
      };
    }
    case 'unpack':
      return (s) => {
        const obj = parseJsonObject(s);
        if (!obj) return true;
        for (const k of Object.keys(obj)) {
          const v = obj[k];
          if (typeof v !== 'string') continue;
          if (k === '_entry') s.line = v;
          else setParsed(s, sanitizeLabelName(k), v);
        }
        return true;
      };
    case 'labelFilter':
      return compileLabelFilter(st.filter);
    case 'lineFormat': {
      const t = new LineTemplate(st.template);
      return (s) => {
        try {
          s.line = t.execute(s.labels, s.line, s.ts);
        } catch (e) {
          setError(s, TEMPLATE_ERR, (e as Error).message);
        }
        return true;
      };
    }
    case 'labelFormat': {
      const items = st.items.map((it) => ('template' in it ? { dst: it.dst, t: new LineTemplate(it.template) } : { dst: it.dst, src: it.src }));
      return (s) => {
        // All templates see the labels as they were before this stage.
        const snapshot = new Map(s.labels);
        const sets: [string, string][] = [];
        const dels: string[] = [];
        for (const it of items) {
          if ('t' in it && it.t) {
            try {
              sets.push([it.dst, it.t.execute(snapshot, s.line, s.ts)]);
            } catch (e) {
              setError(s, TEMPLATE_ERR, (e as Error).message);
            }
          } else if ('src' in it && it.src !== undefined) {
            const v = snapshot.get(it.src);
            if (v !== undefined) {
              sets.push([it.dst, v]);
              if (it.src !== it.dst) dels.push(it.src);
            }
          }
        }
        for (const d of dels) s.labels.delete(d);
        for (const [k, v] of sets) s.labels.set(k, v);
        return true;
      };
    }
    case 'drop':
    case 'keep': {
      const items = st.items.map((it) => ({ name: it.name, m: it.matcher ? compileMatcher(it.matcher) : undefined }));
      const hit = (k: string, v: string): boolean => items.some((it) => it.name === k && (!it.m || it.m.matches(v)));
      if (st.type === 'drop') {
        return (s) => {
          for (const [k, v] of [...s.labels]) if (hit(k, v)) s.labels.delete(k);
          return true;
        };
      }
      return (s) => {
        for (const [k, v] of [...s.labels]) if (!hit(k, v)) s.labels.delete(k);
        return true;
      };
    }
    case 'decolorize':
      return (s) => {
        s.line = s.line.replace(ANSI_RE, '');
        return true;
      };
  }
}

function toLabels(m: Map<string, string>): Labels {
  const out: Label[] = [];
  for (const [name, value] of m) if (value !== '') out.push({ name, value });
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

/** True when a stage can change labels (so results cannot reuse the stream's label set). */
function touchesLabels(st: Stage): boolean {
  return st.type !== 'lineFilter' && st.type !== 'decolorize';
}

/** The pipeline compiled once per query; `process` runs one entry through it. */
export class Pipeline {
  private readonly fns: StageFn[];
  private readonly labelFree: boolean;
  private readonly streamCache = new Map<Labels, { labels: Labels; key: string; base: Set<string> }>();

  constructor(readonly stages: readonly Stage[]) {
    this.fns = stages.map(compileStage);
    this.labelFree = !stages.some(touchesLabels);
  }

  private stream(entry: LogEntry): { labels: Labels; key: string; base: Set<string> } {
    let c = this.streamCache.get(entry.stream);
    if (!c) {
      c = { labels: entry.stream, key: labelsKey(entry.stream), base: new Set(entry.stream.map((l) => l.name)) };
      if (this.streamCache.size > 100000) this.streamCache.clear();
      this.streamCache.set(entry.stream, c);
    }
    return c;
  }

  /** Runs the stages; undefined when a filter drops the line. Labels include structured metadata. */
  process(entry: LogEntry): ProcessedLine | undefined {
    const st = this.stream(entry);
    const hasMeta = entry.metadata !== undefined && Object.keys(entry.metadata).length > 0;
    if (this.labelFree && !hasMeta) {
      let line = entry.line;
      for (let i = 0; i < this.fns.length; i++) {
        const s = { line, ts: entry.ts, labels: EMPTY_MAP, base: st.base };
        if (!this.fns[i](s)) return undefined;
        line = s.line;
      }
      return { line, labels: st.labels, key: st.key };
    }
    const labels = new Map<string, string>();
    for (const l of entry.stream) labels.set(l.name, l.value);
    let base = st.base;
    if (hasMeta) {
      base = new Set(base);
      for (const [k, v] of Object.entries(entry.metadata!)) {
        labels.set(k, v);
        base.add(k);
      }
    }
    const s: LineState = { line: entry.line, ts: entry.ts, labels, base };
    for (let i = 0; i < this.fns.length; i++) if (!this.fns[i](s)) return undefined;
    const out = toLabels(labels);
    return { line: s.line, labels: out, key: labelsKey(out) };
  }

  /** Runs the stages and hands back the raw label map (for sample extraction). */
  processState(entry: LogEntry): LineState | undefined {
    const labels = new Map<string, string>();
    for (const l of entry.stream) labels.set(l.name, l.value);
    let base = this.stream(entry).base;
    if (entry.metadata) {
      base = new Set(base);
      for (const [k, v] of Object.entries(entry.metadata)) {
        labels.set(k, v);
        base.add(k);
      }
    }
    const s: LineState = { line: entry.line, ts: entry.ts, labels, base };
    for (let i = 0; i < this.fns.length; i++) if (!this.fns[i](s)) return undefined;
    return s;
  }

  get labelStagesFree(): boolean {
    return this.labelFree;
  }
}

const EMPTY_MAP = new Map<string, string>();

export { toLabels };
