/**
 * Evaluates a TraceQL AST on the spans of one trace: a spanset expression yields the set of spans it selects;
 * the trace matches when that set is not empty. Semantics follow Tempo: a comparison with a missing attribute
 * or a value of another type is false (so `!=` needs the attribute to exist), `=~` is anchored, `&&` between
 * spansets needs both sides non-empty and returns both, structural operators return the right-hand spans.
 */
import type { AttrValue, Span } from '../model.js';
import type { ComparisonOp, FieldExpr, FieldRef, ScalarFilter, SpansetExpr, StaticValue, TraceQLQuery } from './ast.js';

/** A value during evaluation; durations and numbers compare with each other (durations in ns). */
type Val =
  | { t: 'str'; s: string }
  | { t: 'num'; n: number }
  | { t: 'bool'; b: boolean }
  | { t: 'nil' };

export class TraceContext {
  readonly byId = new Map<string, Span>();
  readonly children = new Map<string, Span[]>();
  readonly root: Span | undefined;
  readonly startNs: bigint;
  readonly durationNs: bigint;
  readonly errorCount: number;

  constructor(readonly traceId: string, readonly spans: readonly Span[]) {
    let min = spans[0]?.startTimeUnixNano ?? 0n;
    let max = spans[0]?.endTimeUnixNano ?? 0n;
    let errors = 0;
    for (const s of spans) this.byId.set(s.spanId, s);
    let root: Span | undefined;
    let rootRank = 3;
    for (const s of spans) {
      if (s.startTimeUnixNano < min) min = s.startTimeUnixNano;
      if (s.endTimeUnixNano > max) max = s.endTimeUnixNano;
      if (s.status.code === 'error') errors++;
      const p = s.parentSpanId && this.byId.has(s.parentSpanId) ? s.parentSpanId : undefined;
      if (p) {
        const l = this.children.get(p);
        if (l) l.push(s);
        else this.children.set(p, [s]);
      }
      // A true root wins over a span whose parent never arrived; the earliest wins among equals.
      const rank = !s.parentSpanId ? 0 : p ? 2 : 1;
      if (rank < 2 && (rank < rootRank || (rank === rootRank && root && s.startTimeUnixNano < root.startTimeUnixNano))) {
        root = s;
        rootRank = rank;
      }
    }
    this.root = root;
    this.startNs = min;
    this.durationNs = max - min;
    this.errorCount = errors;
  }

  parentOf(s: Span): Span | undefined {
    return s.parentSpanId ? this.byId.get(s.parentSpanId) : undefined;
  }
}

function attrVal(v: AttrValue | undefined): Val {
  if (v === undefined || v === null) return { t: 'nil' };
  if (typeof v === 'string') return { t: 'str', s: v };
  if (typeof v === 'number') return { t: 'num', n: v };
  if (typeof v === 'bigint') return { t: 'num', n: Number(v) };
  if (typeof v === 'boolean') return { t: 'bool', b: v };
  return { t: 'str', s: JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) };
}

function staticVal(v: StaticValue): Val {
  switch (v.type) {
    case 'string':
      return { t: 'str', s: v.value };
    case 'number':
      return { t: 'num', n: v.value };
    case 'duration':
      return { t: 'num', n: Number(v.ns) };
    case 'bool':
      return { t: 'bool', b: v.value };
    case 'status':
    case 'kind':
      return { t: 'str', s: v.value };
    case 'nil':
      return { t: 'nil' };
  }
}

export function fieldValue(f: FieldRef, s: Span, ctx: TraceContext): Val {
  if (f.type === 'attribute') {
    if (f.scope === 'span') return attrVal(s.attributes[f.name]);
    if (f.scope === 'resource') return attrVal(f.name === 'service.name' ? s.serviceName : s.resource[f.name]);
    const v = s.attributes[f.name];
    return attrVal(v !== undefined ? v : f.name === 'service.name' ? s.serviceName : s.resource[f.name]);
  }
  switch (f.name) {
    case 'name':
      return { t: 'str', s: s.name };
    case 'status':
      return { t: 'str', s: s.status.code };
    case 'statusMessage':
      return { t: 'str', s: s.status.message ?? '' };
    case 'kind':
      return { t: 'str', s: s.kind };
    case 'duration':
      return { t: 'num', n: Number(s.endTimeUnixNano - s.startTimeUnixNano) };
    case 'rootName':
      return ctx.root ? { t: 'str', s: ctx.root.name } : { t: 'nil' };
    case 'rootServiceName':
      return ctx.root ? { t: 'str', s: ctx.root.serviceName } : { t: 'nil' };
    case 'traceDuration':
      return { t: 'num', n: Number(ctx.durationNs) };
    case 'traceID':
      return { t: 'str', s: s.traceId };
    case 'spanID':
      return { t: 'str', s: s.spanId };
    case 'parentID':
      return s.parentSpanId ? { t: 'str', s: s.parentSpanId } : { t: 'nil' };
  }
}

/** An anchored RegExp for a TraceQL (Go RE2) pattern; a leading `(?i)` becomes the `i` flag, as JS has no
 *  inline flags. Throws on an invalid pattern. */
export function compileAnchored(src: string): RegExp {
  const ci = src.startsWith('(?i)');
  return new RegExp(`^(?:${ci ? src.slice(4) : src})$`, ci ? 'si' : 's');
}

