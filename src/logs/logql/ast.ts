/** The typed LogQL syntax tree the parser builds from the lezer tree and the engine evaluates. */
import type { Matcher } from '../../model/matcher.js';

export type LineFilterOp = '|=' | '!=' | '|~' | '!~';
export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

export interface LineFilterStage {
  readonly type: 'lineFilter';
  readonly op: LineFilterOp;
  /** Alternatives joined by `or`: the filter passes when any matches (for `!=`/`!~`: when none does). */
  readonly values: readonly string[];
  /** `ip("…")` alternatives (only with `|=` and `!=`): matched against the IP-looking tokens of the line. */
  readonly ips?: readonly string[];
  /** Pattern-filter alternatives (`|> "…"` as op `|=`, `!> "…"` as op `!=`): `<_>` captures between literals. */
  readonly patterns?: readonly string[];
}

/** A path into a JSON document: object keys and array indexes, as `a.b[0]["c d"]`. */
export type JsonPath = readonly (string | number)[];

export interface JsonStage {
  readonly type: 'json';
  /** Without parameters every (flattened) field becomes a label. */
  readonly params?: readonly { readonly name: string; readonly path: JsonPath }[];
}

export interface LogfmtStage {
  readonly type: 'logfmt';
  readonly strict: boolean;
  readonly keepEmpty: boolean;
  readonly params?: readonly { readonly name: string; readonly key: string }[];
}

export interface RegexpStage {
  readonly type: 'regexp';
  readonly pattern: string;
}

export interface PatternStage {
  readonly type: 'pattern';
  readonly pattern: string;
}

export interface UnpackStage {
  readonly type: 'unpack';
}

export type LabelFilterExpr =
  | { readonly type: 'and' | 'or'; readonly left: LabelFilterExpr; readonly right: LabelFilterExpr }
  | { readonly type: 'string'; readonly matcher: Matcher }
  | { readonly type: 'ip'; readonly name: string; readonly op: '=' | '!='; readonly pattern: string }
  | { readonly type: 'number' | 'duration' | 'bytes'; readonly name: string; readonly op: CompareOp; readonly value: number };

export interface LabelFilterStage {
  readonly type: 'labelFilter';
  readonly filter: LabelFilterExpr;
}

export interface LineFormatStage {
  readonly type: 'lineFormat';
  readonly template: string;
}

export interface LabelFormatStage {
  readonly type: 'labelFormat';
  /** `dst=src` renames; `dst="{{...}}"` sets from a template. */
  readonly items: readonly ({ readonly dst: string; readonly src: string } | { readonly dst: string; readonly template: string })[];
}

export interface DropKeepStage {
  readonly type: 'drop' | 'keep';
  /** A bare name matches the label whatever its value; a matcher only when the value matches. */
  readonly items: readonly { readonly name: string; readonly matcher?: Matcher }[];
}

export interface DecolorizeStage {
  readonly type: 'decolorize';
}

export type Stage =
  | LineFilterStage
  | JsonStage
  | LogfmtStage
  | RegexpStage
  | PatternStage
  | UnpackStage
  | LabelFilterStage
  | LineFormatStage
  | LabelFormatStage
  | DropKeepStage
  | DecolorizeStage;

export interface LogSelectorExpr {
  readonly kind: 'log';
  readonly matchers: readonly Matcher[];
  readonly pipeline: readonly Stage[];
}

export type RangeOp =
  | 'count_over_time'
  | 'rate'
  | 'rate_counter'
  | 'bytes_over_time'
  | 'bytes_rate'
  | 'avg_over_time'
  | 'sum_over_time'
  | 'min_over_time'
  | 'max_over_time'
  | 'stddev_over_time'
  | 'stdvar_over_time'
  | 'quantile_over_time'
  | 'first_over_time'
  | 'last_over_time'
  | 'absent_over_time';

export interface Unwrap {
  readonly label: string;
  readonly conversion: '' | 'duration' | 'duration_seconds' | 'bytes';
  /** Label filters after the unwrap (typically `| __error__=""`). */
  readonly postFilters: readonly LabelFilterExpr[];
}

export interface Grouping {
  readonly without: boolean;
  readonly labels: readonly string[];
}

export interface RangeAggregationExpr {
  readonly kind: 'range';
  readonly op: RangeOp;
  /** quantile_over_time's φ. */
  readonly param?: number;
  readonly log: LogSelectorExpr;
  readonly rangeMs: number;
  readonly offsetMs: number;
  readonly unwrap?: Unwrap;
  readonly grouping?: Grouping;
}

export type VectorOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'sort' | 'sort_desc';

export interface VectorAggregationExpr {
  readonly kind: 'vector_agg';
  readonly op: VectorOp;
  readonly param?: number;
  readonly expr: MetricExpr;
  readonly grouping?: Grouping;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '>' | '>=' | '<' | '<=' | 'and' | 'or' | 'unless';

export interface VectorMatching {
  readonly on: boolean;
  readonly labels: readonly string[];
  readonly card: 'one-to-one' | 'many-to-one' | 'one-to-many';
  readonly include: readonly string[];
}

export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: MetricExpr;
  readonly rhs: MetricExpr;
  readonly returnBool: boolean;
  readonly matching?: VectorMatching;
}

export interface LiteralExpr {
  readonly kind: 'literal';
  readonly value: number;
}

export interface VectorExpr {
  readonly kind: 'vector';
  readonly value: number;
}

export interface LabelReplaceExpr {
  readonly kind: 'label_replace';
  readonly expr: MetricExpr;
  readonly dst: string;
  readonly replacement: string;
  readonly src: string;
  readonly regex: string;
}

export type MetricExpr = RangeAggregationExpr | VectorAggregationExpr | BinaryExpr | LiteralExpr | VectorExpr | LabelReplaceExpr;

export type Expr = LogSelectorExpr | MetricExpr;

export function isLogExpr(e: Expr): e is LogSelectorExpr {
  return e.kind === 'log';
}
