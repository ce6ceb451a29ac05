/**
 * LogQL parsing: @grafana/lezer-logql builds the concrete tree; this module turns it into the typed AST of
 * ast.ts, with Loki's error texts (`parse error at line 1, col 12: syntax error: ...`). The lezer grammar
 * leaves binary operators flat and left-associative, so their precedence is restored here as Loki's yacc
 * grammar has it.
 */
import { parser } from '@grafana/lezer-logql';
import type { SyntaxNode } from '@lezer/common';
import type { Matcher, MatchType } from '../../model/matcher.js';
import { anchoredRegExp } from '../../model/matcher.js';
import { unquoteString } from '../../metrics/promql/parser/literals.js';
import { parseIpPattern } from './ip.js';
import { patternFilterError } from './pattern-filter.js';
import type {
  BinaryExpr,
  BinaryOp,
  CompareOp,
  DropKeepStage,
  Expr,
  Grouping,
  JsonPath,
  LabelFilterExpr,
  LabelFormatStage,
  LineFilterOp,
  LogSelectorExpr,
  MetricExpr,
  RangeAggregationExpr,
  RangeOp,
  Stage,
  Unwrap,
  VectorMatching,
  VectorOp,
} from './ast.js';
import { parseBytes, parseGoDuration } from './units.js';
import { LineTemplate } from './template.js';

/** A LogQL syntax or semantic error; the API answers it with 400 and this message. */
export class LogQLParseError extends Error {
  constructor(
    message: string,
    readonly line = 0,
    readonly col = 0,
  ) {
    super(message);
    this.name = 'LogQLParseError';
  }
}

export function parseLogQL(query: string): Expr {
  const tree = parser.parse(query);
  let errNode: SyntaxNode | undefined;
  tree.iterate({
    enter(n) {
      if (errNode) return false;
      if (n.type.isError) {
        errNode = n.node;
        return false;
      }
      return undefined;
    },
  });
  if (errNode) throw syntaxError(query, errNode.from, errNode.to);
  const top = tree.topNode.getChild('Expr');
  if (!top) throw syntaxError(query, 0, 0);
  return new Builder(query).expr(top);
}

/** Parses and insists on a log (not metric) query, as the tail endpoint needs. */
export function parseLogSelector(query: string): LogSelectorExpr {
  const e = parseLogQL(query);
  if (e.kind !== 'log') throw new LogQLParseError('tail queries must be log queries');
  return e;
}

function position(query: string, pos: number): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < query.length; i++) {
    if (query[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, col };
}

function syntaxError(query: string, from: number, to: number): LogQLParseError {
  let start = from;
  while (start < query.length && /\s/.test(query[start])) start++;
  const { line, col } = position(query, start);
  let token = query.slice(start, Math.max(to, start));
  if (token === '') {
    const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"?|`[^`]*`?|[0-9.]+[a-zA-Z]*|[|!=~<>]{1,2}|.)/s.exec(query.slice(start));
    token = m ? m[0] : '';
  }
  const what = token === '' ? 'end of query' : JSON.stringify(token);
  return new LogQLParseError(`parse error at line ${line}, col ${col}: syntax error: unexpected ${what}`, line, col);
}

const BIN_PRECEDENCE: Record<BinaryOp, number> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '>': 3,
  '>=': 3,
  '<': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  '^': 6,
};

const BIN_NODES: Record<string, BinaryOp> = {
  Or: 'or', And: 'and', Unless: 'unless', Eql: '==', Neq: '!=', Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=',
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^',
};

const COMPARE_NODES: Record<string, CompareOp> = { Eql: '==', Eq: '==', Neq: '!=', Gtr: '>', Gte: '>=', Lss: '<', Lte: '<=' };

interface BinPart {
  op: BinaryOp;
  returnBool: boolean;
  matching?: VectorMatching;
}

class Builder {
  constructor(private readonly q: string) {}

