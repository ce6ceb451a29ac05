/**
 * PromQL text → typed AST. The syntax is recognised by the official lezer grammar; this module turns its tree
 * into Prometheus's AST shape and applies the 2.42 parser's semantic checks and type checks, with the same
 * messages ("1:5: parse error: ..."). Syntax that the grammar accepts but 2.42 did not have is rejected.
 */
import { parser as lezerParser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { compileMatcher, type Matcher, type MatchType } from '../../../model/matcher.js';
import { ParseError } from '../errors.js';
import {
  documentedType, exprType, isComparisonOp, isSetOp,
  type AggregateOp, type BinaryOp, type Expr, type PosRange, type ValueType, type VectorMatching, type VectorSelector,
} from './ast.js';
import { FUNCTIONS } from './functions-table.js';
import { parseDurationMs, parsePromNumber, unquoteString } from './literals.js';

const BINARY_OPS: Record<string, BinaryOp> = {
  Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%', Pow: '^', Atan2: 'atan2',
  Eql: '==', Neq: '!=', Gtr: '>', Lss: '<', Gte: '>=', Lte: '<=',
  And: 'and', Or: 'or', Unless: 'unless',
};

const AGG_OPS: Record<string, AggregateOp> = {
  Sum: 'sum', Avg: 'avg', Min: 'min', Max: 'max', Count: 'count', Group: 'group', Stddev: 'stddev',
  Stdvar: 'stdvar', Topk: 'topk', Bottomk: 'bottomk', Quantile: 'quantile', CountValues: 'count_values',
};

const MATCH_OPS: Record<string, MatchType> = { EqlSingle: '=', Neq: '!=', EqlRegex: '=~', NeqRegex: '!~' };

class Failure extends Error {
  constructor(
    readonly pos: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function fail(pos: number | PosRange, detail: string): never {
  throw new Failure(typeof pos === 'number' ? pos : pos.start, detail);
}

/** Parses and type-checks a PromQL expression. Throws ParseError (errorType bad_data) on invalid input. */
export function parseExpr(text: string): Expr {
  try {
    // The grammar knows holt_winters only by its 3.x name; day_of_month has the same length, so positions hold.
    const tree = lezerParser.parse(text.replace(/\bholt_winters(\s*\()/g, 'day_of_month$1'));
    checkSyntax(tree.topNode, text);
    const c = new Converter(text);
    const top = c.children(tree.topNode).filter((n) => n.name !== 'LineComment');
    if (top.length === 0) fail(0, 'no expression found in input');
    const expr = c.expr(top[0]);
    checkAST(expr, text);
    return expr;
  } catch (e) {
    if (e instanceof Failure) throw new ParseError(text, e.pos, e.detail);
    throw e;
  }
}

function checkSyntax(top: SyntaxNode, text: string): void {
  let first: SyntaxNode | undefined;
  const cur = top.cursor();
  do {
    if (cur.type.isError) {
      first = cur.node;
      break;
    }
  } while (cur.next());
  if (!first) return;
  if (text.trim() === '') fail(0, 'no expression found in input');
  // An identifier directly followed by "(" is a call of a function the grammar does not know.
  const prev = first.prevSibling;
  if (text.slice(first.from, first.to) === '(' && prev?.name === 'Identifier') {
    fail(prev.from, `unknown function with name ${JSON.stringify(text.slice(prev.from, prev.to))}`);
  }
  const lexErr = lexerError(text);
  if (lexErr && lexErr.pos <= first.from + 1) fail(lexErr.pos, lexErr.msg);
  let at = first.from;
  while (at < text.length && /\s/.test(text[at])) at++;
  const trailingComma = /,\s*\)/.exec(text);
  if (trailingComma && trailingComma.index <= at) fail(trailingComma.index, 'trailing commas not allowed in function call args');
  if (at >= text.length) fail(text.length, `unexpected end of input${errorContext(first, text)}`);
  if (first.parent?.name === 'MatrixSelector' || first.parent?.name === 'SubqueryExpr') {
    if (text[at] === '"' || text[at] === "'" || text[at] === '`') fail(at, 'missing unit character in duration');
  }
  fail(at, `unexpected ${describeToken(text, at)}${errorContext(first, text)}`);
}

/** The context Prometheus's grammar adds to an "unexpected ..." message, where the tree tells it. */
function errorContext(err: SyntaxNode, text: string): string {
  const parent = err.parent?.name;
  const prev = err.prevSibling?.name;
  if (parent === 'AggregateExpr') return ' in aggregation';
  if (parent === 'LabelMatchers' && prev === 'UnquotedLabelMatcher') {
    return text.slice(err.prevSibling!.to, err.from).includes(',')
      ? ' in label matching, expected identifier or "}"'
      : ' in label matching, expected "," or "}"';
  }
  if (parent === 'LabelMatchers') return ' in label matching, expected identifier or "}"';
  if (prev === 'Offset') return ' in offset, expected duration';
  if (parent === 'UnquotedLabelMatcher') return ' in label matching, expected label matching operator';
  if (prev === 'At') return ' in @, expected timestamp';
  if (parent === 'AggregateModifier' || parent === 'MatchingModifierClause') return ' in grouping opts, expected "("';
  if (parent === 'GroupingLabels') return ' in grouping opts, expected label';
  return '';
}

/** The errors Prometheus's lexer reports before the parser sees a token: unbalanced brackets, open strings. */
function lexerError(text: string): { pos: number; msg: string } | undefined {
  let parens = 0;
  let braces = false;
  let brackets = false;
  let colons = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && c !== '`') j++;
        else if (text[j] === '\n' && c !== '`') return { pos: j, msg: 'unterminated quoted string' };
        j++;
      }
      if (j >= text.length) return { pos: text.length, msg: c === '`' ? 'unterminated raw string' : 'unterminated quoted string' };
      i = j;
      continue;
    }
    if (braces) {
      if (c === '}') braces = false;
      else if (c === '{') return { pos: i + 1, msg: 'unexpected left brace \'{\' inside braces' };
      continue;
    }
    if (brackets) {
      if (c === ']') brackets = false;
      else if (c === ':' && ++colons > 1) return { pos: i, msg: "unexpected colon ':'" };
      continue;
    }
    if (c === '(') parens++;
    else if (c === ')') {
      if (parens === 0) return { pos: i + 1, msg: "unexpected right parenthesis ')'" };
      parens--;
    } else if (c === '{') braces = true;
    else if (c === '}') return { pos: i + 1, msg: "unexpected right brace '}'" };
    else if (c === '[') {
      brackets = true;
      colons = 0;
    }
    else if (c === ']') return { pos: i + 1, msg: "unexpected right bracket ']'" };
  }
  if (braces) return { pos: text.length, msg: 'unexpected end of input inside braces' };
  if (brackets) return { pos: text.length, msg: 'unclosed left bracket' };
  if (parens > 0) return { pos: text.length, msg: 'unclosed left parenthesis' };
  return undefined;
}

