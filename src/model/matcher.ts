/** Label matchers as PromQL and the series APIs use them. Regexes are fully anchored. */
export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
}

export interface CompiledMatcher extends Matcher {
  matches(value: string): boolean;
}

export function compileMatcher(m: Matcher): CompiledMatcher {
  switch (m.type) {
    case '=':
      return { ...m, matches: (v) => v === m.value };
    case '!=':
      return { ...m, matches: (v) => v !== m.value };
    case '=~': {
      const re = anchoredRegExp(m.value);
      return { ...m, matches: (v) => re.test(v) };
    }
    case '!~': {
      const re = anchoredRegExp(m.value);
      return { ...m, matches: (v) => !re.test(v) };
    }
  }
}

/**
 * Compiles a Prometheus (RE2) regex fully anchored. The `s` flag makes `.` match newlines as RE2 does
 * in Prometheus (which sets (?s)). Throws SyntaxError on an invalid pattern.
 */
export function anchoredRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${translateRe2(pattern)})$`, 's');
}

/** Rewrites the few RE2 constructs JavaScript spells differently. */
function translateRe2(pattern: string): string {
  // RE2 named groups (?P<name>...) are (?<name>...) in JavaScript.
  return pattern.replace(/\(\?P</g, '(?<');
}

/** True when the matcher also matches series that do not have the label at all. */
export function matchesEmpty(m: CompiledMatcher): boolean {
  return m.matches('');
}
