/**
 * The PromQL engine: parses, preprocesses (resolves start()/end(), marks step-invariant subtrees as Prometheus
 * does) and evaluates instant and range queries against a Querier, enforcing timeout, cancellation and the
 * sample limit with Prometheus's error types.
 */
import type { Logger } from 'pino';
import { compareLabels, type Labels } from '../../model/labels.js';
import type { Querier } from '../storage/interface.js';
import { PromQLError } from './errors.js';
import { Evaluator, type EvalContext } from './evaluator.js';
import { documentedType, exprType, unwrapParens, type Expr } from './parser/ast.js';
import { AT_MODIFIER_UNSAFE_FUNCTIONS } from './parser/functions-table.js';
import { parseExpr } from './parser/parse.js';
import { byValueNaNFirst } from './quantile.js';
import type { EvalValue } from './value.js';

export { PromQLError } from './errors.js';

export interface EngineOptions {
  lookbackDeltaMs?: number;
  maxSamples?: number;
  timeoutMs?: number;
  /** Step of subqueries written without one (`x[5m:]`): Prometheus uses the global evaluation_interval. */
  noStepSubqueryIntervalMs?: number;
  logger?: Logger;
  /** Parsed query texts kept for reuse (rules re-run the same expressions every interval); 0 disables. Default 1024. */
  parseCacheSize?: number;
}

export interface VectorSample {
  metric: Labels;
  /** ms */
  t: number;
  v: number;
}

export interface MatrixSeries {
  metric: Labels;
  /** ms, ascending */
  timestamps: number[];
  values: number[];
}

export interface QueryStats {
  timings: {
    evalTotalTime: number;
    resultSortTime: number;
    queryPreparationTime: number;
    innerEvalTime: number;
    execQueueTime: number;
    execTotalTime: number;
  };
  samples: {
    totalQueryableSamplesPerStep?: [number, number][];
    totalQueryableSamples: number;
    peakSamples: number;
  };
}

interface ResultBase {
  stats?: QueryStats;
  warnings: string[];
}

export type QueryResult =
  | (ResultBase & { resultType: 'vector'; result: VectorSample[] })
  | (ResultBase & { resultType: 'matrix'; result: MatrixSeries[] })
  | (ResultBase & { resultType: 'scalar'; result: { t: number; v: number } })
  | (ResultBase & { resultType: 'string'; result: { t: number; v: string } });

export interface QueryOptions {
  /** Overrides the engine timeout for this query (the API's `timeout` parameter). */
  timeoutMs?: number;
  /** Collect per-step sample counts (stats=all). */
  perStepStats?: boolean;
}

export class Engine {
  readonly lookbackDeltaMs: number;
  readonly maxSamples: number;
  readonly timeoutMs: number;
  /** Step of subqueries written without one: the global evaluation_interval, updated on config load. */
  noStepSubqueryIntervalMs: number;
  /**
   * Parsed (not preprocessed) trees by query text, least recently used first. Cached trees are never handed out:
   * preprocess rewrites nodes in place, so every query works on a copy of the mutable spine (cloneExpr).
   */
  private readonly parsed = new Map<string, Expr>();
  private readonly parseCacheSize: number;

  constructor(private readonly opts: EngineOptions = {}) {
    this.parseCacheSize = opts.parseCacheSize ?? 1024;
    this.lookbackDeltaMs = opts.lookbackDeltaMs ?? 5 * 60 * 1000;
    this.maxSamples = opts.maxSamples ?? 50_000_000;
    this.timeoutMs = opts.timeoutMs ?? 2 * 60 * 1000;
    this.noStepSubqueryIntervalMs = opts.noStepSubqueryIntervalMs ?? 60 * 1000;
  }

  /** Parses and checks a query for a range evaluation; throws PromQLError (bad_data) as Prometheus's NewRangeQuery. */
  parseForRange(expr: string): Expr {
    const e = this.parse(expr);
    const t = exprType(e);
    if (t !== 'vector' && t !== 'scalar') {
      throw new PromQLError('bad_data', `invalid expression type ${JSON.stringify(documentedType(t))} for range query, must be Scalar or instant Vector`);
    }
    return e;
  }

  async instantQuery(querier: Querier, expr: string, timeMs: number, signal?: AbortSignal, qopts: QueryOptions = {}): Promise<QueryResult> {
    const prepStart = performance.now();
    const parsed = this.parse(expr);
    return this.exec(querier, parsed, timeMs, timeMs, 0, signal, qopts, prepStart);
  }

