/**
 * TraceQL text → typed AST (ast.ts), from the syntax tree of Grafana's own grammar (@grafana/lezer-traceql).
 * Anything the grammar rejects, or that Sextant does not evaluate (metrics queries, select(), by()...), is a
 * TraceQLError carrying the character offset, which the HTTP APIs turn into a 400.
 */
import { parser } from '@grafana/lezer-traceql';
import type { SyntaxNode } from '@lezer/common';
import type { SpanKind, StatusCode } from '../model.js';
import type {
  AggregateFn,
  ComparisonOp,
  FieldExpr,
  FieldRef,
  Intrinsic,
  ScalarFilter,
  SpansetExpr,
  SpansetOp,
  StaticValue,
  TraceQLQuery,
} from './ast.js';
import { compileAnchored } from './evaluate.js';

export class TraceQLError extends Error {
  constructor(
    message: string,
    /** 0-based character offset. */
    readonly pos: number,
    readonly query: string,
  ) {
    super(`${message} at position ${pos + 1}${near(query, pos)}`);
    this.name = 'TraceQLError';
  }
}

function near(q: string, pos: number): string {
  const s = q.slice(pos, pos + 20);
  return s ? ` near "${s}"` : ' (end of query)';
}

const INTRINSICS: Record<string, Intrinsic> = {
  name: 'name',
  status: 'status',
  statusMessage: 'statusMessage',
  kind: 'kind',
  duration: 'duration',
  rootName: 'rootName',
  rootServiceName: 'rootServiceName',
  traceDuration: 'traceDuration',
  'span:name': 'name',
  'span:status': 'status',
  'span:statusMessage': 'statusMessage',
  'span:kind': 'kind',
  'span:duration': 'duration',
  'span:id': 'spanID',
  'span:parentID': 'parentID',
  'trace:rootName': 'rootName',
  'trace:rootService': 'rootServiceName',
  'trace:duration': 'traceDuration',
  'trace:id': 'traceID',
};

const STATUSES: readonly StatusCode[] = ['error', 'ok', 'unset'];
const KINDS: readonly SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const AGGREGATES: readonly AggregateFn[] = ['count', 'avg', 'min', 'max', 'sum'];

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 };

/** "1h30m", "1.5s", "100ms" → nanoseconds; undefined when not a duration. */
export function parseDurationNs(text: string): bigint | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let n = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    n = re.lastIndex;
  }
  if (n === 0 || n !== text.length) return undefined;
  return BigInt(Math.round(total));
}

/** Unquotes a TraceQL string literal ("..." with Go escapes, or `...` raw). */
function unquote(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1);
  return text.slice(1, -1).replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'u':
      case 'x':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      default:
        return e;
    }
  });
}

function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function firstError(n: SyntaxNode): SyntaxNode | undefined {
  const cur = n.cursor();
  do {
    if (cur.type.isError) return cur.node;
  } while (cur.next());
  return undefined;
}

export function parseTraceQL(source: string): TraceQLQuery {
  const q = source.trim() === '' ? '{}' : source;
  const tree = parser.parse(q);
  const err = firstError(tree.topNode);
  if (err) throw new TraceQLError('syntax error', err.from, q);
  const p = new Parser(q);
  const top = children(tree.topNode);
  if (top.length !== 1) throw new TraceQLError('expected one spanset expression', top[1]?.from ?? 0, q);
  if (top[0].name !== 'SpansetPipelineExpression')
    throw new TraceQLError(`${top[0].name} is not supported (only spanset queries)`, top[0].from, q);
  return { source: q, root: p.pipelineExpr(top[0]) };
}

class Parser {
  /** `from:to` of nodes a `!` applies to (the grammar hangs `!` above a whole `&&` chain; see fieldExpr). */
  private readonly negated = new Set<string>();

  constructor(private readonly q: string) {}