const KEYWORDS = new Set(['bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'start', 'end', 'atan2']);
const AGGREGATORS = new Set(['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values']);
const SET_OPS = new Set(['and', 'or', 'unless']);
const PUNCT: Record<string, string> = {
  '(': '"("', ')': '")"', '{': '"{"', '}': '"}"', '[': '"["', ']': '"]"', ',': '","', ':': '":"', '@': '<@>',
};

/** Describes the token at `at` the way Prometheus's parser names it in "unexpected ..." messages. */
function describeToken(text: string, at: number): string {
  const rest = text.slice(at);
  let m = /^[a-zA-Z_][a-zA-Z0-9_:]*/.exec(rest);
  if (m) {
    const w = m[0];
    if (w === 'atan2' || SET_OPS.has(w.toLowerCase())) return `<op:${w}>`;
    if (KEYWORDS.has(w.toLowerCase())) return `<${w}>`;
    if (AGGREGATORS.has(w.toLowerCase())) return `<aggr:${w}>`;
    if (/^(inf|nan)$/i.test(w)) return `number ${JSON.stringify(w)}`;
    return `identifier ${JSON.stringify(w)}`;
  }
  m = /^[0-9]+(ms|[smhdwy])([0-9]+(ms|[smhdwy]))*/.exec(rest);
  if (m) return `duration ${JSON.stringify(m[0])}`;
  m = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?)/.exec(rest);
  if (m && m[0] !== '') return `number ${JSON.stringify(m[0])}`;
  m = /^(==|!=|>=|<=|=~|!~|[-+*/%^<>=])/.exec(rest);
  if (m) return m[0] === '=' ? "'='" : `<op:${m[0]}>`;
  if (rest[0] === '"' || rest[0] === "'" || rest[0] === '`') {
    const end = rest.indexOf(rest[0], 1);
    const str = end < 0 ? rest : rest.slice(0, end + 1);
    return `string ${JSON.stringify(str)}`;
  }
  return PUNCT[rest[0]] ?? `character ${JSON.stringify(rest[0])}`;
}

const EXPR_NODES = new Set([
  'AggregateExpr', 'BinaryExpr', 'FunctionCall', 'MatrixSelector', 'NumberDurationLiteral', 'OffsetExpr', 'ParenExpr',
  'StringLiteral', 'SubqueryExpr', 'UnaryExpr', 'VectorSelector', 'StepInvariantExpr',
]);

class Converter {
  constructor(private readonly text: string) {}

  children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  pos(n: SyntaxNode): PosRange {
    return { start: n.from, end: n.to };
  }

  expr(n: SyntaxNode): Expr {
    const kids = this.children(n);
    const exprKids = kids.filter((k) => EXPR_NODES.has(k.name));
    switch (n.name) {
      case 'ParenExpr':
        return { kind: 'paren', expr: this.expr(exprKids[0]), pos: this.pos(n) };
      case 'NumberDurationLiteral':
        return { kind: 'number', value: this.number(n), pos: this.pos(n) };
      case 'StringLiteral':
        return { kind: 'string', value: this.string(n), pos: this.pos(n) };
      case 'VectorSelector':
        return this.vectorSelector(n, kids);
      case 'MatrixSelector': {
        const dur = kids.find((k) => k.name === 'DurationExpr')!;
        const rangeMs = this.duration(dur);
        return this.postfix(this.expr(exprKids[0]), n.to, (inner) => {
          let b = inner.pos.end;
          while (b < n.to && this.text[b] !== '[') b++;
          const bracketPos = { start: b, end: n.to };
          if (inner.kind !== 'vectorSelector') fail(bracketPos, 'ranges only allowed for vector selectors');
          if (inner.offsetMs !== 0) fail(bracketPos, 'no offset modifiers allowed before range');
          if (inner.timestampMs !== undefined || inner.startOrEnd) fail(bracketPos, 'no @ modifiers allowed before range');
          return { kind: 'matrixSelector', selector: inner, rangeMs, pos: { start: inner.pos.start, end: n.to } };
        });
      }
      case 'SubqueryExpr': {
        const durs = kids.filter((k) => k.name === 'DurationExpr');
        const rangeMs = this.duration(durs[0]);
        const step = durs.length > 1 ? this.duration(durs[1]) : 0;
        return this.postfix(this.expr(exprKids[0]), n.to, (inner) => ({
          kind: 'subquery', expr: inner, rangeMs, stepMs: step, offsetMs: 0, pos: { start: inner.pos.start, end: n.to },
        }));
      }
      case 'OffsetExpr':
        return this.offset(n, kids, exprKids);
      case 'StepInvariantExpr':
        return this.at(n, kids, exprKids);
      case 'FunctionCall':
        return this.call(n, kids);
      case 'AggregateExpr':
        return this.aggregate(n, kids);
      case 'BinaryExpr':
        return this.binary(n, kids, exprKids);
      case 'UnaryExpr': {
        const op = this.src(kids.find((k) => k.name === 'UnaryOp')!) as '+' | '-';
        const inner = this.expr(exprKids[0]);
        // Prometheus folds a sign into a number literal directly.
        if (inner.kind === 'number') return { kind: 'number', value: op === '-' ? -inner.value : inner.value, pos: this.pos(n) };
        return { kind: 'unary', op, expr: inner, pos: this.pos(n) };
      }
    }
    fail(n.from, `unexpected ${JSON.stringify(this.src(n))}`);
  }

  number(n: SyntaxNode): number {
    const s = this.src(n).replace(/^([+-])\s+/, '$1');
    const v = parsePromNumber(s);
    if (v === undefined) fail(n.from, `unexpected duration ${JSON.stringify(s)}`);
    return v;
  }

  string(n: SyntaxNode): string {
    try {
      return unquoteString(this.src(n));
    } catch {
      fail(n.from, 'invalid syntax');
    }
  }

  duration(n: SyntaxNode): number {
    const kids = this.children(n);
    if (n.name === 'NumberDurationLiteralInDurationContext') return this.durationLiteral(n);
    if (kids.length !== 1 || kids[0].name !== 'NumberDurationLiteralInDurationContext') {
      fail(n.from, `unexpected ${JSON.stringify(this.src(n))} in duration`);
    }
    return this.durationLiteral(kids[0]);
  }

  durationLiteral(n: SyntaxNode): number {
    const s = this.src(n);
    if (/^[0-9]+(\.[0-9]*)?$/.test(s)) fail(n.from, 'missing unit character in duration');
    if (/^[0-9.eE+-]+$/.test(s) && !/^[0-9]+$/.test(s)) fail(n.from, `unexpected number ${JSON.stringify(s)} in duration`);
    let ms: number;
    try {
      if (/^[0-9]+$/.test(s)) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
      ms = parseDurationMs(s);
    } catch (e) {
      fail(n.from, (e as Error).message);
    }
    if (ms === 0) fail(n.from, 'duration must be greater than 0');
    return ms;
  }

  vectorSelector(n: SyntaxNode, kids: SyntaxNode[]): VectorSelector {
    const ident = kids.find((k) => k.name === 'Identifier');
    const name = ident ? this.src(ident) : '';
    const matchers: Matcher[] = [];
    const lm = kids.find((k) => k.name === 'LabelMatchers');
    if (lm) {
      for (const m of this.children(lm)) {
        if (m.name === 'QuotedLabelMatcher') fail(m.from, 'unexpected string, expected label name');
        if (m.name !== 'UnquotedLabelMatcher') fail(m.from, `unexpected ${JSON.stringify(this.src(m))} in label matching`);
        const mk = this.children(m);
        const labelName = this.src(mk.find((k) => k.name === 'LabelName')!);
        const opNode = mk.find((k) => k.name === 'MatchOp')!;
        const type = MATCH_OPS[opNode.firstChild!.name];
        const valNode = mk.find((k) => k.name === 'StringLiteral')!;
        const value = this.string(valNode);
        const matcher: Matcher = { type, name: labelName, value };
        try {
          compileMatcher(matcher);
        } catch (e) {
          fail({ start: m.from, end: m.to }, goRegexpError((e as Error).message, value));
        }
        matchers.push(matcher);
      }
    }
    if (name !== '') {
      for (const m of matchers) {
        if (m.name === '__name__') fail(n.from, `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(m.value)}`);
      }
      matchers.push({ type: '=', name: '__name__', value: name });
    } else if (!matchers.some((m) => !compileMatcher(m).matches(''))) {
      fail(n.from, 'vector selector must contain at least one non-empty matcher');
    }
    return { kind: 'vectorSelector', name, matchers, offsetMs: 0, pos: this.pos(n) };
  }

  /**
   * The grammar gives postfix modifiers ([range], [range:step], offset, @) a lower precedence than PromQL 2.42
   * did: there they apply to the rightmost operand of a binary or unary expression, not to the whole of it.
   */
  postfix(inner: Expr, end: number, apply: (target: Expr) => Expr): Expr {
    if (inner.kind === 'binary') {
      inner.rhs = this.postfix(inner.rhs, end, apply);
      inner.pos = { start: inner.pos.start, end };
      return inner;
    }
    if (inner.kind === 'unary') {
      inner.expr = this.postfix(inner.expr, end, apply);
      inner.pos = { start: inner.pos.start, end };
      return inner;
    }
    return apply(inner);
  }

  offset(n: SyntaxNode, kids: SyntaxNode[], exprKids: SyntaxNode[]): Expr {
    const durNode = kids.find((k) => k.name === 'OffsetDurationExpr')!;
    const ms = this.offsetDuration(durNode);
    return this.postfix(this.expr(exprKids[0]), n.to, (inner) => this.applyOffset(n, inner, ms));
  }

  applyOffset(n: SyntaxNode, inner: Expr, ms: number): Expr {
    const target = inner.kind === 'stepInvariant' ? inner.expr : inner;
    const sel = target.kind === 'matrixSelector' ? target.selector : target;
    if (sel.kind !== 'vectorSelector' && sel.kind !== 'subquery') {
      fail(inner.pos, 'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
    if (sel.offsetMs !== 0) fail(inner.pos, 'offset may not be set multiple times');
    sel.offsetMs = ms;
    target.pos = { start: target.pos.start, end: n.to };
    if (inner !== target) inner.pos = { start: inner.pos.start, end: n.to };
    return inner;
  }

  offsetDuration(n: SyntaxNode): number {
    const kids = this.children(n);
    if (kids.length === 2 && kids[0].name === 'UnaryOp') {
      const sign = this.src(kids[0]) === '-' ? -1 : 1;
      return sign * this.offsetDuration(kids[1]);
    }
    if (kids.length === 1 && kids[0].name === 'NumberDurationLiteralInDurationContext') return this.durationLiteral(kids[0]);
    fail(n.from, `unexpected ${JSON.stringify(this.src(n))} in offset`);
  }

  at(n: SyntaxNode, kids: SyntaxNode[], exprKids: SyntaxNode[]): Expr {
    return this.postfix(this.expr(exprKids[0]), n.to, (inner) => this.applyAt(n, kids, inner));
  }

  applyAt(n: SyntaxNode, kids: SyntaxNode[], inner: Expr): Expr {
    const sel = inner.kind === 'matrixSelector' ? inner.selector : inner;
    if (sel.kind !== 'vectorSelector' && sel.kind !== 'subquery') {
      fail(inner.pos, '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    }
    if (sel.timestampMs !== undefined || sel.startOrEnd) fail(inner.pos, '@ <timestamp> may not be set multiple times');
    const pre = kids.find((k) => k.name === 'AtModifierPreprocessors');
    if (pre) {
      sel.startOrEnd = pre.firstChild?.name === 'AtStart' ? 'start' : 'end';
    } else {
      const numNode = kids.find((k) => k.name === 'NumberDurationLiteral');
      if (!numNode) fail(n.from, 'unexpected @ argument');
      const ts = this.number(numNode);
      if (!Number.isFinite(ts) || ts >= 9223372036854775807 || ts <= -9223372036854775808) {
        fail(inner.pos, `timestamp out of bounds for @ modifier: ${goFloatF(ts)}`);
      }
      sel.timestampMs = Math.round(ts * 1000);
    }
    const end = { start: inner.pos.start, end: n.to };
    inner.pos = end;
    if (sel !== inner) sel.pos = { start: sel.pos.start, end: n.to };
    return inner;
  }

  call(n: SyntaxNode, kids: SyntaxNode[]): Expr {
    const ident = kids.find((k) => k.name === 'FunctionIdentifier')!;
    const name = this.src(ident);
    const func = FUNCTIONS.get(name);
    if (!func) fail(ident.from, `unknown function with name ${JSON.stringify(name)}`);
    const body = kids.find((k) => k.name === 'FunctionCallBody')!;
    const args = this.children(body).filter((k) => EXPR_NODES.has(k.name)).map((k) => this.expr(k));
    return { kind: 'call', func, args, pos: this.pos(n) };
  }

  aggregate(n: SyntaxNode, kids: SyntaxNode[]): Expr {
    const opNode = kids.find((k) => k.name === 'AggregateOp')!;
    const op = AGG_OPS[opNode.firstChild!.name];
    if (!op) fail(opNode.from, `unexpected ${JSON.stringify(this.src(opNode))}`);
    const mod = kids.find((k) => k.name === 'AggregateModifier');
    let grouping: string[] = [];
    let without = false;
    if (mod) {
      without = mod.firstChild?.name === 'Without';
      const gl = this.children(mod).find((k) => k.name === 'GroupingLabels');
      grouping = gl ? this.groupingLabels(gl) : [];
    }
    const body = kids.find((k) => k.name === 'FunctionCallBody')!;
    const args = this.children(body).filter((k) => EXPR_NODES.has(k.name)).map((k) => this.expr(k));
    const pos = this.pos(n);
    if (args.length === 0) fail(pos, 'no arguments for aggregate expression provided');
    const wantsParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values';
    const want = wantsParam ? 2 : 1;
    if (args.length !== want) {
      fail(pos, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`);
    }
    return wantsParam
      ? { kind: 'aggregate', op, param: args[0], expr: args[1], grouping, without, pos }
      : { kind: 'aggregate', op, expr: args[0], grouping, without, pos };
  }

  groupingLabels(n: SyntaxNode): string[] {
    return this.children(n).map((k) => {
      if (k.name !== 'LabelName') fail(k.from, `unexpected ${JSON.stringify(this.src(k))} in grouping opts, expected label`);
      return this.src(k);
    });
  }

  binary(n: SyntaxNode, kids: SyntaxNode[], exprKids: SyntaxNode[]): Expr {
    const opNode = kids.find((k) => BINARY_OPS[k.name] !== undefined);
    if (!opNode) fail(n.from, `unexpected ${JSON.stringify(this.src(n))}`);
    const op = BINARY_OPS[opNode.name];
    const returnBool = kids.some((k) => k.name === 'BoolModifier');
    const mm = kids.find((k) => k.name === 'MatchingModifierClause');
    let matching: VectorMatching = { card: 'one-to-one', matchingLabels: [], on: false, include: [] };
    if (mm) {
      const mk = this.children(mm);
      const lists = mk.filter((k) => k.name === 'GroupingLabels');
      const on = mk.some((k) => k.name === 'On');
      const left = mk.some((k) => k.name === 'GroupLeft');
      const right = mk.some((k) => k.name === 'GroupRight');
      matching = {
        card: left ? 'many-to-one' : right ? 'one-to-many' : 'one-to-one',
        matchingLabels: lists[0] ? this.groupingLabels(lists[0]) : [],
        on,
        include: lists[1] ? this.groupingLabels(lists[1]) : [],
      };
    }
    if (kids.some((k) => k.name === 'FillModifier' || k.name === 'FillClause')) fail(n.from, 'unexpected fill modifier');
    const lhs = this.expr(exprKids[0]);
    const rhs = this.expr(exprKids[1]);
    const lhsText = this.src(exprKids[0]);
    if (op === '^' && exprKids[0].name === 'NumberDurationLiteral' && (lhsText[0] === '-' || lhsText[0] === '+')) {
      // The grammar reads "-1 ^ 2" as a signed literal; in Prometheus unary minus binds looser than "^".
      const abs = { kind: 'number' as const, value: Math.abs((lhs as { value: number }).value), pos: { start: exprKids[0].from + 1, end: exprKids[0].to } };
      const inner: Expr = { kind: 'binary', op, lhs: abs, rhs, returnBool, matching, pos: { start: abs.pos.start, end: n.to } };
      return { kind: 'unary', op: lhsText[0] as '+' | '-', expr: inner, pos: this.pos(n) };
    }
    return { kind: 'binary', op, lhs, rhs, returnBool, matching, pos: this.pos(n) };
  }
}

/** Go's %f formatting (six decimals). */
function goFloatF(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return v.toFixed(6);
}

/** Prometheus's checkAST: type rules of the language, reported with the same messages. */
function checkAST(e: Expr, text: string): ValueType {
  switch (e.kind) {
    case 'number':
    case 'string':
    case 'vectorSelector':
      return exprType(e);
    case 'matrixSelector':
      checkAST(e.selector, text);
      return 'matrix';
    case 'paren':
    case 'stepInvariant':
      checkAST(e.expr, text);
      return exprType(e);
    case 'subquery': {
      const t = checkAST(e.expr, text);
      if (t !== 'vector') fail(e.pos, `subquery is only allowed on instant vector, got ${t} instead`);
      return 'matrix';
    }
    case 'unary': {
      const t = checkAST(e.expr, text);
      if (t !== 'scalar' && t !== 'vector') {
        fail(e.pos, `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(documentedType(t))}`);
      }
      return t;
    }
    case 'call': {
      const f = e.func;
      const nargs = f.argTypes.length;
      if (f.variadic === 0) {
        if (nargs !== e.args.length) fail(e.pos, `expected ${nargs} argument(s) in call to ${JSON.stringify(f.name)}, got ${e.args.length}`);
      } else {
        const na = nargs - 1;
        if (na > e.args.length) fail(e.pos, `expected at least ${na} argument(s) in call to ${JSON.stringify(f.name)}, got ${e.args.length}`);
        else if (f.variadic > 0 && na + f.variadic < e.args.length) {
          fail(e.pos, `expected at most ${na + f.variadic} argument(s) in call to ${JSON.stringify(f.name)}, got ${e.args.length}`);
        }
      }
      for (let i = 0; i < e.args.length; i++) {
        let ti = i;
        if (i >= nargs) {
          if (f.variadic === 0) break;
          ti = nargs - 1;
        }
        expectType(e.args[i], f.argTypes[ti], `call to function ${JSON.stringify(f.name)}`, text);
      }
      return f.returnType;
    }
    case 'aggregate':
      expectType(e.expr, 'vector', 'aggregation expression', text);
      if (e.op === 'topk' || e.op === 'bottomk' || e.op === 'quantile') expectType(e.param!, 'scalar', 'aggregation parameter', text);
      if (e.op === 'count_values') expectType(e.param!, 'string', 'aggregation parameter', text);
      return 'vector';
    case 'binary':
      return checkBinary(e, text);
  }
}

function expectType(e: Expr, want: ValueType, context: string, text: string): void {
  const t = checkAST(e, text);
  if (t !== want) fail(e.pos, `expected type ${documentedType(want)} in ${context}, got ${documentedType(t)}`);
}

function checkBinary(e: Extract<Expr, { kind: 'binary' }>, text: string): ValueType {
  const lt = checkAST(e.lhs, text);
  const rt = checkAST(e.rhs, text);
  let s = e.lhs.pos.end;
  while (s < text.length && /\s/.test(text[s])) s++;
  const opPos = s;
  if (e.returnBool && !isComparisonOp(e.op)) fail(opPos, 'bool modifier can only be used on comparison operators');
  if (isComparisonOp(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
    fail(opPos, 'comparisons between scalars must use BOOL modifier');
  }
  const m = e.matching!;
  if (isSetOp(e.op) && m.card === 'one-to-one') m.card = 'many-to-many';
  if (m.on) {
    for (const l1 of m.matchingLabels) {
      if (m.include.includes(l1)) fail(opPos, `label ${JSON.stringify(l1)} must not occur in ON and GROUP clause at once`);
    }
  }
  if (lt !== 'scalar' && lt !== 'vector') fail(e.lhs.pos, 'binary expression must contain only scalar and instant vector types');
  if (rt !== 'scalar' && rt !== 'vector') fail(e.rhs.pos, 'binary expression must contain only scalar and instant vector types');
  if (lt !== 'vector' || rt !== 'vector') {
    if (m.matchingLabels.length > 0) fail(e.pos, 'vector matching only allowed between instant vectors');
    e.matching = undefined;
  } else if (isSetOp(e.op)) {
    if (m.card === 'one-to-many' || m.card === 'many-to-one') fail(e.pos, `no grouping allowed for ${JSON.stringify(e.op)} operation`);
  }
  if ((lt === 'scalar' || rt === 'scalar') && isSetOp(e.op)) {
    fail(e.pos, `set operator ${JSON.stringify(e.op)} not allowed in binary scalar expression`);
  }
  return lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
}

/** Maps a JavaScript RegExp SyntaxError to Go regexp/syntax's wording for the common cases. */
function goRegexpError(jsMessage: string, pattern: string): string {
  const anchored = `^(?:${pattern})$`;
  const codes: [RegExp, string][] = [
    [/Unterminated group/, 'missing closing )'],
    [/Unmatched '\)'/, 'unexpected )'],
    [/Nothing to repeat/, 'missing argument to repetition operator'],
    [/Unterminated character class/, 'missing closing ]'],
    [/Invalid escape|\\ at end of pattern/, 'invalid escape sequence'],
    [/numbers out of order/, 'invalid repeat count'],
    [/Invalid group/, 'invalid or unsupported Perl syntax'],
  ];
  for (const [re, code] of codes) if (re.test(jsMessage)) return `error parsing regexp: ${code}: \`${anchored}\``;
  return `error parsing regexp: ${jsMessage}`;
}
