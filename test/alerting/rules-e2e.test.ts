/**
 * End to end with real parts and a controllable clock: a scrape target goes away, `up == 0` for 1m goes
 * pending then firing, the ALERTS series and /api/v1/alerts show it, the alert (with its rendered
 * summary) reaches a real Alertmanager 0.25 through its v2 API, and resolves. A second test restarts
 * the rule manager on a reopened TSDB and checks that the `for` state survives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { Engine } from '../../src/metrics/promql/engine.js';
import { ScrapeManager } from '../../src/metrics/scrape/manager.js';
import { RuleManager } from '../../src/alerting/rules/manager.js';
import { Notifier } from '../../src/alerting/notifier/notifier.js';
import { registerRulesApiRoutes } from '../../src/alerting/api/rules.js';
import { createHttpServer } from '../../src/server/http.js';
import type { AlertmanagerConfig, PrometheusConfig } from '../../src/config/types.js';
import { startAlertmanager } from '../peers/alertmanager.js';
import { tempDir } from '../peers/process.js';
import { promConfig, scrapeConfig } from '../scrape/helpers.js';
import { flappingTarget, logger, noTimers } from './e2e-helpers.js';

const INSTANCE_DOWN = `groups:
  - name: example
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 1m
        labels:
          severity: page
        annotations:
          summary: "Instance {{ $labels.instance }} down"
          description: "{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 1 minute."
`;

function amConfig(hostPort: string): AlertmanagerConfig {
  return {
    scheme: 'http',
    pathPrefix: '/',
    timeout: 10_000,
    apiVersion: 'v2',
    staticConfigs: [{ targets: [hostPort], labels: {} }],
    fileSdConfigs: [],
    relabelConfigs: [],
  };
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

test('up == 0 for 1m: pending, firing, ALERTS, /api/v1/alerts, real Alertmanager 0.25, resolution', async (t) => {
  const dir = tempDir('rules-e2e');
  // The clock starts in the past so that Alertmanager (on real time) sees resolved alerts as ended.
  let now = Math.floor(Date.now() / 1000) * 1000 - 100_000;
  const clock = () => now;
  const db = await TSDB.open({ dir: join(dir, 'tsdb'), logger, now: clock });
  t.after(() => db.close());
  const exporter = await flappingTarget();
  t.after(() => exporter.close());
  const am = await startAlertmanager(`route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n`);
  t.after(() => am.stop());

  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(rulesFile, INSTANCE_DOWN);
  const cfg: PrometheusConfig = promConfig([scrapeConfig({ jobName: 'node', staticConfigs: [{ targets: [exporter.address], labels: {} }] })]);
  cfg.ruleFiles = [rulesFile];
  cfg.global.externalLabels = { cluster: 'test' };
  cfg.alerting.alertmanagers = [amConfig(new URL(am.url).host)];

  const scrape = new ScrapeManager({ storage: db, logger, now: clock, manualScrapes: true });
  t.after(() => scrape.stop());
  await scrape.applyConfig(cfg);
  const notifier = new Notifier({ logger });
  t.after(() => notifier.stop());
  notifier.applyConfig(cfg);
  const rules = new RuleManager({
    storage: db,
    engine: new Engine(),
    notify: (a) => notifier.send(a),
    externalLabels: () => cfg.global.externalLabels,
    externalUrl: 'http://sextant.example:7070',
    logger,
    now: clock,
    timers: noTimers,
  });
  t.after(() => rules.stop());
  await rules.applyConfig(cfg);
  const app = createHttpServer({ logger, bodyLimit: 1 << 20 });
  registerRulesApiRoutes(app, { rules });
  t.after(() => app.close());

  const step = async (ms: number) => {
    now += ms;
    await scrape.scrapeAllNow();
    await rules.evalAllNow();
    await notifier.flush();
  };
  const alertState = () => rules.groups()[0].rules[0];
  const amAlerts = async (): Promise<AmAlert[]> => (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as AmAlert[];

  await step(0);
  assert.equal(alertState().state, 'inactive');
  assert.equal(alertState().health, 'ok');

  await exporter.down();
  await step(15_000);
  const downSince = now;
  assert.equal(alertState().state, 'pending');
  await step(15_000);
  assert.equal(alertState().state, 'pending');
  // ALERTS{alertstate="pending"} is written once the rule is restored (after the second evaluation).
  const pending = await db.querier().select([{ type: '=', name: '__name__', value: 'ALERTS' }], now, now);
  assert.equal(pending.length, 1);
  assert.deepEqual(Object.fromEntries(pending[0].labels.map((l) => [l.name, l.value])), {
    __name__: 'ALERTS',
    alertname: 'InstanceDown',
    alertstate: 'pending',
    instance: exporter.address,
    job: 'node',
    severity: 'page',
  });
  const forState = await db.querier().select([{ type: '=', name: '__name__', value: 'ALERTS_FOR_STATE' }], now, now);
  assert.equal(forState[0].values[forState[0].values.length - 1], downSince / 1000);
  assert.deepEqual(await amAlerts(), [], 'pending alerts are not sent');

  await step(15_000);
  await step(15_000);
  assert.equal(alertState().state, 'pending', '45s < for: 1m');
  await step(15_000);
  assert.equal(alertState().state, 'firing');
  const firedAt = now;

  const api = (await app.inject({ method: 'GET', url: '/api/v1/alerts' })).json() as { status: string; data: { alerts: Record<string, unknown>[] } };
  assert.equal(api.status, 'success');
  assert.deepEqual(api.data.alerts, [
    {
      labels: { alertname: 'InstanceDown', instance: exporter.address, job: 'node', severity: 'page' },
      annotations: {
        description: `${exporter.address} of job node has been down for more than 1 minute.`,
        summary: `Instance ${exporter.address} down`,
      },
      state: 'firing',
      activeAt: new Date(downSince).toISOString().replace('.000Z', 'Z'),
      value: '0e+00',
    },
  ]);
  const rulesApi = (await app.inject({ method: 'GET', url: '/api/v1/rules?type=alert' })).json() as { data: { groups: { file: string; rules: Record<string, unknown>[] }[] } };
  assert.equal(rulesApi.data.groups[0].file, rulesFile);
  assert.equal(rulesApi.data.groups[0].rules[0].state, 'firing');
  assert.equal(rulesApi.data.groups[0].rules[0].duration, 60);
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/rules?type=record' })).json().data.groups[0].rules.length, 0);

  const firing = await amAlerts();
  assert.equal(firing.length, 1, JSON.stringify(firing));
  assert.deepEqual(firing[0].labels, { alertname: 'InstanceDown', cluster: 'test', instance: exporter.address, job: 'node', severity: 'page' });
  assert.equal(firing[0].annotations.summary, `Instance ${exporter.address} down`);
  assert.equal(firing[0].status.state, 'active');
  assert.equal(Date.parse(firing[0].startsAt), firedAt);
  assert.equal(firing[0].generatorURL, 'http://sextant.example:7070/graph?g0.expr=up+%3D%3D+0&g0.tab=1');

  const firingSeries = await db.querier().select([{ type: '=', name: '__name__', value: 'ALERTS' }, { type: '=', name: 'alertstate', value: 'firing' }], now, now);
  assert.equal(firingSeries.length, 1);

  // The target comes back: the alert resolves, Alertmanager is told (endsAt = resolution time) and drops it.
  await exporter.up();
  await step(15_000);
  assert.equal(alertState().state, 'inactive');
  assert.deepEqual(await amAlerts(), []);
  // ALERTS got a stale marker at the resolution time.
  const after = await db.querier().select([{ type: '=', name: '__name__', value: 'ALERTS' }, { type: '=', name: 'alertstate', value: 'firing' }], now, now);
  assert.ok(after.length === 0 || Number.isNaN(after[0].values[after[0].values.length - 1]));
});

test('restart keeps the for state (ALERTS_FOR_STATE restore with outage tolerance and grace period)', async (t) => {
  const dir = tempDir('rules-restore');
  const t0 = 1_700_000_000_000;
  let now = t0;
  const clock = () => now;
  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(
    rulesFile,
    `groups:\n  - name: g\n    interval: 15s\n    rules:\n      - alert: AlwaysDown\n        expr: vector(0) == 0\n        for: 20m\n`,
  );
  const cfg = promConfig([]);
  cfg.ruleFiles = [rulesFile];
  const start = async () => {
    const db = await TSDB.open({ dir: join(dir, 'tsdb'), logger, now: clock });
    const rules = new RuleManager({ storage: db, engine: new Engine(), notify: () => undefined, externalLabels: () => ({}), externalUrl: '', logger, now: clock, timers: noTimers });
    await rules.applyConfig(cfg);
    return { db, rules };
  };
  const activeAt = (r: RuleManager) => r.groups()[0].rules[0].alerts[0]?.activeAt;

  let { db, rules } = await start();
  for (let i = 0; i <= 20; i++) {
    now = t0 + i * 15_000;
    await rules.evalAllNow();
  }
  assert.equal(activeAt(rules), t0);
  assert.equal(rules.groups()[0].rules[0].state, 'pending');
  // Down at t0+5m, back at t0+6m.
  await rules.stop();
  await db.close();
  now = t0 + 6 * 60_000;
  ({ db, rules } = await start());
  t.after(async () => {
    await rules.stop();
    await db.close();
  });
  await rules.evalAllNow();
  assert.equal(activeAt(rules), now, 'first evaluation after restart starts a fresh pending alert');
  now += 15_000;
  await rules.evalAllNow();
  // Restored: 5m were spent pending before the outage; the 1m15s outage is added (Prometheus shifts
  // ActiveAt by the downtime when more than the 10m grace period remains).
  const downAt = t0 + 5 * 60_000;
  assert.equal(activeAt(rules), t0 + (now - downAt));
  now = t0 + (now - downAt) + 20 * 60_000 - 15_000;
  await rules.evalAllNow();
  assert.equal(rules.groups()[0].rules[0].state, 'pending');
  now += 15_000;
  await rules.evalAllNow();
  assert.equal(rules.groups()[0].rules[0].state, 'firing', 'fires 20m after the restored activeAt, not 20m after the restart');
});
