/**
 * One hand-written scanner for both the Prometheus text format 0.0.4 and OpenMetrics 1.0 text.
 * It walks the body once with charCodeAt, slicing substrings only for names and values it keeps,
 * because a busy server parses thousands of lines per target every scrape interval.
 *
 * The formats differ only in a few places, handled by the `om` flag:
 * - OpenMetrics must end with `# EOF`, allows no free comments or blank lines, has `# UNIT`,
 *   timestamps in (float) seconds and exemplars after ` # `.
 * - The text format ignores unknown comments and blank lines and has integer millisecond timestamps.
 */
import { METRIC_NAME, type Label, type Labels } from '../labels.js';
import {
  ParseError,
  type Exemplar,
  type ExpositionFormat,
  type MetricMetadata,
  type MetricType,
  type ParsedSample,
  type ParseResult,
} from './types.js';

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQUALS = 61;
const BACKSLASH = 92;
const BRACE_OPEN = 123;
const BRACE_CLOSE = 125;

const TEXT_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

const OM_TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
};

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isMetricNameStart(c: number): boolean {
  return isLetter(c) || c === 95 /* _ */ || c === 58 /* : */;
}
function isMetricNameChar(c: number): boolean {
  return isMetricNameStart(c) || isDigit(c);
}
function isLabelNameStart(c: number): boolean {
  return isLetter(c) || c === 95;
}
function isLabelNameChar(c: number): boolean {
  return isLabelNameStart(c) || isDigit(c);
}
function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/**
 * Parses a float as Go's strconv.ParseFloat does for exposition values: decimal and exponent forms,
 * and case-insensitive NaN/Inf/Infinity with optional sign. Returns undefined when invalid.
 */
export function parseExpositionFloat(s: string): number | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  let plain = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // digits . + - e E
    if (!(isDigit(c) || c === 46 || c === 43 || c === 45 || c === 101 || c === 69)) {
      plain = false;
      break;
    }
  }
  if (plain) {
    const v = Number(s);
    return Number.isNaN(v) ? undefined : v;
  }
  switch (s.toLowerCase()) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    default:
      return undefined;
  }
}

interface MutableMetadata {
  name: string;
  type: MetricType;
  help: string;
  unit: string;
}

class Scanner {
  private i = 0;
  private end = 0;
  private line = 0;
  private sawEOF = false;
  readonly samples: ParsedSample[] = [];
  private readonly meta = new Map<string, MutableMetadata>();

  /**
   * @param visit when given, samples go to it (with their series text only; labels are not built) instead
   *   of being collected. Scrapers resolve labels from the series text only for series they have not seen.
   */
  constructor(
    private readonly text: string,
    private readonly om: boolean,
    private readonly visit?: SampleVisitor,
  ) {}

  /** Parses just `name{labels}` (a ParsedSample's series text); errors carry `line`. */
  static seriesLabels(series: string, line: number): Labels {
    const sc = new Scanner(series, false);
    sc.line = line;
    sc.end = series.length;
    const start = sc.i;
    const name = sc.readMetricName();
    if (name === '' || start !== 0) throw sc.error(`expected a valid start token, got ${sc.got()}`);
    const labels: Label[] = [{ name: METRIC_NAME, value: name }];
    if (sc.peek() === BRACE_OPEN) sc.parseLabelBlock(labels);
    if (sc.i !== sc.end) throw sc.error(`expected value after metric, got ${sc.got()}`);
    return finishLabels(labels, sc);
  }

  metadata(): MetricMetadata[] {
    return [...this.meta.values()];
  }

