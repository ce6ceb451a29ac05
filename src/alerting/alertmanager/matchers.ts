/**
 * Alertmanager's label matchers: the `name="value"` / `name=~"re"` string syntax of `matchers:` and
 * amtool's `filter`, and matching against an alert's label set (a missing label is "").
 */
import { compileMatcher, type CompiledMatcher, type MatchType } from '../../model/matcher.js';

export type AmMatcher = CompiledMatcher;

export function makeMatcher(type: MatchType, name: string, value: string): AmMatcher {
  return compileMatcher({ type, name, value });
}

const ONE = /^\s*([^\s{}!=~,"']+|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*(.*?)\s*$/s;

function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) return JSON.parse(s.replace(/\\(?!["\\/bfnrtu])/g, '\\\\')) as string;
  return s;
}

/** Splits `a="x,y", b=~"z"` on commas outside quotes. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQ && c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inQ = !inQ;
    if (c === ',' && !inQ) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (inQ) throw new Error(`unterminated quoted string in ${JSON.stringify(s)}`);
  out.push(cur);
  return out;
}

/** Parses one or more matchers (`{a="b",c!~"d"}` or `a=b`). Throws Error with a message on bad input. */
export function parseMatchers(input: string): AmMatcher[] {
  let s = input.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new Error(`bad matcher format: ${input}`);
    s = s.slice(1, -1);
  }
  const parts = splitTopLevel(s).filter((p, i, all) => p.trim() !== '' || (i < all.length - 1 && false));
  const out: AmMatcher[] = [];
  for (const p of parts) {
    const m = ONE.exec(p);
    if (!m) throw new Error(`bad matcher format: ${p.trim()}`);
    const name = unquote(m[1]);
    const value = unquote(m[3]);
    if (name === '') throw new Error(`bad matcher format: ${p.trim()}`);
    try {
      out.push(makeMatcher(m[2] as MatchType, name, value));
    } catch (e) {
      throw new Error(`invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message}`);
    }
  }
  return out;
}

export function matchesAll(ms: readonly AmMatcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of ms) if (!m.matches(labels[m.name] ?? '')) return false;
  return true;
}

/** The canonical text form Alertmanager prints, `name="value"`. */
export function matcherString(m: { type: MatchType; name: string; value: string }): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