  /** The index of the `)` closing the `(` at `open`, skipping string literals. */
  private closingParen(open: number): number {
    let depth = 0;
    for (let i = open; i < this.q.length; i++) {
      const ch = this.q[i];
      if (ch === '"' || ch === '`') {
        const end = this.q.indexOf(ch, i + 1);
        if (end < 0) return -1;
        if (ch === '"') for (let j = i + 1; j < end; j++) if (this.q[j] === '\\') j++;
        i = end;
        continue;
      }
      if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) return i;
    }
    return -1;
  }

  private text(n: SyntaxNode): string {
    return this.q.slice(n.from, n.to);
  }

  private fail(msg: string, n: SyntaxNode | number): never {
    throw new TraceQLError(msg, typeof n === 'number' ? n : n.from, this.q);
  }

  pipelineExpr(n: SyntaxNode): SpansetExpr {
    const cs = children(n);
    if (cs.length === 1) {
      if (cs[0].name === 'SpansetPipeline') return this.pipeline(cs[0]);
      if (cs[0].name === 'SpansetPipelineExpression') return this.pipelineExpr(cs[0]); // parenthesised
      if (cs[0].name === 'WrappedSpansetPipeline') return this.pipelineExpr(cs[0]);
      this.fail(`${cs[0].name} is not supported`, cs[0]);
    }
    // left OP right, where OP is a named token (And, Or, Desc, Gt, Anc, Lt, Pipe) or anonymous (`~`).
    const exprs = cs.filter((c) => c.name === 'SpansetPipelineExpression' || c.name === 'SpansetPipeline' || c.name === 'WrappedSpansetPipeline');
    if (exprs.length !== 2) this.fail('unsupported spanset expression', n);
    const [l, r] = exprs;
    const opNode = cs.find((c) => c !== l && c !== r);
    const opText = opNode ? this.text(opNode) : this.q.slice(l.to, r.from).trim();
    const left = this.sub(l);
    if (opText === '|') return { type: 'pipe', left, stage: this.stage(r), pos: r.from };
    const op = (['&&', '||', '>>', '>', '<<', '<', '~'] as const).find((o) => o === opText);
    if (!op) this.fail(`spanset operator "${opText}" is not supported`, opNode ?? l.to);
    return { type: 'spansetOp', op: op as SpansetOp, left, right: this.sub(r), pos: opNode?.from ?? l.to };
  }

  private sub(n: SyntaxNode): SpansetExpr {
    return n.name === 'SpansetPipeline' ? this.pipeline(n) : this.pipelineExpr(n);
  }

  /** A pipe stage: a spanset filter, or a scalar filter (`count() > 2`). */
  private stage(n: SyntaxNode): SpansetExpr | ScalarFilter {
    const inner = n.name === 'SpansetPipelineExpression' && children(n).length === 1 ? children(n)[0] : n;
    if (inner.name === 'SpansetPipeline') {
      const cs = children(inner);
      if (cs.length === 1 && cs[0].name === 'ScalarFilter') return this.scalarFilter(cs[0]);
    }
    return this.sub(inner);
  }

  pipeline(n: SyntaxNode): SpansetExpr {
    const cs = children(n);
    if (cs.length !== 1) this.fail('unsupported pipeline', n);
    const c = cs[0];
    switch (c.name) {
      case 'SpansetFilter':
        return this.filter(c);
      case 'SpansetExpression':
      case 'SpansetPipelineExpression':
        return this.pipelineExpr(c);
      case 'ScalarFilter':
        // A scalar filter alone (`count() > 1`) applies to every span.
        return { type: 'pipe', left: { type: 'filter', pos: c.from }, stage: this.scalarFilter(c), pos: c.from };
      default:
        this.fail(`${c.name} is not supported`, c);
    }
  }

  private filter(n: SyntaxNode): SpansetExpr {
    const cs = children(n);
    if (cs.length === 0) return { type: 'filter', pos: n.from };
    return { type: 'filter', expr: this.fieldExpr(cs[0]), pos: n.from };
  }

  fieldExpr(n: SyntaxNode): FieldExpr {
    const key = `${n.from}:${n.to}`;
    if (this.negated.delete(key)) return { type: 'not', expr: this.fieldExpr(n), pos: n.from };
    const cs = children(n);
    switch (n.name) {
      case 'Static':
        return { type: 'static', value: this.static(n), pos: n.from };
      case 'IntrinsicField':
      case 'AttributeField':
      case 'Parent':
        return { type: 'field', field: this.field(n), pos: n.from };
      case 'FieldExpression':
        break;
      default:
        this.fail(`${n.name} is not supported`, n);
    }
    if (cs.length === 1) {
      // `!( ... )` and `-1` are anonymous tokens in front of the child.
      const prefix = this.q.slice(n.from, cs[0].from).replace(/[\s(]/g, '');
      if (prefix === '!') {
        // lezer-traceql parses `!(a) && b` as `!((a) && b)`; Tempo binds `!` to the parenthesised operand.
        const open = this.q.indexOf('(', n.from);
        const close = open >= 0 ? this.closingParen(open) : -1;
        let target: SyntaxNode | null = cs[0];
        while (target && !(target.from <= open + 1 && target.to >= close && target.to <= close + 1)) target = target.firstChild;
        if (!target || target === cs[0]) return { type: 'not', expr: this.fieldExpr(cs[0]), pos: n.from };
        this.negated.add(`${target.from}:${target.to}`);
        return this.fieldExpr(cs[0]);
      }
      const inner = this.fieldExpr(cs[0]);
      if (prefix === '-') {
        if (inner.type === 'static' && inner.value.type === 'number') return { ...inner, value: { type: 'number', value: -inner.value.value } };
        this.fail('unary minus is only supported on numbers', n);
      }
      if (prefix !== '') this.fail(`unsupported operator "${prefix}"`, n);
      return inner;
    }
    if (cs.length === 3) {
      const opText = this.text(cs[1]);
      const left = this.fieldExpr(cs[0]);
      const right = this.fieldExpr(cs[2]);
      if (cs[1].name === 'And' || cs[1].name === 'Or') return { type: 'logical', op: opText as '&&' | '||', left, right, pos: cs[1].from };
      if (cs[1].name === 'FieldOp') {
        const op = (['=', '!=', '>', '>=', '<', '<=', '=~', '!~'] as const).find((o) => o === opText);
        if (!op) this.fail(`operator "${opText}" is not supported`, cs[1]);
        if ((op === '=~' || op === '!~') && right.type === 'static' && right.value.type === 'string') {
          try {
            compileAnchored(right.value.value);
          } catch (e) {
            this.fail(`invalid regular expression: ${e instanceof Error ? e.message : String(e)}`, cs[2]);
          }
        }
        return { type: 'compare', op, left, right, pos: cs[1].from };
      }
    }
    this.fail('unsupported field expression', n);
  }

  private field(n: SyntaxNode): FieldRef {
    const text = this.text(n);
    if (n.name === 'IntrinsicField') {
      const i = INTRINSICS[text];
      if (!i) this.fail(`intrinsic "${text}" is not supported`, n);
      return { type: 'intrinsic', name: i };
    }
    if (n.name === 'Parent') this.fail('parent. attributes are not supported', n);
    const cs = children(n);
    const id = cs.find((c) => c.name === 'Identifier');
    if (!id) this.fail('attribute name expected', n);
    let name = this.text(id);
    if (name.startsWith('"')) name = unquote(name);
    const scopeNode = cs.find((c) => c !== id);
    if (!scopeNode) return { type: 'attribute', scope: 'any', name };
    if (scopeNode.name === 'Resource') return { type: 'attribute', scope: 'resource', name };
    if (scopeNode.name === 'Span') return { type: 'attribute', scope: 'span', name };
    this.fail(`${this.text(scopeNode)}. attributes are not supported`, scopeNode);
  }

  private static(n: SyntaxNode): StaticValue {
    const cs = children(n);
    const text = this.text(n).trim();
    if (cs.length === 0) {
      if (text === 'true' || text === 'false') return { type: 'bool', value: text === 'true' };
      if (text === 'nil') return { type: 'nil' };
      if ((STATUSES as readonly string[]).includes(text)) return { type: 'status', value: text as StatusCode };
      if ((KINDS as readonly string[]).includes(text)) return { type: 'kind', value: text as SpanKind };
      this.fail(`unknown value "${text}"`, n);
    }
    return this.literal(cs[0]);
  }

  private literal(c: SyntaxNode): StaticValue {
    const t = this.text(c);
    switch (c.name) {
      case 'String':
        return { type: 'string', value: unquote(t) };
      case 'Integer':
      case 'Float':
        return { type: 'number', value: Number(t) };
      case 'Duration': {
        const ns = parseDurationNs(t);
        if (ns === undefined) this.fail(`invalid duration "${t}"`, c);
        return { type: 'duration', ns };
      }
      default:
        this.fail(`${c.name} is not supported`, c);
    }
  }

  private scalarFilter(n: SyntaxNode): ScalarFilter {
    const cs = children(n);
    const opNode = cs.find((c) => c.name === 'ComparisonOp');
    const exprs = cs.filter((c) => c.name === 'ScalarExpression');
    if (!opNode || exprs.length !== 2) this.fail('unsupported scalar filter', n);
    const op = (['=', '!=', '>', '>=', '<', '<='] as const).find((o) => o === this.text(opNode));
    if (!op) this.fail(`operator "${this.text(opNode)}" is not supported here`, opNode);
    const agg = children(exprs[0])[0];
    if (!agg || agg.name !== 'Aggregate') this.fail('an aggregate (count(), avg(duration)...) is expected on the left', exprs[0]);
    const aggText = this.text(agg).replace(/\s/g, '');
    let fn: AggregateFn;
    let field: FieldRef | undefined;
    if (aggText === 'count()') fn = 'count';
    else {
      const ac = children(agg);
      const fnNode = ac.find((c) => c.name === 'AggregateExpression');
      const fieldNode = ac.find((c) => c.name === 'FieldExpression');
      const name = fnNode ? this.text(fnNode) : '';
      const found = AGGREGATES.find((a) => a === name);
      if (!found || !fieldNode) this.fail(`aggregate "${aggText}" is not supported`, agg);
      fn = found;
      const fe = this.fieldExpr(fieldNode);
      if (fe.type !== 'field') this.fail('an aggregate takes a field', fieldNode);
      field = fe.field;
    }
    const rc = children(exprs[1]);
    if (rc.length !== 1) this.fail('a number or duration is expected on the right', exprs[1]);
    const value = rc[0].name === 'Static' ? this.static(rc[0]) : this.literal(rc[0]);
    if (value.type !== 'number' && value.type !== 'duration') this.fail('a number or duration is expected on the right', exprs[1]);
    return { type: 'scalarFilter', fn, field, op, value, pos: n.from };
  }
}
