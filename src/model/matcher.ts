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
  let flags = 's';
  let body = pattern;
  // A leading RE2 flag group such as (?i) or (?is) applies to the whole pattern: use JavaScript flags.
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    if (lead[1].includes('i')) flags += 'i';
    if (lead[1].includes('m')) flags += 'm';
    body = body.slice(lead[0].length);
  }
  return new RegExp(`^(?:${translateRe2(body)})$`, flags);
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/** Rewrites the few RE2 constructs JavaScript spells differently. */
function translateRe2(pattern: string): string {
  // RE2 named groups (?P<name>...) are (?<name>...) in JavaScript; POSIX classes [[:alpha:]] are spelled out;
  // \z (end of text) is $ here because the whole pattern is anchored anyway.
  return pattern
    .replace(/\(\?P</g, '(?<')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => (POSIX_CLASSES[name] && !neg ? POSIX_CLASSES[name] : m))
    .replace(/\\z/g, '$');
}

/** True when the matcher also matches series that do not have the label at all. */
export function matchesEmpty(m: CompiledMatcher): boolean {
  return m.matches('');
}
