/** The typed PromQL syntax tree, shaped after Prometheus's parser.Expr types (v2.42). */
import type { Matcher } from '../../../model/matcher.js';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export interface PosRange {
  start: number;
  end: number;
}

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | '^' | 'atan2'
  | '==' | '!=' | '>' | '<' | '>=' | '<='
  | 'and' | 'or' | 'unless';

export type AggregateOp =
  | 'sum' | 'avg' | 'min' | 'max' | 'count' | 'group' | 'stddev' | 'stdvar'
  | 'topk' | 'bottomk' | 'quantile' | 'count_values';

export interface NumberLiteral { kind: 'number'; value: number; pos: PosRange }
export interface StringLiteral { kind: 'string'; value: string; pos: PosRange }

export interface VectorSelector {
  kind: 'vectorSelector';
  name: string;
  matchers: Matcher[];
  /** Offset in ms as written (0 when absent; may be negative). */
  offsetMs: number;
  /** `@` time in ms, after start()/end() were resolved by the engine. */
  timestampMs?: number;
  startOrEnd?: 'start' | 'end';
  pos: PosRange;
}

export interface MatrixSelector { kind: 'matrixSelector'; selector: VectorSelector; rangeMs: number; pos: PosRange }

export interface SubqueryExpr {
  kind: 'subquery';
  expr: Expr;
  rangeMs: number;
  /** 0 means "use the default evaluation interval". */
  stepMs: number;
  offsetMs: number;
  timestampMs?: number;
  startOrEnd?: 'start' | 'end';
  pos: PosRange;
}

export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  /** 0: fixed arity; n > 0: up to n optional trailing args; -1: unlimited repeats of the last type. */
  variadic: number;
  returnType: ValueType;
}

export interface Call { kind: 'call'; func: FunctionDef; args: Expr[]; pos: PosRange }

export interface AggregateExpr {
  kind: 'aggregate';
  op: AggregateOp;
  expr: Expr;
  param?: Expr;
  grouping: string[];
  without: boolean;
  pos: PosRange;
}

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  card: Cardinality;
  /** Labels of on(...) or ignoring(...). */
  matchingLabels: string[];
  on: boolean;
  /** group_left/group_right extra labels. */
  include: string[];
}

export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  returnBool: boolean;
  /** Present only when both sides are instant vectors. */
  matching?: VectorMatching;
  pos: PosRange;
}

export interface UnaryExpr { kind: 'unary'; op: '+' | '-'; expr: Expr; pos: PosRange }
export interface ParenExpr { kind: 'paren'; expr: Expr; pos: PosRange }
/** Marks a subtree whose value is the same at every step (set by the engine's preprocessing, as Prometheus does). */
export interface StepInvariantExpr { kind: 'stepInvariant'; expr: Expr; pos: PosRange }

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | StepInvariantExpr;

export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case 'number':
      return 'scalar';
    case 'string':
      return 'string';
    case 'vectorSelector':
    case 'aggregate':
      return 'vector';
    case 'matrixSelector':
    case 'subquery':
      return 'matrix';
    case 'call':
      return e.func.returnType;
    case 'binary':
      return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'unary':
    case 'paren':
    case 'stepInvariant':
      return exprType(e.expr);
  }
}

/** Prometheus's DocumentedType: the names used in error messages. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector':
      return 'instant vector';
    case 'matrix':
      return 'range vector';
    default:
      return t;
  }
}

export function isComparisonOp(op: BinaryOp): boolean {
  return op === '==' || op === '!=' || op === '>' || op === '<' || op === '>=' || op === '<=';
}

export function isSetOp(op: BinaryOp): boolean {
  return op === 'and' || op === 'or' || op === 'unless';
}

export function unwrapParens(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}
