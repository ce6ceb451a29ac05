/**
 * /api/v1/rules and /api/v1/alerts compared with the real Prometheus 2.42 serving the same rule file:
 * identical keys at every level, identical values except timings and timestamps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { Engine } from '../../src/metrics/promql/engine.js';
import { RuleManager } from '../../src/alerting/rules/manager.js';
import { registerRulesApiRoutes } from '../../src/alerting/api/rules.js';
import { createHttpServer } from '../../src/server/http.js';
import { startPrometheus } from '../peers/prometheus.js';
import { tempDir } from '../peers/process.js';
import { promConfig } from '../scrape/helpers.js';

const RULES = `groups:
  - name: shape
    rules:
      - alert: AlwaysFiring
        expr: vector(42.5)
        labels:
          severity: page
          team: '{{ "ops" | toUpper }}'
        annotations:
          summary: 'value {{ $value }}'
      - alert: Pending
        expr: vector(1)
        for: 1h
        keep_firing_for: 5m
      - alert: Never
        expr: vector(1) == 0
      - record: job:one
        expr: vector(1)
        labels:
          kind: constant
      - record: unlabelled
        expr: vector(2)
`;

/** Replaces timings and timestamps so the rest can be compared exactly. */
function normalize(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x, k)]));
  if (['evaluationTime', 'lastEvaluation', 'activeAt', 'file'].includes(key)) return typeof v;
  return v;
}

test('rules and alerts API shapes match Prometheus 2.42', async (t) => {
  const dir = tempDir('rules-shape');
  const file = join(dir, 'rules.yml');
  writeFileSync(file, RULES);
  const prom = await startPrometheus(`global:\n  evaluation_interval: 1s\nrule_files:\n  - ${file}\n`);
  t.after(() => prom.stop());

  const logger = pino({ level: 'silent' });
  const db = await TSDB.open({ dir: join(dir, 'tsdb'), logger });
  t.after(() => db.close());
  const rules = new RuleManager({ storage: db, engine: new Engine(), notify: () => undefined, externalLabels: () => ({}), externalUrl: '', logger, timers: { setTimeout: () => undefined, clearTimeout: () => undefined } });
  t.after(() => rules.stop());
  const cfg = promConfig([]);
  cfg.global.evaluationInterval = 1000;
  cfg.ruleFiles = [file];
  await rules.applyConfig(cfg);
  for (let i = 0; i < 3; i++) await rules.evalAllNow(Date.now() + i);
  const app = createHttpServer({ logger, bodyLimit: 1 << 20 });
  registerRulesApiRoutes(app, { rules });
  t.after(() => app.close());

  let promRules: { data: { groups: { rules: { health: string }[] }[] } } | undefined;
  for (let i = 0; i < 100; i++) {
    promRules = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as typeof promRules;
    if (promRules!.data.groups[0]?.rules.every((r) => r.health !== 'unknown')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const ours = (await app.inject({ method: 'GET', url: '/api/v1/rules' })).json();
  assert.deepEqual(normalize(ours), normalize(promRules));

  for (const type of ['alert', 'record']) {
    const p = (await (await fetch(`${prom.url}/api/v1/rules?type=${type}`)).json()) as unknown;
    const o = (await app.inject({ method: 'GET', url: `/api/v1/rules?type=${type}` })).json();
    assert.deepEqual(normalize(o), normalize(p), `type=${type}`);
  }
  const pa = (await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as unknown;
  const oa = (await app.inject({ method: 'GET', url: '/api/v1/alerts' })).json();
  assert.deepEqual(normalize(oa), normalize(pa));
});
