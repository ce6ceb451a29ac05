/**
 * Resolves label matchers to postings over any index (head or block), the way Prometheus does:
 * matchers that do not match "" intersect the union of matching values' postings; matchers that match ""
 * (`x=""`, `x!="a"`, `x=~".*"`, `x!~"a"`) also select series without the label, so they subtract the union of
 * the postings of the values they reject.
 */
import { compileMatcher, type Matcher } from '../../model/matcher.js';
import { EMPTY, intersect, subtract, union, type PostingsArray } from './postings.js';

export interface PostingsIndex {
  /** All series refs, sorted. */
  allPostings(): PostingsArray;
  /** Every value the label name has (any order). */
  valuesOf(name: string): Iterable<string>;
  postings(name: string, value: string): PostingsArray;
}

export function postingsForMatchers(ix: PostingsIndex, matchers: readonly Matcher[]): PostingsArray {
  const intersects: PostingsArray[] = [];
  const subtracts: PostingsArray[] = [];
  for (const raw of matchers) {
    if (raw.type === '=' && raw.value !== '') {
      intersects.push(ix.postings(raw.name, raw.value));
      continue;
    }
    if (raw.type === '!=' && raw.value !== '') {
      subtracts.push(ix.postings(raw.name, raw.value));
      continue;
    }
    const m = compileMatcher(raw);
    const matchesEmpty = m.matches('');
    const lists: PostingsArray[] = [];
    for (const v of ix.valuesOf(raw.name)) {
      if (m.matches(v) !== matchesEmpty) lists.push(ix.postings(raw.name, v));
    }
    if (matchesEmpty) {
      if (lists.length > 0) subtracts.push(union(lists));
    } else {
      if (lists.length === 0) return EMPTY;
      intersects.push(union(lists));
    }
  }
  let result: PostingsArray;
  if (intersects.length === 0) result = ix.allPostings();
  else {
    intersects.sort((a, b) => a.length - b.length);
    result = intersects[0];
    for (let i = 1; i < intersects.length && result.length > 0; i++) result = intersect(result, intersects[i]);
  }
  for (const s of subtracts) {
    if (result.length === 0) break;
    result = subtract(result, s);
  }
  return result;
}
