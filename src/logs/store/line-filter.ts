/**
 * Line filters evaluated two ways with the same meaning: as SQL for the columnar engine, and as a JavaScript
 * predicate for entries still in the in-memory head. LogQL regexes are RE2 (unanchored), which is also what
 * DuckDB's regexp_matches speaks, so the pattern text goes to the engine unchanged.
 */
import type { LineFilter } from './interface.js';

export interface SqlFragment {
  sql: string;
  params: string[];
}

export function lineFiltersToSql(filters: readonly LineFilter[]): SqlFragment {
  const parts: string[] = [];
  const params: string[] = [];
  for (const f of filters) {
    const alts = f.values.length > 0 ? f.values : [''];
    if (f.op === '|=' || f.op === '!=') {
      // contains(line, '') is true, as LogQL's |= "" matches every line.
      const any = alts.map((v) => {
        params.push(v);
        return 'contains(line, ?)';
      });
      const expr = any.length === 1 ? any[0] : `(${any.join(' OR ')})`;
      parts.push(f.op === '|=' ? expr : `NOT ${expr}`);
    } else {
      const any = alts.map((v) => {
        params.push(v);
        return 'regexp_matches(line, ?)';
      });
      const expr = any.length === 1 ? any[0] : `(${any.join(' OR ')})`;
      parts.push(f.op === '|~' ? expr : `NOT ${expr}`);
    }
  }
  return { sql: parts.join(' AND '), params };
}

/** An unanchored JavaScript RegExp for an RE2 pattern (leading flag group and (?P<name>) translated). */
export function re2ToRegExp(pattern: string): RegExp {
  let flags = 's';
  let body = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('m')) flags += 'm';
    body = body.slice(lead[0].length);
  }
  return new RegExp(body.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$'), flags);
}

export function compileLineFilters(filters: readonly LineFilter[]): (line: string) => boolean {
  const preds = filters.map((f): ((line: string) => boolean) => {
    const alts = f.values.length > 0 ? f.values : [''];
    if (f.op === '|=') return (l) => alts.some((v) => l.includes(v));
    if (f.op === '!=') return (l) => !alts.some((v) => l.includes(v));
    const res = alts.map(re2ToRegExp);
    if (f.op === '|~') return (l) => res.some((r) => r.test(l));
    return (l) => !res.some((r) => r.test(l));
  });
  return (line) => {
    for (const p of preds) if (!p(line)) return false;
    return true;
  };
}

/** JavaScript-only constructs RE2 (and so LogQL and the engine) rejects: lookaround and backreferences. */
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]/;

/**
 * Validates regex filters up front so a bad pattern fails the query with a SyntaxError, not the engine
 * mid-stream, and the head (JavaScript) and the files (RE2) never disagree on what a pattern means.
 */
export function checkLineFilters(filters: readonly LineFilter[]): void {
  for (const f of filters) {
    if (f.op !== '|~' && f.op !== '!~') continue;
    for (const v of f.values) {
      if (NOT_RE2.test(v)) throw new SyntaxError(`invalid regular expression ${JSON.stringify(v)}: lookaround and backreferences are not supported (RE2)`);
      re2ToRegExp(v);
    }
  }
}
