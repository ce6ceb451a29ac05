/**
 * What of a TraceQL query the store can narrow with its indexes: a list of store searches whose union holds
 * every matching trace (service, span name, status, duration and attribute conditions, all on one span, as
 * TraceSearchParams wants). The evaluator then checks the whole query on each candidate trace.
 */
import type { SpanCondition, TraceSearchParams } from '../store/interface.js';
import type { FieldExpr, SpansetExpr } from './ast.js';

export type Narrowing = Omit<TraceSearchParams, 'start' | 'end' | 'limit' | 'signal'>;

/** Store searches whose union is a superset of the query's matches; `[{}]` when nothing can be narrowed. */
export function narrowings(e: SpansetExpr): Narrowing[] {
  switch (e.type) {
    case 'filter':
      return e.expr ? filterNarrowings(e.expr) : [{}];
    case 'pipe':
      return narrowings(e.left);
    case 'spansetOp':
      // Both sides of && and of the structural operators must select a span: either side narrows; prefer the
      // one with more constraints.
      if (e.op === '||') {
        const l = narrowings(e.left);
        const r = narrowings(e.right);
        return l.some(isEmpty) || r.some(isEmpty) ? [{}] : [...l, ...r];
      }
      return pickTighter(narrowings(e.left), narrowings(e.right));
  }
}

function isEmpty(n: Narrowing): boolean {
  return Object.keys(n).length === 0;
}

function weight(ns: Narrowing[]): number {
  if (ns.some(isEmpty)) return 0;
  return Math.min(...ns.map((n) => Object.keys(n).length + (n.conditions?.length ?? 0))) - ns.length / 100;
}

function pickTighter(a: Narrowing[], b: Narrowing[]): Narrowing[] {
  return weight(b) > weight(a) ? b : a;
}

/** Disjunctive normal form of the filter, each term mapped; gives up (no narrowing) past 8 terms. */
function filterNarrowings(e: FieldExpr): Narrowing[] {
  const terms = dnf(e);
  if (!terms) return [{}];
  const out = terms.map(termNarrowing);
  return out.some(isEmpty) ? [{}] : out;
}

function dnf(e: FieldExpr): FieldExpr[][] | undefined {
  if (e.type === 'logical') {
    const l = dnf(e.left);
    const r = dnf(e.right);
    if (!l || !r) return undefined;
    if (e.op === '||') return l.length + r.length > 8 ? undefined : [...l, ...r];
    const out: FieldExpr[][] = [];
    for (const a of l) for (const b of r) out.push([...a, ...b]);
    return out.length > 8 ? undefined : out;
  }
  return [[e]];
}

/** Whether the store search alone decides the query: one spanset filter, one conjunction, every part of it
 *  indexable. Then the store's first `limit` traces are exactly the answer and nothing needs over-fetching. */
export function isExact(e: SpansetExpr): boolean {
  if (e.type !== 'filter') return false;
  if (!e.expr) return true;
  const terms = dnf(e.expr);
  if (!terms || terms.length !== 1) return false;
  const n = termNarrowing(terms[0]);
  return consumed(n) === terms[0].length;
}

function consumed(n: Narrowing): number {
  return (
    (n.serviceName !== undefined ? 1 : 0) +
    (n.spanName !== undefined ? 1 : 0) +
    (n.status !== undefined ? 1 : 0) +
    (n.minDurationNs !== undefined ? 1 : 0) +
    (n.maxDurationNs !== undefined ? 1 : 0) +
    (n.conditions?.length ?? 0)
  );
}

function termNarrowing(conj: FieldExpr[]): Narrowing {
  const n: {
    serviceName?: string;
    spanName?: string;
    status?: Narrowing['status'];
    minDurationNs?: bigint;
    maxDurationNs?: bigint;
    conditions?: SpanCondition[];
  } = {};
  const conds: SpanCondition[] = [];
  for (const c of conj) {
    if (c.type !== 'compare' || c.left.type !== 'field' || c.right.type !== 'static') continue;
    const f = c.left.field;
    const v = c.right.value;
    if (f.type === 'intrinsic') {
      if (f.name === 'name' && c.op === '=' && v.type === 'string') n.spanName = v.value;
      else if (f.name === 'status' && c.op === '=' && v.type === 'status') n.status = v.value;
      else if (f.name === 'kind' && (c.op === '=' || c.op === '!=') && v.type === 'kind') conds.push({ field: 'kind', op: c.op, value: v.value });
      else if (f.name === 'name' && v.type === 'string' && !v.value.startsWith('(?i)')) conds.push({ field: 'name', op: c.op, value: v.value });
      else if (f.name === 'duration' && (v.type === 'duration' || v.type === 'number')) {
        const ns = v.type === 'duration' ? v.ns : BigInt(Math.ceil(v.value));
        if (c.op === '>') n.minDurationNs = ns + 1n;
        else if (c.op === '>=') n.minDurationNs = ns;
        else if (c.op === '<') n.maxDurationNs = ns - 1n;
        else if (c.op === '<=') n.maxDurationNs = ns;
      }
      continue;
    }
    if (v.type !== 'string' && v.type !== 'number' && v.type !== 'bool') continue;
    // The store compiles patterns without flag syntax: leave case-insensitive ones to the evaluator.
    if ((c.op === '=~' || c.op === '!~') && v.type === 'string' && v.value.startsWith('(?i)')) continue;
    if (f.scope === 'resource' && f.name === 'service.name' && c.op === '=' && v.type === 'string') {
      n.serviceName = v.value;
      continue;
    }
    const field = f.scope === 'any' ? `.${f.name}` : `${f.scope}.${f.name}`;
    conds.push({ field, op: c.op, value: v.value });
  }
  if (conds.length > 0) n.conditions = conds;
  return n;
}