  private text(n: SyntaxNode): string {
    return this.q.slice(n.from, n.to);
  }

  private fail(n: SyntaxNode, msg: string): never {
    const { line, col } = position(this.q, n.from);
    throw new LogQLParseError(`parse error at line ${line}, col ${col}: ${msg}`, line, col);
  }

  private str(n: SyntaxNode): string {
    try {
      return unquoteString(this.text(n));
    } catch {
      this.fail(n, `invalid string ${this.text(n)}`);
    }
  }

  private children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  expr(n: SyntaxNode): Expr {
    const inner = n.firstChild;
    if (!inner) this.fail(n, 'syntax error: empty expression');
    if (inner.name === 'LogExpr') return this.logExpr(inner);
    if (inner.name === 'MetricExpr') return this.metricExpr(inner);
    this.fail(inner, `syntax error: unexpected ${JSON.stringify(this.text(inner))}`);
  }

  private asMetric(n: SyntaxNode): MetricExpr {
    const e = this.expr(n);
    if (e.kind === 'log') this.fail(n, 'syntax error: unexpected log query where a metric query is expected');
    return e;
  }

  // ---- log queries ----

  logExpr(n: SyntaxNode): LogSelectorExpr {
    // Parenthesised: LogExpr > LogExpr.
    const nested = n.getChild('LogExpr');
    if (nested && !n.getChild('Selector')) return this.logExpr(nested);
    const sel = n.getChild('Selector');
    if (!sel) this.fail(n, 'syntax error: expected a stream selector');
    const matchers = this.selector(sel);
    const pipe = n.getChild('PipelineExpr');
    const pipeline = pipe ? this.pipeline(pipe) : [];
    return { kind: 'log', matchers, pipeline };
  }

  private selector(n: SyntaxNode): Matcher[] {
    const out: Matcher[] = [];
    const walk = (m: SyntaxNode): void => {
      for (const c of this.children(m)) {
        if (c.name === 'Matchers') walk(c);
        else if (c.name === 'Matcher') out.push(this.matcher(c));
      }
    };
    const ms = n.getChild('Matchers');
    if (ms) walk(ms);
    if (out.length === 0 || out.every((m) => matchesEmptyValue(m))) {
      this.fail(
        n,
        'queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
      );
    }
    return out;
  }

  private matcher(n: SyntaxNode): Matcher {
    const id = n.getChild('Identifier');
    const s = n.getChild('String');
    if (!id || !s) this.fail(n, 'syntax error: bad matcher');
    const opNode = id.nextSibling!;
    const ops: Record<string, MatchType> = { Eq: '=', Neq: '!=', Re: '=~', Nre: '!~' };
    const type = ops[opNode.name];
    if (!type) this.fail(opNode, `syntax error: unexpected ${JSON.stringify(this.text(opNode))}`);
    const value = this.str(s);
    if (type === '=~' || type === '!~') {
      try {
        anchoredRegExp(value);
      } catch (e) {
        this.fail(s, `error parsing regexp: ${(e as Error).message}`);
      }
    }
    return { type, name: this.text(id), value };
  }

  private pipeline(n: SyntaxNode): Stage[] {
    const out: Stage[] = [];
    const walk = (p: SyntaxNode): void => {
      for (const c of this.children(p)) {
        if (c.name === 'PipelineExpr') walk(c);
        else if (c.name === 'PipelineStage') this.stage(c, out);
      }
    };
    walk(n);
    return out;
  }