  run(): ParseResult {
    const text = this.text;
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      this.line++;
      let eol = text.indexOf('\n', pos);
      if (eol === -1) eol = n;
      if (this.sawEOF) throw this.error('unexpected data after # EOF');
      let end = eol;
      // Tolerate CRLF line ends in the lenient text format only.
      if (!this.om && end > pos && text.charCodeAt(end - 1) === CR) end--;
      this.i = pos;
      this.end = end;
      this.parseLine();
      pos = eol + 1;
    }
    if (this.om && !this.sawEOF) {
      this.line = Math.max(this.line, 1);
      throw this.error('data does not end with # EOF');
    }
    return { samples: this.samples, metadata: this.metadata() };
  }

  private error(detail: string): ParseError {
    return new ParseError(this.line, detail);
  }

  /** The token at the cursor (up to the next blank), quoted for an error message. */
  private got(): string {
    let j = this.i;
    while (j < this.end && !isBlank(this.text.charCodeAt(j))) j++;
    if (j === this.i) return this.i >= this.end ? 'end of line' : JSON.stringify(this.text[this.i]);
    const tok = this.text.slice(this.i, Math.min(j, this.i + 60));
    return JSON.stringify(tok);
  }

  private peek(): number {
    return this.i < this.end ? this.text.charCodeAt(this.i) : LF;
  }

  private skipBlanks(): number {
    const start = this.i;
    while (this.i < this.end && isBlank(this.text.charCodeAt(this.i))) this.i++;
    return this.i - start;
  }

  private parseLine(): void {
    if (!this.om) this.skipBlanks();
    if (this.i >= this.end) {
      if (this.om) throw this.error('unexpected empty line');
      return;
    }
    const c = this.text.charCodeAt(this.i);
    if (c === HASH) {
      if (this.om) this.parseOpenMetricsComment();
      else this.parseTextComment();
      return;
    }
    if (!isMetricNameStart(c)) throw this.error(`expected a valid start token, got ${this.got()}`);
    this.parseSample();
  }

  private readMetricName(): string {
    const start = this.i;
    if (this.i < this.end && isMetricNameStart(this.text.charCodeAt(this.i))) {
      this.i++;
      while (this.i < this.end && isMetricNameChar(this.text.charCodeAt(this.i))) this.i++;
    }
    return this.text.slice(start, this.i);
  }

  private readWord(): string {
    const start = this.i;
    while (this.i < this.end && !isBlank(this.text.charCodeAt(this.i))) this.i++;
    return this.text.slice(start, this.i);
  }

  private metadataFor(name: string): MutableMetadata {
    let m = this.meta.get(name);
    if (!m) {
      m = { name, type: 'unknown', help: '', unit: '' };
      this.meta.set(name, m);
    }
    return m;
  }

  private parseTextComment(): void {
    this.i++; // '#'
    this.skipBlanks();
    const word = this.readWord();
    if (word !== 'HELP' && word !== 'TYPE') return; // any other comment is ignored in the text format
    if (this.skipBlanks() === 0) throw this.error(`expected metric name after ${word}, got ${this.got()}`);
    const name = this.readMetricName();
    if (name === '' || (this.i < this.end && !isBlank(this.peek()))) {
      throw this.error(`expected metric name after ${word}, got ${this.got()}`);
    }
    this.skipBlanks();
    const rest = this.text.slice(this.i, this.end);
    if (word === 'HELP') {
      this.metadataFor(name).help = rest.indexOf('\\') >= 0 ? unescapeHelp(rest, false) : rest;
      return;
    }
    const typeWord = rest.trimEnd();
    const type = TEXT_TYPES[typeWord];
    if (type === undefined) throw this.error(`invalid metric type ${JSON.stringify(typeWord)}`);
    this.metadataFor(name).type = type;
  }

  private parseOpenMetricsComment(): void {
    const text = this.text;
    const lineText = text.slice(this.i, this.end);
    if (lineText === '# EOF') {
      this.sawEOF = true;
      return;
    }
    let keyword: 'HELP' | 'TYPE' | 'UNIT';
    if (lineText.startsWith('# HELP ')) keyword = 'HELP';
    else if (lineText.startsWith('# TYPE ')) keyword = 'TYPE';
    else if (lineText.startsWith('# UNIT ')) keyword = 'UNIT';
    else throw this.error(`expected a valid start token, got ${JSON.stringify(lineText.slice(0, 60))}`);
    this.i += 7;
    const name = this.readMetricName();
    if (name === '') throw this.error(`expected metric name after ${keyword}, got ${this.got()}`);
    let rest = '';
    if (this.i < this.end) {
      if (this.peek() !== SPACE) throw this.error(`expected text in ${keyword}, got ${this.got()}`);
      rest = text.slice(this.i + 1, this.end);
    }
    const m = this.metadataFor(name);
    switch (keyword) {
      case 'HELP':
        m.help = rest.indexOf('\\') >= 0 ? unescapeHelp(rest, true) : rest;
        return;
      case 'TYPE': {
        const type = OM_TYPES[rest];
        if (type === undefined) throw this.error(`invalid metric type ${JSON.stringify(rest)}`);
        m.type = type;
        return;
      }
      case 'UNIT':
        if (rest !== '' && !(name.endsWith('_' + rest))) {
          throw this.error(`unit ${JSON.stringify(rest)} not a suffix of metric ${JSON.stringify(name)}`);
        }
        m.unit = rest;
        return;
    }
  }

  private parseSample(): void {
    const start = this.i;
    const name = this.readMetricName();
    const visit = this.visit;
    const labels: Label[] | undefined = visit ? undefined : [{ name: METRIC_NAME, value: name }];
    if (this.peek() === BRACE_OPEN) this.parseLabelBlock(labels);
    const series = this.text.slice(start, this.i);
    if (this.skipBlanks() === 0) throw this.error(`expected value after metric, got ${this.got()}`);
    this.lastWordStart = this.i;
    const v = parseExpositionFloat(this.readWord());
    if (v === undefined) {
      throw this.error(`expected value after metric, got ${JSON.stringify(this.lastWord())}`);
    }
    let t: number | undefined;
    let exemplar: Exemplar | undefined;
    if (this.skipBlanks() > 0 && this.i < this.end) {
      if (this.om && this.peek() === HASH) {
        exemplar = this.parseExemplar();
      } else {
        t = this.parseTimestamp();
        if (this.skipBlanks() > 0 && this.i < this.end) {
          if (this.om && this.peek() === HASH) exemplar = this.parseExemplar();
          else throw this.error(`expected next entry after timestamp, got ${this.got()}`);
        }
      }
    }
    if (this.i < this.end) throw this.error(`expected next entry after value, got ${this.got()}`);
    if (visit) visit(series, v, t, exemplar, this.line);
    else this.samples.push({ series, labels: finishLabels(labels as Label[], this), v, t, exemplar, line: this.line });
  }

  private lastWordStart = 0;
  private lastWord(): string {
    return this.text.slice(this.lastWordStart, this.i);
  }

  private parseTimestamp(): number {
    this.lastWordStart = this.i;
    const tok = this.readWord();
    if (this.om) {
      const secs = parseExpositionFloat(tok);
      if (secs === undefined) throw this.error(`expected timestamp or # symbol, got ${JSON.stringify(tok)}`);
      if (!Number.isFinite(secs)) throw this.error(`invalid timestamp ${JSON.stringify(tok)}`);
      // Rounded rather than truncated: 1520879607.789 * 1000 is 1520879607788.9998 in binary floating point.
      return Math.round(secs * 1000);
    }
    let k = tok.charCodeAt(0) === 45 ? 1 : 0;
    if (k === tok.length) throw this.error(`expected timestamp, got ${JSON.stringify(tok)}`);
    for (; k < tok.length; k++) {
      if (!isDigit(tok.charCodeAt(k))) throw this.error(`expected timestamp, got ${JSON.stringify(tok)}`);
    }
    return Number(tok);
  }

  private parseExemplar(): Exemplar {
    this.i++; // '#'
    if (this.skipBlanks() === 0 || this.peek() !== BRACE_OPEN) {
      throw this.error(`expected exemplar labels after #, got ${this.got()}`);
    }
    const labels: Label[] = [];
    this.parseLabelBlock(labels);
    if (this.skipBlanks() === 0) throw this.error(`expected value after exemplar labels, got ${this.got()}`);
    this.lastWordStart = this.i;
    const value = parseExpositionFloat(this.readWord());
    if (value === undefined) throw this.error(`expected value after exemplar labels, got ${JSON.stringify(this.lastWord())}`);
    let t: number | undefined;
    if (this.skipBlanks() > 0 && this.i < this.end) t = this.parseTimestamp();
    this.skipBlanks();
    if (this.i < this.end) throw this.error(`expected next entry after exemplar, got ${this.got()}`);
    return { labels: finishLabels(labels, this), value, t };
  }

  /**
   * Parses `{name="value",...}` (trailing comma allowed) into `out`; the cursor is on `{`. Without `out`
   * the block is only checked and skipped, allocating nothing.
   */
  private parseLabelBlock(out: Label[] | undefined): void {
    const text = this.text;
    this.i++;
    for (;;) {
      this.skipBlanks();
      const c = this.peek();
      if (c === BRACE_CLOSE) {
        this.i++;
        return;
      }
      if (!isLabelNameStart(c)) throw this.error(`expected label name, got ${this.got()}`);
      const ns = this.i;
      this.i++;
      while (this.i < this.end && isLabelNameChar(text.charCodeAt(this.i))) this.i++;
      const ne = this.i;
      this.skipBlanks();
      if (this.peek() !== EQUALS) throw this.error(`expected equal, got ${this.got()}`);
      this.i++;
      this.skipBlanks();
      if (this.peek() !== QUOTE) throw this.error(`expected label value, got ${this.got()}`);
      if (out) out.push({ name: text.slice(ns, ne), value: this.readQuoted() });
      else this.skipQuoted();
      this.skipBlanks();
      const d = this.peek();
      if (d === COMMA) {
        this.i++;
        continue;
      }
      if (d === BRACE_CLOSE) {
        this.i++;
        return;
      }
      throw this.error(`expected comma or brace close, got ${this.got()}`);
    }
  }

  /** Reads a double-quoted label value at the cursor, undoing `\\`, `\"` and `\n`. */
  private readQuoted(): string {
    const text = this.text;
    const start = ++this.i;
    for (let j = start; j < this.end; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        this.i = j + 1;
        return text.slice(start, j);
      }
      if (c === BACKSLASH) return this.readQuotedEscaped(start);
    }
    throw this.error('unterminated label value');
  }

  /** Moves past a double-quoted label value at the cursor without building it. */
  private skipQuoted(): void {
    const text = this.text;
    for (let j = this.i + 1; j < this.end; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        this.i = j + 1;
        return;
      }
      if (c === BACKSLASH) j++;
    }
    throw this.error('unterminated label value');
  }

  private readQuotedEscaped(start: number): string {
    const text = this.text;
    let out = '';
    let from = start;
    for (let j = start; j < this.end; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        this.i = j + 1;
        return out + text.slice(from, j);
      }
      if (c === BACKSLASH) {
        if (j + 1 >= this.end) break;
        const e = text.charCodeAt(j + 1);
        const rep = e === BACKSLASH ? '\\' : e === QUOTE ? '"' : e === 110 /* n */ ? '\n' : undefined;
        // Unknown escapes stay as written, as Prometheus leaves them.
        out += text.slice(from, j) + (rep ?? text.slice(j, j + 2));
        j++;
        from = j + 1;
      }
    }
    throw this.error('unterminated label value');
  }

  duplicateLabel(name: string): ParseError {
    return this.error(`duplicate label name ${JSON.stringify(name)}`);
  }
}

