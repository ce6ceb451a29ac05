/** `sextant check rules FILE...`: validates rule files as `promtool check rules` does. */
import { readFile } from 'node:fs/promises';
import { parseRules, type RuleGroupDef } from './rulefmt.js';

export interface CheckRulesResult {
  ok: boolean;
  messages: string[];
  ruleCount: number;
}

export async function checkRules(file: string): Promise<CheckRulesResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return { ok: false, messages: [`FAILED:`, `${file}: ${(e as Error).message}`], ruleCount: 0 };
  }
  const { groups, errors } = parseRules(text);
  if (errors.length > 0) return { ok: false, messages: ['FAILED:', ...errors.map((e) => `${file}: ${e}`)], ruleCount: 0 };
  const ruleCount = groups.reduce((n, g) => n + g.rules.length, 0);
  const messages: string[] = [];
  const lint = duplicateRules(groups);
  if (lint) messages.push('FAILED:', lint);
  else messages.push(`SUCCESS: ${ruleCount} rules found`);
  // A lint finding is printed as FAILED but, as with promtool's default --lint-fatal=false, is not an error.
  return { ok: true, messages, ruleCount };
}

/**
 * promtool's duplicate-rules lint: rules (recording or alerting, across all groups) with the same name and
 * the same labels, reported once each, sorted by name then labels.
 */
function duplicateRules(groups: RuleGroupDef[]): string | undefined {
  type Key = { metric: string; labels: [string, string][] };
  const all: Key[] = [];
  for (const g of groups) {
    for (const r of g.rules) {
      all.push({ metric: r.record ?? r.alert ?? '', labels: Object.entries(r.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) });
    }
  }
  const cmp = (a: Key, b: Key): number => {
    if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1;
    const n = Math.min(a.labels.length, b.labels.length);
    for (let i = 0; i < n; i++) {
      const [an, av] = a.labels[i];
      const [bn, bv] = b.labels[i];
      if (an !== bn) return an < bn ? -1 : 1;
      if (av !== bv) return av < bv ? -1 : 1;
    }
    return a.labels.length - b.labels.length;
  };
  if (all.length < 2) return undefined;
  all.sort(cmp);
  const dups: Key[] = [];
  for (let i = 1; i < all.length; i++) {
    if (cmp(all[i - 1], all[i]) === 0 && (dups.length === 0 || cmp(all[i - 1], dups[dups.length - 1]) !== 0)) dups.push(all[i]);
  }
  if (dups.length === 0) return undefined;
  let msg = `lint error ${dups.length} duplicate rule(s) found.\n`;
  for (const d of dups) {
    msg += `Metric: ${d.metric}\nLabel(s):\n`;
    for (const [k, v] of d.labels) msg += `\t${k}: ${v}\n`;
  }
  return msg + 'Might cause inconsistency while recording expressions';
}