  private stage(n: SyntaxNode, out: Stage[]): void {
    for (const c of this.children(n)) {
      switch (c.name) {
        case 'Pipe':
          break;
        case 'LineFilters':
          this.lineFilters(c, out);
          break;
        case 'LabelParser':
          out.push(this.labelParser(c));
          break;
        case 'LogfmtParser':
          out.push(this.logfmt(c));
          break;
        case 'JsonExpressionParser':
          out.push(this.jsonExpr(c));
          break;
        case 'LogfmtExpressionParser':
          out.push(this.logfmt(c));
          break;
        case 'LabelFilter':
          out.push({ type: 'labelFilter', filter: this.labelFilter(c) });
          break;
        case 'LineFormatExpr':
          out.push({ type: 'lineFormat', template: this.checkedTemplate(c.getChild('String')!) });
          break;
        case 'LabelFormatExpr':
          out.push(this.labelFormat(c));
          break;
        case 'DecolorizeExpr':
          out.push({ type: 'decolorize' });
          break;
        case 'DropLabelsExpr':
          out.push(this.dropKeep(c, 'drop'));
          break;
        case 'KeepLabelsExpr':
          out.push(this.dropKeep(c, 'keep'));
          break;
        default:
          this.fail(c, `syntax error: unsupported pipeline stage ${JSON.stringify(this.text(c))}`);
      }
    }
  }

  private lineFilters(n: SyntaxNode, out: Stage[]): void {
    for (const c of this.children(n)) {
      if (c.name === 'LineFilters') this.lineFilters(c, out);
      else if (c.name === 'OrFilter') {
        // `!= ip("…") or "x"`: the grammar hangs the alternatives after an ip() filter beside it.
        const last = out.pop();
        if (!last || last.type !== 'lineFilter') this.fail(c, 'syntax error: "or" without a line filter before it');
        const values = [...last.values];
        const ips = [...(last.ips ?? [])];
        const patterns = [...(last.patterns ?? [])];
        const isPattern = patterns.length > 0;
        this.filterValues(c, last.op, isPattern ? patterns : values, ips, isPattern);
        out.push(this.lineFilterStage(c, last.op, values, ips, patterns));
      } else if (c.name === 'LineFilter') {
        const f = c.getChild('Filter');
        const opText = f ? this.text(f) : '';
        if (!['|=', '!=', '|~', '!~', '|>', '!>'].includes(opText)) this.fail(c, `syntax error: unsupported line filter ${JSON.stringify(this.text(c))}`);
        // Pattern filters are kept as `|=`/`!=` with pattern alternatives.
        const isPattern = opText === '|>' || opText === '!>';
        const op = (isPattern ? (opText === '|>' ? '|=' : '!=') : opText) as LineFilterOp;
        const values: string[] = [];
        const ips: string[] = [];
        const patterns: string[] = [];
        this.filterValues(c, op, isPattern ? patterns : values, ips, isPattern);
        out.push(this.lineFilterStage(c, op, values, ips, patterns));
      }
    }
  }

  /** The string and `ip("…")` alternatives of a line filter (an ip() is a FilterOp followed by its String). */
  private filterValues(parent: SyntaxNode, op: LineFilterOp, values: string[], ips: string[], isPattern = false): void {
    let ipNext = false;
    for (const v of this.children(parent)) {
      if (v.name === 'FilterOp') ipNext = true;
      else if (v.name === 'String') {
        if (!ipNext) {
          const text = this.str(v);
          if (isPattern) {
            const err = patternFilterError(text);
            if (err) this.fail(v, err);
          }
          values.push(text);
        } else {
          if (isPattern) this.fail(v, 'ip: invalid operation: ip() works with |= and != only');
          if (op === '|~' || op === '!~') this.fail(v, 'ip: invalid operation: ip() works with |= and != only');
          const pattern = this.str(v);
          try {
            parseIpPattern(pattern);
          } catch (e) {
            this.fail(v, (e as Error).message);
          }
          ips.push(pattern);
        }
        ipNext = false;
      } else if (v.name === 'OrFilter') this.filterValues(v, op, values, ips, isPattern);
    }
  }

