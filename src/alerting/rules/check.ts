/** `sextant check rules FILE...`: validates rule files as `promtool check rules` does. */
import { readFile } from 'node:fs/promises';
import { parseRules } from './rulefmt.js';

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
  // promtool warns about rules that would produce identical series.
  for (const g of groups) {
    const seen = new Map<string, number>();
    for (const r of g.rules) {
      const key = JSON.stringify([r.record ?? r.alert, r.record !== undefined, Object.entries(r.labels).sort()]);
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    let dups = 0;
    for (const n of seen.values()) if (n > 1) dups++;
    if (dups > 0) messages.push(`${dups} duplicate rule(s) found.`);
  }
  messages.push(`SUCCESS: ${ruleCount} rules found`);
  return { ok: true, messages, ruleCount };
}
