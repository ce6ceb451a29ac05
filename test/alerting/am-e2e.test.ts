/**
 * End to end with real parts and a controllable clock: a scrape target goes away, `up == 0` for 1m goes
 * pending then firing, the rule engine's notifier hands the alert to the built-in Alertmanager, and a local
 * HTTP receiver gets the Slack-format and webhook payloads with the rendered summary; a silence stops the
 * next notification and survives a restart of the Alertmanager; resolution sends `resolved`.
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
import { Alertmanager } from '../../src/alerting/alertmanager/alertmanager.js';
import { parseAlertmanagerConfig } from '../../src/alerting/alertmanager/config.js';
import { startTestReceiver } from '../../src/alerting/alertmanager/test-receiver.js';
import type { PrometheusConfig } from '../../src/config/types.js';
import { tempDir } from '../peers/process.js';
import { promConfig, scrapeConfig } from '../scrape/helpers.js';
import { flappingTarget, logger, noTimers } from './e2e-helpers.js';

const RULES = `groups:
  - name: example
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 1m
        labels:
          severity: page
        annotations:
          summary: "Instance {{ $labels.instance }} down"
`;

test('up == 0 → pending → firing → Slack and webhook payloads; silence; restart keeps it; resolved', async (t) => {
  const dir = tempDir('am-e2e');
  let now = Date.parse('2026-03-02T08:00:00Z');
  const clock = () => now;
  const db = await TSDB.open({ dir: join(dir, 'tsdb'), logger, now: clock });
  t.after(() => db.close());
  const exporter = await flappingTarget();
  t.after(() => exporter.close());
  const rx = await startTestReceiver();
  t.after(() => rx.close());

  const amYaml = `route:
  receiver: team
  group_by: [alertname]
  group_wait: 30s
  group_interval: 1m
  repeat_interval: 5m
receivers:
  - name: team
    slack_configs:
      - api_url: ${rx.url}/slack
        channel: '#ops'
        send_resolved: true
        title: '{{ .CommonAnnotations.summary }}'
        text: '{{ range .Alerts }}{{ .Annotations.summary }} ({{ .Labels.severity }}){{ end }}'
    webhook_configs:
      - url: ${rx.url}/hook
`;
  const makeAm = async () => {
    const am = new Alertmanager({ dataDir: join(dir, 'alertmanager'), logger, now: clock, externalUrl: 'http://sextant.example/alertmanager', autoTick: false });
    await am.applyConfig(parseAlertmanagerConfig(amYaml));
    return am;
  };
  let am = await makeAm();
  t.after(() => am.stop());

  const rulesFile = join(dir, 'rules.yml');
  writeFileSync(rulesFile, RULES);
  const cfg: PrometheusConfig = promConfig([scrapeConfig({ jobName: 'node', staticConfigs: [{ targets: [exporter.address], labels: {} }] })]);
  cfg.ruleFiles = [rulesFile];
  const scrape = new ScrapeManager({ storage: db, logger, now: clock, manualScrapes: true });
  t.after(() => scrape.stop());
  await scrape.applyConfig(cfg);
  const notifier = new Notifier({ logger, now: clock });
  t.after(() => notifier.stop());
  notifier.applyConfig(cfg);
  notifier.addLocalSink((alerts) => am.receive(alerts));
  const rules = new RuleManager({ storage: db, engine: new Engine(), notify: (a) => notifier.send(a), externalLabels: () => ({}), externalUrl: 'http://sextant.example', logger, now: clock, timers: noTimers });
  t.after(() => rules.stop());
  await rules.applyConfig(cfg);

  const step = async (ms: number) => {
    now += ms;
    await scrape.scrapeAllNow();
    await rules.evalAllNow();
    await notifier.flush();
    await am.tick();
  };
  const state = () => rules.groups()[0].rules[0].state;
  const paths = (p: string) => rx.bodies.filter((b) => b.path === p).map((b) => b.body);

  await step(0);
  await exporter.down();
  await step(15_000);
  assert.equal(state(), 'pending');
  for (let i = 0; i < 4; i++) await step(15_000);
  assert.equal(state(), 'firing');
  assert.equal(paths('/hook').length, 0, 'group_wait not yet over');
  await step(15_000);
  await step(15_000);
  assert.equal(paths('/hook').length, 1, 'sent after group_wait');
  const hook = paths('/hook')[0];
  assert.equal(hook.status, 'firing');
  assert.equal(hook.version, '4');
  assert.equal(hook.groupKey, '{}:{alertname="InstanceDown"}');
  const alert = (hook.alerts as Record<string, Record<string, string>>[])[0];
  assert.equal(alert.annotations.summary, `Instance ${exporter.address} down`);
  assert.deepEqual(alert.labels, { alertname: 'InstanceDown', instance: exporter.address, job: 'node', severity: 'page' });
  assert.equal(String(alert.generatorURL), 'http://sextant.example/graph?g0.expr=up+%3D%3D+0&g0.tab=1');
  const slack = paths('/slack')[0];
  assert.equal(slack.channel, '#ops');
  const att = (slack.attachments as Record<string, string>[])[0];
  assert.equal(att.title, `Instance ${exporter.address} down`);
  assert.equal(att.text, `Instance ${exporter.address} down (page)`);
  assert.equal(att.color, 'danger');
  assert.equal(att.title_link, 'http://sextant.example/alertmanager/#/alerts?receiver=team');

  // A silence: the repeat (5m) does not go out.
  const id = am.silences.set({ matchers: [{ name: 'alertname', value: 'InstanceDown', isRegex: false, isEqual: true }], startsAt: now, endsAt: now + 3600_000, createdBy: 'ops', comment: 'maintenance' });
  for (let i = 0; i < 30; i++) await step(15_000);
  assert.equal(paths('/hook').length, 1, 'silenced: no repeat');

  // Restart the Alertmanager: the silence is still there and still mutes.
  await am.stop();
  am = await makeAm();
  assert.equal(am.silences.get(id)?.comment, 'maintenance');
  for (let i = 0; i < 30; i++) await step(15_000);
  assert.equal(paths('/hook').length, 1, 'still silenced after restart');
  assert.equal(am.activeAlerts().length, 1, 'the rule engine re-sent the firing alert');
  assert.equal(am.status(am.activeAlerts()[0]).state, 'suppressed');

  // Silence expired; the target comes back: resolved goes to both.
  am.silences.expire(id);
  await exporter.up();
  const before = paths('/hook').length;
  for (let i = 0; i < 8; i++) await step(15_000);
  const after = paths('/hook').slice(before);
  assert.ok(after.length >= 1, 'something was sent');
  assert.equal(after.at(-1)?.status, 'resolved');
  assert.equal(((paths('/slack').at(-1)?.attachments as Record<string, string>[])[0]).color, 'good');
});