/** Sorts (only when needed: exporters usually write sorted labels) and rejects duplicate names. */
function finishLabels(labels: Label[], scanner: Scanner): Labels {
  let sorted = true;
  for (let k = 1; k < labels.length; k++) {
    const a = labels[k - 1].name;
    const b = labels[k].name;
    if (a >= b) {
      sorted = false;
      break;
    }
  }
  if (!sorted) {
    labels.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    for (let k = 1; k < labels.length; k++) {
      if (labels[k - 1].name === labels[k].name) throw scanner.duplicateLabel(labels[k].name);
    }
  }
  return labels;
}

/** HELP text escapes: `\\` and `\n` in the text format; OpenMetrics also has `\"`. */
function unescapeHelp(s: string, om: boolean): string {
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH && j + 1 < s.length) {
      const e = s.charCodeAt(j + 1);
      if (e === BACKSLASH) {
        out += '\\';
        j++;
        continue;
      }
      if (e === 110) {
        out += '\n';
        j++;
        continue;
      }
      if (om && e === QUOTE) {
        out += '"';
        j++;
        continue;
      }
    }
    out += s[j];
  }
  return out;
}

/** Receives one sample from scanExposition; `series` is the sample's `name{labels}` text as written. */
export type SampleVisitor = (series: string, v: number, t: number | undefined, exemplar: Exemplar | undefined, line: number) => void;

