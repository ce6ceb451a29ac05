/** `match[]` series selectors, parsed with the PromQL parser as Prometheus's ParseMetricSelector does. */
import type { Matcher } from '../../model/matcher.js';
import { parseExpr } from '../promql/parser/index.js';

export function parseSeriesSelector(text: string): Matcher[] {
  const expr = parseExpr(text);
  if (expr.kind !== 'vectorSelector') {
    throw new Error(`1:1: parse error: unexpected ${expr.kind === 'matrixSelector' ? 'range' : 'expression'} in series selector, expected a vector selector`);
  }
  return expr.matchers;
}