  async rangeQuery(
    querier: Querier,
    expr: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    signal?: AbortSignal,
    qopts: QueryOptions = {},
  ): Promise<QueryResult> {
    const prepStart = performance.now();
    if (!(stepMs > 0)) throw new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    if (endMs < startMs) throw new PromQLError('bad_data', 'end timestamp must not be before start time');
    const parsed = this.parseForRange(expr);
    return this.exec(querier, parsed, startMs, endMs, stepMs, signal, qopts, prepStart);
  }

  /** parseExpr through the LRU cache; returns a fresh copy the caller may mutate. Parse errors are not cached. */
  private parse(text: string): Expr {
    if (this.parseCacheSize <= 0) return parseExpr(text);
    let tree = this.parsed.get(text);
    if (tree !== undefined) {
      this.parsed.delete(text);
    } else {
      tree = parseExpr(text);
      if (this.parsed.size >= this.parseCacheSize) this.parsed.delete(this.parsed.keys().next().value as string);
    }
    this.parsed.set(text, tree);
    return cloneExpr(tree);
  }

  private async exec(
    querier: Querier,
    parsed: Expr,
    start: number,
    end: number,
    step: number,
    signal: AbortSignal | undefined,
    qopts: QueryOptions,
    prepStart: number,
  ): Promise<QueryResult> {
    const execStart = performance.now();
    const expr = preprocess(parsed, start, end);
    const isRange = step > 0;
    const ev0Steps = isRange ? Math.floor((end - start) / step) + 1 : 1;
    const ctx: EvalContext = {
      querier,
      lookbackMs: this.lookbackDeltaMs,
      noStepSubqueryIntervalMs: this.noStepSubqueryIntervalMs,
      deadline: Date.now() + (qopts.timeoutMs ?? this.timeoutMs),
      signal,
      maxSamples: this.maxSamples,
      totalSamples: 0,
      peakSamples: 0,
      samplesPerStep: qopts.perStepStats ? new Float64Array(ev0Steps) : undefined,
    };
    const ev = new Evaluator(ctx, start, end, step);
    const evalStart = performance.now();
    let value: EvalValue;
    try {
      value = await ev.eval(expr);
    } catch (e) {
      if (e instanceof PromQLError) throw e;
      if (signal?.aborted) throw new PromQLError('canceled', 'query was canceled in expression evaluation');
      this.opts.logger?.error({ err: e }, 'PromQL evaluation failed');
      throw new PromQLError('internal', (e as Error).message);
    }
    const evalEnd = performance.now();
    const result = this.toResult(value, parsed, ev, isRange);
    const sortEnd = performance.now();
    const sec = (ms: number) => ms / 1000;
    const stats: QueryStats = {
      timings: {
        evalTotalTime: sec(sortEnd - evalStart),
        resultSortTime: sec(sortEnd - evalEnd),
        queryPreparationTime: sec(execStart - prepStart),
        innerEvalTime: sec(evalEnd - evalStart),
        execQueueTime: 0,
        execTotalTime: sec(sortEnd - prepStart),
      },
      samples: {
        totalQueryableSamples: ctx.totalSamples,
        peakSamples: ctx.peakSamples,
      },
    };
    if (ctx.samplesPerStep) {
      stats.samples.totalQueryableSamplesPerStep = Array.from(ctx.samplesPerStep, (n, i) => [ev.times[i], n] as [number, number]);
    }
    return { ...result, stats, warnings: [] } as QueryResult;
  }