/**
 * The scraper's fast path: checks the whole body like parseExposition but hands each sample to `visit`
 * without building its labels (see parseSeriesLabels), and returns the metadata. Throws ParseError.
 */
export function scanExposition(text: string, format: ExpositionFormat, visit: SampleVisitor): MetricMetadata[] {
  const sc = new Scanner(text, format === 'openmetrics', visit);
  sc.run();
  return sc.metadata();
}

/**
 * The sorted labels of a series text from scanExposition. Throws ParseError naming `line` (for example
 * on a duplicate label name, which scanExposition does not look for).
 */
export function parseSeriesLabels(series: string, line = 1): Labels {
  return Scanner.seriesLabels(series, line);
}

/** Parses a whole exposition body. Throws ParseError (with a line number) on the first malformed line. */
export function parseExposition(text: string, format: ExpositionFormat = 'text'): ParseResult {
  return new Scanner(text, format === 'openmetrics').run();
}

/**
 * Picks the parser for a scrape response's Content-Type as Prometheus 2.42 does: OpenMetrics for
 * `application/openmetrics-text`, the text format for everything else (including a missing header).
 */
export function formatFromContentType(contentType: string | undefined | null): ExpositionFormat {
  if (!contentType) return 'text';
  const semi = contentType.indexOf(';');
  const media = (semi >= 0 ? contentType.slice(0, semi) : contentType).trim().toLowerCase();
  return media === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}
