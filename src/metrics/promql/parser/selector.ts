/** Prometheus's ParseMetricSelector: a lone vector selector (as in match[]) to matchers. */
import type { Matcher } from '../../../model/matcher.js';
import { ParseError } from '../errors.js';
import { parseExpr } from './parse.js';

export function parseSelector(text: string): Matcher[] {
  const e = parseExpr(text);
  if (e.kind !== 'vectorSelector') throw new ParseError(text, 0, 'unexpected expression, expected a vector selector');
  if (e.offsetMs !== 0 || e.timestampMs !== undefined || e.startOrEnd) throw new ParseError(text, 0, 'unexpected modifier in selector');
  return e.matchers;
}