  private toResult(value: EvalValue, parsed: Expr, ev: Evaluator, isRange: boolean): Omit<QueryResult, 'warnings'> {
    if (isRange) {
      if (value.type === 'scalar') {
        return { resultType: 'matrix', result: [{ metric: [], timestamps: Array.from(ev.times), values: Array.from(value.values) }] };
      }
      if (value.type !== 'vector') throw new PromQLError('internal', `unexpected ${value.type} result of range query`);
      const out: MatrixSeries[] = value.series.map((s) => {
        const timestamps: number[] = [];
        const values: number[] = [];
        for (let i = 0; i < ev.n; i++) {
          if (s.present[i]) {
            timestamps.push(ev.times[i]);
            values.push(s.values[i]);
          }
        }
        return { metric: s.labels, timestamps, values };
      });
      out.sort((a, b) => compareLabels(a.metric, b.metric));
      return { resultType: 'matrix', result: out };
    }
    const t = ev.start;
    switch (value.type) {
      case 'scalar':
        return { resultType: 'scalar', result: { t, v: value.values[0] } };
      case 'string':
        return { resultType: 'string', result: { t, v: value.value } };
      case 'matrix': {
        const out = value.series.map((s) => ({ metric: s.labels, timestamps: Array.from(s.timestamps), values: Array.from(s.values) }));
        out.sort((a, b) => compareLabels(a.metric, b.metric));
        return { resultType: 'matrix', result: out };
      }
      case 'vector': {
        const out: VectorSample[] = value.series.filter((s) => s.present[0]).map((s) => ({ metric: s.labels, t, v: s.values[0] }));
        const top = unwrapParens(parsed);
        if (top.kind === 'call' && (top.func.name === 'sort' || top.func.name === 'sort_desc')) {
          const desc = top.func.name === 'sort_desc';
          out.sort((a, b) => {
            const an = Number.isNaN(a.v);
            const bn = Number.isNaN(b.v);
            // sort puts NaN first; sort_desc is its reverse, so NaN comes last.
            if (an || bn) return desc ? -byValueNaNFirst(a.v, b.v) : byValueNaNFirst(a.v, b.v);
            return desc ? b.v - a.v : a.v - b.v;
          });
        } else {
          out.sort((a, b) => compareLabels(a.metric, b.metric));
        }
        return { resultType: 'vector', result: out };
      }
    }
  }
}

/**
 * Copies the nodes preprocess may rewrite (every node with child links, and selectors whose `@` time it sets);
 * immutable leaves (matchers, function definitions, grouping lists, positions) stay shared.
 */
export function cloneExpr(e: Expr): Expr {
  switch (e.kind) {
    case 'number':
    case 'string':
      return e;
    case 'vectorSelector':
      return { ...e };
    case 'matrixSelector':
      return { ...e, selector: { ...e.selector } };
    case 'subquery':
    case 'paren':
    case 'unary':
    case 'stepInvariant':
      return { ...e, expr: cloneExpr(e.expr) };
    case 'aggregate':
      return e.param === undefined ? { ...e, expr: cloneExpr(e.expr) } : { ...e, expr: cloneExpr(e.expr), param: cloneExpr(e.param) };
    case 'binary':
      return { ...e, lhs: cloneExpr(e.lhs), rhs: cloneExpr(e.rhs) };
    case 'call':
      return { ...e, args: e.args.map(cloneExpr) };
  }
}

/** Resolves start()/end() and wraps step-invariant subtrees (Prometheus's PreprocessExpr). */
export function preprocess(expr: Expr, start: number, end: number): Expr {
  const inv = preprocessHelper(expr, start, end);
  return inv ? wrap(expr) : expr;
}

function wrap(e: Expr): Expr {
  return { kind: 'stepInvariant', expr: e, pos: e.pos };
}

function preprocessHelper(e: Expr, start: number, end: number): boolean {
  switch (e.kind) {
    case 'vectorSelector':
      if (e.startOrEnd === 'start') e.timestampMs = start;
      else if (e.startOrEnd === 'end') e.timestampMs = end;
      return e.timestampMs !== undefined;
    case 'aggregate':
      return preprocessHelper(e.expr, start, end);
    case 'binary': {
      const l = preprocessHelper(e.lhs, start, end);
      const r = preprocessHelper(e.rhs, start, end);
      if (l && r) return true;
      if (l) e.lhs = wrap(e.lhs);
      if (r) e.rhs = wrap(e.rhs);
      return false;
    }
    case 'call': {
      let inv = !AT_MODIFIER_UNSAFE_FUNCTIONS.has(e.func.name);
      const flags = e.args.map((a) => preprocessHelper(a, start, end));
      for (const f of flags) inv = inv && f;
      if (inv) return true;
      flags.forEach((f, i) => {
        if (f) e.args[i] = wrap(e.args[i]);
      });
      return false;
    }
    case 'matrixSelector':
      return preprocessHelper(e.selector, start, end);
    case 'subquery': {
      if (preprocessHelper(e.expr, start, end)) e.expr = wrap(e.expr);
      if (e.startOrEnd === 'start') e.timestampMs = start;
      else if (e.startOrEnd === 'end') e.timestampMs = end;
      return e.timestampMs !== undefined;
    }
    case 'paren':
    case 'unary':
      return preprocessHelper(e.expr, start, end);
    case 'string':
    case 'number':
      return true;
    case 'stepInvariant':
      return true;
  }
}
