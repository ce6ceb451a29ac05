/**
 * The typed TraceQL AST: what the parser (parse.ts, from @grafana/lezer-traceql's tree) produces and the
 * evaluator (evaluate.ts) and the planner (plan.ts) read. Positions are character offsets into the query.
 */
import type { SpanKind, StatusCode } from '../model.js';

export type ComparisonOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~';

export type StaticValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  /** Durations are kept in nanoseconds. */
  | { readonly type: 'duration'; readonly ns: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'status'; readonly value: StatusCode }
  | { readonly type: 'kind'; readonly value: SpanKind }
  | { readonly type: 'nil' };

export type Intrinsic =
  | 'name'
  | 'status'
  | 'statusMessage'
  | 'kind'
  | 'duration'
  | 'rootName'
  | 'rootServiceName'
  | 'traceDuration'
  | 'traceID'
  | 'spanID'
  | 'parentID';

export type FieldRef =
  | { readonly type: 'intrinsic'; readonly name: Intrinsic }
  /** `resource.x`, `span.x`, or `.x` (either scope: span attributes first, then the resource). */
  | { readonly type: 'attribute'; readonly scope: 'resource' | 'span' | 'any'; readonly name: string };

export type FieldExpr =
  | { readonly type: 'field'; readonly field: FieldRef; readonly pos: number }
  | { readonly type: 'static'; readonly value: StaticValue; readonly pos: number }
  | { readonly type: 'compare'; readonly op: ComparisonOp; readonly left: FieldExpr; readonly right: FieldExpr; readonly pos: number }
  | { readonly type: 'logical'; readonly op: '&&' | '||'; readonly left: FieldExpr; readonly right: FieldExpr; readonly pos: number }
  | { readonly type: 'not'; readonly expr: FieldExpr; readonly pos: number };

export type AggregateFn = 'count' | 'avg' | 'min' | 'max' | 'sum';

export interface ScalarFilter {
  readonly type: 'scalarFilter';
  readonly fn: AggregateFn;
  /** The field aggregated (absent for count()). */
  readonly field?: FieldRef;
  readonly op: ComparisonOp;
  readonly value: StaticValue;
  readonly pos: number;
}

/** `&&` `||` between spansets, and the structural operators: `>>` descendant, `>` child, `<<`, `<`, `~` sibling. */
export type SpansetOp = '&&' | '||' | '>>' | '>' | '<<' | '<' | '~';

export type SpansetExpr =
  | { readonly type: 'filter'; readonly expr?: FieldExpr; readonly pos: number }
  | { readonly type: 'spansetOp'; readonly op: SpansetOp; readonly left: SpansetExpr; readonly right: SpansetExpr; readonly pos: number }
  /** `left | stage`: a stage is a spanset filter applied to left's spans or a scalar filter on the whole set. */
  | { readonly type: 'pipe'; readonly left: SpansetExpr; readonly stage: SpansetExpr | ScalarFilter; readonly pos: number };

export interface TraceQLQuery {
  readonly source: string;
  readonly root: SpansetExpr;
}
