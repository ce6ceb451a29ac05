/**
 * The composed server: rule_files from the Prometheus config are loaded and evaluated on their own
 * schedule, /api/v1/rules and /api/v1/alerts answer, and a reload with a broken rule file fails while
 * the previous rules keep running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSextant } from '../support/sextant.js';
import { tempDir } from '../peers/process.js';

test('server loads rule_files, evaluates them, serves /api/v1/rules and keeps rules on a bad reload', async (t) => {
  const dir = tempDir('rules-server');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  evaluation_interval: 1s\n  external_labels:\n    site: lab\nrule_files:\n  - rules/*.yml\n`,
  );
  const rulesDir = join(dir, 'rules');
  (await import('node:fs')).mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'a.yml'), `groups:\n  - name: always\n    rules:\n      - alert: Always\n        expr: vector(1)\n        annotations:\n          site: '{{ $externalLabels.site }}'\n      - record: one\n        expr: vector(1)\n`);
  const s = await startTestSextant({ configFile: join(dir, 'prometheus.yml') });
  t.after(() => s.stop());
  let rules: { data: { groups: { name: string; file: string; interval: number; rules: { type: string; health: string; state?: string; name: string }[] }[] } } | undefined;
  for (let i = 0; i < 50; i++) {
    rules = (await (await fetch(`${s.url}/api/v1/rules`)).json()) as typeof rules;
    if (rules!.data.groups[0]?.rules.every((r) => r.health === 'ok')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const g = rules!.data.groups[0];
  assert.equal(g.name, 'always');
  assert.equal(g.file, join(rulesDir, 'a.yml'));
  assert.equal(g.interval, 1);
  assert.deepEqual(g.rules.map((r) => [r.type, r.name, r.health]), [['alerting', 'Always', 'ok'], ['recording', 'one', 'ok']]);
  const alerts = (await (await fetch(`${s.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string }[] } };
  assert.equal(alerts.data.alerts[0].state, 'firing');
  assert.equal(alerts.data.alerts[0].annotations.site, 'lab');

  writeFileSync(join(rulesDir, 'b.yml'), `groups:\n  - name: broken\n    rules:\n      - record: x\n        expr: sum(\n`);
  const reload = await fetch(`${s.url}/-/reload`, { method: 'POST' });
  assert.notEqual(reload.status, 200);
  assert.match(await reload.text(), /b\.yml: 5:15: group "broken", rule 1, "x": could not parse expression/);
  rules = (await (await fetch(`${s.url}/api/v1/rules`)).json()) as typeof rules;
  assert.deepEqual(rules!.data.groups.map((x) => x.name), ['always']);
});