const regexCache = new Map<string, RegExp | null>();
function regex(src: string): RegExp | null {
  let re = regexCache.get(src);
  if (re === undefined) {
    try {
      re = compileAnchored(src);
    } catch {
      re = null;
    }
    if (regexCache.size > 500) regexCache.clear();
    regexCache.set(src, re);
  }
  return re;
}

export function compareVals(a: Val, op: ComparisonOp, b: Val): boolean {
  if (a.t === 'nil' || b.t === 'nil') {
    // `.x = nil` tests absence, `.x != nil` presence; anything else with a missing value is false.
    if (b.t !== 'nil') return false;
    if (op === '=') return a.t === 'nil';
    if (op === '!=') return a.t !== 'nil';
    return false;
  }
  if (op === '=~' || op === '!~') {
    if (a.t !== 'str' || b.t !== 'str') return false;
    const re = regex(b.s);
    const m = re !== null && re.test(a.s);
    return op === '=~' ? m : !m;
  }
  if (a.t !== b.t) return false;
  const x = a.t === 'str' ? a.s : a.t === 'num' ? a.n : Number(a.b);
  const y = b.t === 'str' ? b.s : b.t === 'num' ? b.n : Number((b as { b: boolean }).b);
  switch (op) {
    case '=':
      return x === y;
    case '!=':
      return x !== y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    case '<=':
      return x <= y;
  }
}

function evalField(e: FieldExpr, s: Span, ctx: TraceContext): Val {
  switch (e.type) {
    case 'static':
      return staticVal(e.value);
    case 'field':
      return fieldValue(e.field, s, ctx);
    case 'compare':
      return { t: 'bool', b: compareVals(evalField(e.left, s, ctx), e.op, evalField(e.right, s, ctx)) };
    case 'logical': {
      const l = truthy(evalField(e.left, s, ctx));
      if (e.op === '&&' && !l) return { t: 'bool', b: false };
      if (e.op === '||' && l) return { t: 'bool', b: true };
      return { t: 'bool', b: truthy(evalField(e.right, s, ctx)) };
    }
    case 'not':
      return { t: 'bool', b: !truthy(evalField(e.expr, s, ctx)) };
  }
}

function truthy(v: Val): boolean {
  return v.t === 'bool' && v.b;
}

export function spanMatches(e: FieldExpr, s: Span, ctx: TraceContext): boolean {
  return truthy(evalField(e, s, ctx));
}

function scalar(f: ScalarFilter, set: readonly Span[], ctx: TraceContext): boolean {
  let v: number;
  if (f.fn === 'count') v = set.length;
  else {
    const nums: number[] = [];
    for (const s of set) {
      const x = fieldValue(f.field!, s, ctx);
      if (x.t === 'num') nums.push(x.n);
    }
    if (nums.length === 0) return false;
    switch (f.fn) {
      case 'sum':
        v = nums.reduce((a, b) => a + b, 0);
        break;
      case 'avg':
        v = nums.reduce((a, b) => a + b, 0) / nums.length;
        break;
      case 'min':
        v = Math.min(...nums);
        break;
      case 'max':
        v = Math.max(...nums);
        break;
    }
  }
  return compareVals({ t: 'num', n: v }, f.op, staticVal(f.value));
}

function isAncestor(ctx: TraceContext, a: Span, of: Span): boolean {
  let p = ctx.parentOf(of);
  for (let guard = 0; p && guard < 100_000; guard++) {
    if (p === a) return true;
    p = ctx.parentOf(p);
  }
  return false;
}

/** The spans of `input` selected by the expression. */
export function evalSpanset(e: SpansetExpr, input: readonly Span[], ctx: TraceContext): Span[] {
  switch (e.type) {
    case 'filter':
      return e.expr ? input.filter((s) => spanMatches(e.expr!, s, ctx)) : [...input];
    case 'pipe': {
      const left = evalSpanset(e.left, input, ctx);
      if (left.length === 0) return left;
      if (e.stage.type === 'scalarFilter') return scalar(e.stage, left, ctx) ? left : [];
      return evalSpanset(e.stage, left, ctx);
    }
    case 'spansetOp': {
      const l = evalSpanset(e.left, input, ctx);
      const r = evalSpanset(e.right, input, ctx);
      switch (e.op) {
        case '||':
          return union(l, r);
        case '&&':
          return l.length > 0 && r.length > 0 ? union(l, r) : [];
        case '>': {
          const ls = new Set(l);
          return r.filter((s) => {
            const p = ctx.parentOf(s);
            return p !== undefined && ls.has(p);
          });
        }
        case '<': {
          const parents = new Set(l.map((s) => ctx.parentOf(s)));
          return r.filter((s) => parents.has(s));
        }
        case '>>': {
          const ls = new Set(l);
          return r.filter((s) => {
            for (let p = ctx.parentOf(s), g = 0; p && g < 100_000; p = ctx.parentOf(p), g++) if (ls.has(p)) return true;
            return false;
          });
        }
        case '<<':
          return r.filter((s) => l.some((d) => isAncestor(ctx, s, d)));
        case '~': {
          return r.filter((s) => l.some((x) => x !== s && x.parentSpanId !== undefined && x.parentSpanId === s.parentSpanId));
        }
      }
    }
  }
}

function union(a: readonly Span[], b: readonly Span[]): Span[] {
  const seen = new Set(a);
  const out = [...a];
  for (const s of b) if (!seen.has(s)) out.push(s);
  return out;
}

/** The spans of the trace the query selects (empty: the trace does not match). */
export function evaluateTrace(q: TraceQLQuery, ctx: TraceContext): Span[] {
  return evalSpanset(q.root, ctx.spans, ctx);
}