  private lineFilterStage(n: SyntaxNode, op: LineFilterOp, values: string[], ips: string[], patterns: string[] = []): Stage {
    if (values.length === 0 && ips.length === 0 && patterns.length === 0) this.fail(n, 'syntax error: line filter without a value');
    if (op === '|~' || op === '!~') {
      for (const v of values) {
        try {
          anchoredRegExp(v);
        } catch (e) {
          this.fail(n, `error parsing regexp: ${(e as Error).message}`);
        }
      }
    }
    return { type: 'lineFilter', op, values, ...(ips.length > 0 ? { ips } : {}), ...(patterns.length > 0 ? { patterns } : {}) };
  }

  private labelParser(n: SyntaxNode): Stage {
    const kw = n.firstChild!;
    switch (kw.name) {
      case 'Json':
        return { type: 'json' };
      case 'Logfmt':
        return { type: 'logfmt', strict: false, keepEmpty: false };
      case 'Unpack':
        return { type: 'unpack' };
      case 'Regexp': {
        const s = n.getChild('String')!;
        const pattern = this.str(s);
        let re: RegExp;
        try {
          re = anchoredRegExp(pattern);
        } catch (e) {
          this.fail(s, `error parsing regexp: ${(e as Error).message}`);
        }
        if (!/\(\?<[A-Za-z_]/.test(re.source)) this.fail(s, 'at least one named capture must be supplied');
        return { type: 'regexp', pattern };
      }
      case 'Pattern': {
        const s = n.getChild('String')!;
        const pattern = this.str(s);
        if (!/<[A-Za-z_][A-Za-z0-9_]*>/.test(pattern)) this.fail(s, 'at least one capture is required');
        return { type: 'pattern', pattern };
      }
      default:
        this.fail(n, `syntax error: unsupported parser ${JSON.stringify(this.text(n))}`);
    }
  }

  private logfmt(n: SyntaxNode): Stage {
    let strict = false;
    let keepEmpty = false;
    const flags = n.getChild('LogfmtParserFlags');
    flags?.cursor().iterate((c) => {
      if (c.name !== 'ParserFlag') return;
      const t = this.q.slice(c.from, c.to);
      if (t === '--strict') strict = true;
      else if (t === '--keep-empty') keepEmpty = true;
    });
    const list = n.getChild('LabelExtractionExpressionList');
    const params = list ? this.extractions(list).map(({ name, value }) => ({ name, key: value })) : undefined;
    return { type: 'logfmt', strict, keepEmpty, params };
  }

  private extractions(n: SyntaxNode): { name: string; value: string; node: SyntaxNode }[] {
    const out: { name: string; value: string; node: SyntaxNode }[] = [];
    const walk = (m: SyntaxNode): void => {
      for (const c of this.children(m)) {
        if (c.name === 'LabelExtractionExpressionList') walk(c);
        else if (c.name === 'LabelExtractionExpression') {
          const id = c.getChild('Identifier')!;
          const s = c.getChild('String');
          // `json foo` is shorthand for `json foo="foo"`.
          out.push({ name: this.text(id), value: s ? this.str(s) : this.text(id), node: c });
        }
      }
    };
    walk(n);
    return out;
  }

  private jsonExpr(n: SyntaxNode): Stage {
    const list = n.getChild('LabelExtractionExpressionList')!;
    const params = this.extractions(list).map(({ name, value, node }) => {
      const path = parseJsonPath(value);
      if (!path) this.fail(node, `syntax error: invalid json path ${JSON.stringify(value)}`);
      return { name, path };
    });
    return { type: 'json', params };
  }

  labelFilter(n: SyntaxNode): LabelFilterExpr {
    const kids = this.children(n);
    // Binary: LabelFilter (And|Or|,) LabelFilter; parenthesised: ( LabelFilter ).
    const subs = kids.filter((k) => k.name === 'LabelFilter');
    if (subs.length === 2) {
      const type = kids.some((k) => k.name === 'Or') ? 'or' : 'and';
      return { type, left: this.labelFilter(subs[0]), right: this.labelFilter(subs[1]) };
    }
    if (subs.length === 1) return this.labelFilter(subs[0]);
    const k = kids[0];
    if (!k) this.fail(n, 'syntax error: empty label filter');
    switch (k.name) {
      case 'Matcher':
        return { type: 'string', matcher: this.matcher(k) };
      case 'UnitFilter': {
        const u = k.firstChild!;
        const name = this.text(u.getChild('Identifier')!);
        const op = this.compareOp(u);
        if (u.name === 'DurationFilter') {
          const d = u.getChild('Duration')!;
          const v = parseGoDuration(this.text(d));
          if (v === undefined) this.fail(d, `syntax error: invalid duration ${this.text(d)}`);
          return { type: 'duration', name, op, value: v };
        }
        const b = u.getChild('Bytes')!;
        const v = parseBytes(this.text(b));
        if (v === undefined) this.fail(b, `syntax error: invalid bytes ${this.text(b)}`);
        return { type: 'bytes', name, op, value: v };
      }
      case 'NumberFilter': {
        const name = this.text(k.getChild('Identifier')!);
        const op = this.compareOp(k);
        const lit = k.getChild('LiteralExpr')!;
        return { type: 'number', name, op, value: this.literal(lit) };
      }
      case 'IpLabelFilter': {
        const name = this.text(k.getChild('Identifier')!);
        const s = k.getChild('String')!;
        const pattern = this.str(s);
        try {
          parseIpPattern(pattern);
        } catch (e) {
          this.fail(s, (e as Error).message);
        }
        const op = k.getChild('Neq') ? '!=' : k.getChild('Eq') ? '=' : undefined;
        if (!op) this.fail(k, 'ip: invalid operation: ip() label filters take = or !=');
        return { type: 'ip', name, op, pattern };
      }
      default:
        this.fail(k, `syntax error: unexpected ${JSON.stringify(this.text(k))}`);
    }
  }

  private compareOp(n: SyntaxNode): CompareOp {
    for (const c of this.children(n)) {
      const op = COMPARE_NODES[c.name];
      if (op) return op;
    }
    this.fail(n, 'syntax error: missing comparison operator');
  }

  private literal(n: SyntaxNode): number {
    const num = n.getChild('Number')!;
    let v = Number(this.text(num));
    if (Number.isNaN(v)) this.fail(num, `syntax error: invalid number ${this.text(num)}`);
    if (n.getChild('Sub')) v = -v;
    return v;
  }

  /** Templates are compiled here so that a broken one is a 400 with a position, not a failure later. */
  private checkedTemplate(s: SyntaxNode): string {
    const text = this.str(s);
    try {
      new LineTemplate(text);
    } catch (e) {
      this.fail(s, `invalid template: ${(e as Error).message}`);
    }
    return text;
  }

  private labelFormat(n: SyntaxNode): LabelFormatStage {
    const items: LabelFormatStage['items'][number][] = [];
    const seen = new Set<string>();
    const walk = (m: SyntaxNode): void => {
      for (const c of this.children(m)) {
        if (c.name === 'LabelsFormat') walk(c);
        else if (c.name === 'LabelFormatMatcher') {
          const ids = c.getChildren('Identifier');
          const dst = this.text(ids[0]);
          if (seen.has(dst)) this.fail(c, `multiple label name '${dst}' not allowed in a single format operation`);
          seen.add(dst);
          const s = c.getChild('String');
          if (s) items.push({ dst, template: this.checkedTemplate(s) });
          else items.push({ dst, src: this.text(ids[1]) });
        }
      }
    };
    walk(n.getChild('LabelsFormat')!);
    return { type: 'labelFormat', items };
  }

  private dropKeep(n: SyntaxNode, type: 'drop' | 'keep'): DropKeepStage {
    const items: { name: string; matcher?: Matcher }[] = [];
    const listName = type === 'drop' ? 'DropLabels' : 'KeepLabels';
    const itemName = type === 'drop' ? 'DropLabel' : 'KeepLabel';
    const walk = (m: SyntaxNode): void => {
      for (const c of this.children(m)) {
        if (c.name === listName) walk(c);
        else if (c.name === itemName) {
          const mt = c.getChild('Matcher');
          if (mt) {
            const matcher = this.matcher(mt);
            items.push({ name: matcher.name, matcher });
          } else items.push({ name: this.text(c.getChild('Identifier')!) });
        }
      }
    };
    walk(n.getChild(listName)!);
    return { type, items };
  }

  // ---- metric queries ----

  metricExpr(n: SyntaxNode): MetricExpr {
    const c = n.firstChild!;
    switch (c.name) {
      case 'MetricExpr':
        return this.metricExpr(c); // parenthesised
      case 'RangeAggregationExpr':
        return this.rangeAgg(c);
      case 'VectorAggregationExpr':
        return this.vectorAgg(c);
      case 'BinOpExpr':
        return this.binOp(c);
      case 'LiteralExpr':
        return { kind: 'literal', value: this.literal(c) };
      case 'VectorExpr':
        return { kind: 'vector', value: Number(this.text(c.getChild('Number')!)) };
      case 'LabelReplaceExpr': {
        const inner = this.metricExpr(c.getChild('MetricExpr')!);
        const [dst, replacement, src, regex] = c.getChildren('String').map((s) => this.str(s));
        try {
          anchoredRegExp(regex);
        } catch (e) {
          this.fail(c, `invalid regular expression in label_replace(): ${regex}: ${(e as Error).message}`);
        }
        return { kind: 'label_replace', expr: inner, dst, replacement, src, regex };
      }
      default:
        this.fail(c, `syntax error: unexpected ${JSON.stringify(this.text(c))}`);
    }
  }

  private grouping(n: SyntaxNode | null): Grouping | undefined {
    if (!n) return undefined;
    const without = !!n.getChild('Without');
    const labels = n.getChild('Labels');
    const names: string[] = [];
    // Labels nest (Labels > Labels > Identifier) for each comma.
    labels?.cursor().iterate((c) => {
      if (c.name === 'Identifier') names.push(this.q.slice(c.from, c.to));
    });
    return { without, labels: names };
  }

  private duration(n: SyntaxNode): number {
    const ns = parseGoDuration(this.text(n));
    if (ns === undefined) this.fail(n, `syntax error: invalid duration ${this.text(n)}`);
    return ns / 1e6;
  }

  private rangeAgg(n: SyntaxNode): RangeAggregationExpr {
    const op = this.text(n.getChild('RangeOp')!) as RangeOp;
    const numNode = n.getChild('Number');
    const param = numNode ? Number(this.text(numNode)) : undefined;
    if (op === 'quantile_over_time' && param === undefined) this.fail(n, 'syntax error: quantile_over_time needs a parameter');
    const lr = n.getChild('LogRangeExpr')!;
    const sel = lr.getChild('Selector');
    let log: LogSelectorExpr;
    if (sel) {
      const pipe = lr.getChild('PipelineExpr');
      log = { kind: 'log', matchers: this.selector(sel), pipeline: pipe ? this.pipeline(pipe) : [] };
    } else {
      const le = lr.getChild('LogExpr');
      if (!le) this.fail(lr, 'syntax error: expected a log selector');
      log = this.logExpr(le);
      // `(selector | pipeline)[1m] | unwrap ...`: a pipeline after the parentheses extends it.
      const pipe = lr.getChild('PipelineExpr');
      if (pipe) log = { ...log, pipeline: [...log.pipeline, ...this.pipeline(pipe)] };
    }
    const rangeMs = this.duration(lr.getChild('Range')!.getChild('Duration')!);
    if (rangeMs <= 0) this.fail(lr, 'syntax error: range must be positive');
    const off = lr.getChild('OffsetExpr');
    const offsetMs = off ? this.duration(off.getChild('Duration')!) : 0;
    const uw = lr.getChild('UnwrapExpr');
    const unwrap = uw ? this.unwrap(uw) : undefined;
    const needsUnwrap = !['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'absent_over_time'].includes(op);
    if (needsUnwrap && !unwrap) this.fail(n, `invalid aggregation ${op} without unwrap`);
    if (!needsUnwrap && unwrap && op !== 'rate') this.fail(n, `invalid aggregation ${op} with unwrap`);
    if (op === 'rate_counter' && !unwrap) this.fail(n, 'invalid aggregation rate_counter without unwrap');
    const grouping = this.grouping(n.getChild('Grouping'));
    if (grouping && !(unwrap && (op === 'rate' || op === 'rate_counter')) && !['avg_over_time', 'sum_over_time', 'min_over_time', 'max_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'first_over_time', 'last_over_time'].includes(op)) {
      this.fail(n, `grouping not allowed for ${op} aggregation`);
    }
    return { kind: 'range', op, param, log, rangeMs, offsetMs, unwrap, grouping };
  }

  private unwrap(n: SyntaxNode): Unwrap {
    // UnwrapExpr nests: (UnwrapExpr | LabelFilter)*; the innermost holds the unwrap itself.
    const postFilters: LabelFilterExpr[] = [];
    let cur: SyntaxNode = n;
    const chain: SyntaxNode[] = [];
    while (cur.getChild('UnwrapExpr')) {
      chain.push(cur);
      cur = cur.getChild('UnwrapExpr')!;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const lf = chain[i].getChild('LabelFilter');
      if (lf) postFilters.push(this.labelFilter(lf));
    }
    const conv = cur.getChild('ConvOp');
    const convText = conv ? this.text(conv.firstChild ?? conv) : '';
    const conversion = convText === 'duration' ? 'duration' : convText === 'duration_seconds' ? 'duration_seconds' : convText === 'bytes' ? 'bytes' : '';
    return { label: this.text(cur.getChild('Identifier')!), conversion, postFilters };
  }

  private vectorAgg(n: SyntaxNode): MetricExpr {
    const op = this.text(n.getChild('VectorOp')!) as VectorOp;
    const numNode = n.getChild('Number');
    const param = numNode ? Number(this.text(numNode)) : undefined;
    if ((op === 'topk' || op === 'bottomk') && (param === undefined || !Number.isInteger(param) || param <= 0)) {
      this.fail(n, `syntax error: invalid parameter for ${op}: must be a positive integer`);
    }
    const inner = n.getChild('MetricExpr');
    if (!inner) this.fail(n, `syntax error: ${op} needs a metric query`);
    return { kind: 'vector_agg', op, param, expr: this.metricExpr(inner), grouping: this.grouping(n.getChild('Grouping')) };
  }

  /** Flattens an unparenthesised chain of binary operations, then rebuilds it by precedence. */
  private binOp(n: SyntaxNode): MetricExpr {
    const operands: MetricExpr[] = [];
    const ops: BinPart[] = [];
    const collect = (b: SyntaxNode): void => {
      const kids = this.children(b);
      const exprs = kids.filter((k) => k.name === 'Expr');
      const opNode = kids.find((k) => BIN_NODES[k.name] !== undefined)!;
      const mod = kids.find((k) => k.name === 'BinOpModifier');
      for (const [i, e] of exprs.entries()) {
        const inner = e.firstChild;
        const bin = inner?.name === 'MetricExpr' ? inner.firstChild : null;
        if (bin && bin.name === 'BinOpExpr') collect(bin);
        else operands.push(this.asMetric(e));
        if (i === 0) ops.push(this.binPart(BIN_NODES[opNode.name], mod ?? null));
      }
    };
    collect(n);
    let pos = 0;
    let opIdx = 0;
    const climb = (minPrec: number): MetricExpr => {
      let lhs = operands[pos++];
      while (opIdx < ops.length && BIN_PRECEDENCE[ops[opIdx].op] >= minPrec) {
        const part = ops[opIdx++];
        const prec = BIN_PRECEDENCE[part.op];
        const rhs = climb(part.op === '^' ? prec : prec + 1);
        lhs = this.makeBinary(n, part, lhs, rhs);
      }
      return lhs;
    };
    return climb(0);
  }

  private binPart(op: BinaryOp, mod: SyntaxNode | null): BinPart {
    if (!mod) return { op, returnBool: false };
    const returnBool = !!mod.getChild('Bool');
    const oi = mod.getChild('OnOrIgnoringModifier');
    if (!oi) return { op, returnBool };
    const on = !!oi.getChild('On');
    const labelsOf = (g: SyntaxNode | null): string[] => {
      if (!g) return [];
      const out: string[] = [];
      g.cursor().iterate((c) => {
        if (c.name === 'LabelName' || c.name === 'Identifier') out.push(this.q.slice(c.from, c.to));
      });
      return out;
    };
    const labels = labelsOf(oi.getChild('GroupingLabels'));
    let card: VectorMatching['card'] = 'one-to-one';
    let include: string[] = [];
    const gl = mod.getChild('GroupLeft');
    const gr = mod.getChild('GroupRight');
    if (gl || gr) {
      card = gl ? 'many-to-one' : 'one-to-many';
      // Labels after group_left/right are the second GroupingLabels under the modifier.
      const groups = mod.getChildren('GroupingLabels');
      include = labelsOf(groups[0] ?? null);
    }
    return { op, returnBool, matching: { on, labels, card, include } };
  }

  private makeBinary(n: SyntaxNode, part: BinPart, lhs: MetricExpr, rhs: MetricExpr): BinaryExpr {
    const isCmp = ['==', '!=', '>', '>=', '<', '<='].includes(part.op);
    const isSet = part.op === 'and' || part.op === 'or' || part.op === 'unless';
    if (part.returnBool && !isCmp) this.fail(n, 'bool modifier can only be used on comparison operators');
    const scalar = (e: MetricExpr): boolean => e.kind === 'literal';
    if (isSet && (scalar(lhs) || scalar(rhs))) this.fail(n, `set operator ${part.op} not allowed in binary scalar expression`);
    return { kind: 'binary', op: part.op, lhs, rhs, returnBool: part.returnBool, matching: part.matching };
  }
}

function matchesEmptyValue(m: Matcher): boolean {
  switch (m.type) {
    case '=':
      return m.value === '';
    case '!=':
      return m.value !== '';
    case '=~':
      return anchoredRegExp(m.value).test('');
    case '!~':
      return !anchoredRegExp(m.value).test('');
  }
}

/** Parses a json-parser path: `a.b[0]["c"]`. Undefined when malformed. */
export function parseJsonPath(s: string): JsonPath | undefined {
  const out: (string | number)[] = [];
  let i = 0;
  const ident = /^[A-Za-z0-9_\-$@]+/;
  while (i < s.length) {
    if (s[i] === '.') {
      if (out.length === 0) return undefined;
      i++;
      const m = ident.exec(s.slice(i));
      if (!m) return undefined;
      out.push(m[0]);
      i += m[0].length;
    } else if (s[i] === '[') {
      const close = s.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = s.slice(i + 1, close).trim();
      if (/^[0-9]+$/.test(inner)) out.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner) || /^'[^']*'$/.test(inner)) out.push(inner.slice(1, -1));
      else return undefined;
      i = close + 1;
    } else {
      if (out.length > 0) return undefined;
      const m = ident.exec(s.slice(i));
      if (!m) return undefined;
      out.push(m[0]);
      i += m[0].length;
    }
  }
  return out.length ? out : undefined;
}
