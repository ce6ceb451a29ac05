/**
 * RuleManager semantics on the real TSDB and PromQL engine with a controllable clock: recording rules and
 * their stale markers (also after a reload removes rules or groups), a bad reload keeping the running rules, evaluation failures, keep_firing_for,
 * limit, templated labels, resend delay and the 110-pods-per-node capacity example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { Engine } from '../../src/metrics/promql/engine.js';
import { RuleManager, type Timers } from '../../src/alerting/rules/manager.js';
import type { NotifierAlert } from '../../src/alerting/notifier/types.js';
import { selfRegistry } from '../../src/metrics/collectors/self.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { isStaleNaN } from '../../src/model/value.js';
import { tempDir } from '../peers/process.js';
import { promConfig } from '../scrape/helpers.js';

const logger = pino({ level: 'silent' });
const noTimers: Timers = { setTimeout: () => undefined, clearTimeout: () => undefined };

async function setup(rulesYaml: string, timers: Timers = noTimers) {
  const dir = tempDir('rules-mgr');
  let now = 1_700_000_000_000;
  const clock = () => now;
  const db = await TSDB.open({ dir: join(dir, 'tsdb'), logger, now: clock });
  const sent: NotifierAlert[][] = [];
  const rules = new RuleManager({ storage: db, engine: new Engine(), notify: (a) => sent.push(a), externalLabels: () => ({ region: 'eu' }), externalUrl: 'http://x', logger, now: clock, timers });
  const file = join(dir, 'rules.yml');
  writeFileSync(file, rulesYaml);
  const cfg = promConfig([]);
  cfg.ruleFiles = [join(dir, '*.yml')];
  await rules.applyConfig(cfg);
  const write = async (series: Record<string, string>, v: number) => {
    const app = db.appender();
    app.append(labelsFromRecord(series), now, v);
    await app.commit();
  };
  const select = async (name: string) =>
    (await db.querier().select([{ type: '=', name: '__name__', value: name }], 0, Number.MAX_SAFE_INTEGER)).map((s) => ({
      labels: Object.fromEntries(s.labels.map((l) => [l.name, l.value])),
      values: Array.from(s.values),
      timestamps: Array.from(s.timestamps),
    }));
  return {
    db, rules, sent, file, cfg, write, select,
    advance: (ms: number) => (now += ms),
    now: () => now,
    close: async () => {
      await rules.stop();
      await db.close();
    },
  };
}

test('recording rules write their series with rule labels, one value per evaluation, stale markers when gone', async (t) => {
  const s = await setup(`groups:
  - name: rec
    rules:
      - record: job:http_requests:sum
        expr: sum by (job) (http_requests)
        labels:
          team: web
`);
  t.after(s.close);
  await s.write({ __name__: 'http_requests', job: 'a', i: '1' }, 2);
  await s.write({ __name__: 'http_requests', job: 'a', i: '2' }, 3);
  await s.write({ __name__: 'http_requests', job: 'b', i: '1' }, 5);
  await s.rules.evalAllNow();
  let out = await s.select('job:http_requests:sum');
  assert.deepEqual(out.map((x) => [x.labels, x.values]), [
    [{ __name__: 'job:http_requests:sum', job: 'a', team: 'web' }, [5]],
    [{ __name__: 'job:http_requests:sum', job: 'b', team: 'web' }, [5]],
  ]);
  // job b disappears (its samples age out of the lookback): its recorded series gets a stale marker.
  s.advance(6 * 60_000);
  await s.write({ __name__: 'http_requests', job: 'a', i: '1' }, 10);
  await s.rules.evalAllNow();
  out = await s.select('job:http_requests:sum');
  assert.deepEqual(out[0].values, [5, 10]);
  assert.equal(out[1].values.length, 2);
  assert.ok(isStaleNaN(out[1].values[1]));
  const g = s.rules.groups()[0];
  assert.equal(g.rules[0].health, 'ok');
  assert.equal(g.interval, 15_000, 'group interval defaults to global evaluation_interval');
});

test('a reload marks series of removed rules stale as Prometheus does: removed group two intervals later, removed rule at the next evaluation', async (t) => {
  const scheduled: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const h = { fn, ms, cleared: false };
      scheduled.push(h);
      return h;
    },
    clearTimeout: (h) => void ((h as { cleared: boolean }).cleared = true),
  };
  const s = await setup(
    `groups:
  - name: kept
    interval: 10s
    rules:
      - record: a:sum
        expr: sum(x)
      - record: b:sum
        expr: sum(x)
  - name: removed
    interval: 20s
    rules:
      - record: c:sum
        expr: sum(x)
`,
    timers,
  );
  t.after(s.close);
  await s.write({ __name__: 'x' }, 1);
  await s.rules.evalAllNow();
  const stopAt = s.now();
  s.advance(1000);
  writeFileSync(s.file, `groups:\n  - name: kept\n    interval: 10s\n    rules:\n      - record: a:sum\n        expr: sum(x)\n`);
  scheduled.length = 0;
  await s.rules.applyConfig(s.cfg);
  // Nothing is marked at the reload itself.
  for (const name of ['b:sum', 'c:sum']) assert.equal((await s.select(name))[0].values.length, 1, name);
  // The removed group's markers wait two of its intervals and carry the reload time.
  const pending = scheduled.filter((h) => h.ms === 40_000);
  assert.equal(pending.length, 1);
  s.advance(40_000);
  pending[0].fn();
  // The timer's commit is asynchronous (WAL fsync): wait for it to land.
  let c = (await s.select('c:sum'))[0];
  for (let i = 0; i < 200 && c.values.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
    c = (await s.select('c:sum'))[0];
  }
  assert.equal(c.timestamps[1], stopAt + 1000);
  assert.ok(isStaleNaN(c.values[1]));
  // The rule dropped from the kept group is marked by that group's next evaluation, at its timestamp.
  await s.rules.evalAllNow();
  const b = (await s.select('b:sum'))[0];
  assert.equal(b.timestamps[1], s.now());
  assert.ok(isStaleNaN(b.values[1]));
  assert.equal((await s.select('a:sum'))[0].values.length, 2);
});

test('stale markers of a removed group are dropped when the manager stops first', async (t) => {
  const scheduled: { ms: number; cleared: boolean }[] = [];
  const timers: Timers = {
    setTimeout: (_fn, ms) => {
      const h = { ms, cleared: false };
      scheduled.push(h);
      return h;
    },
    clearTimeout: (h) => void ((h as { cleared: boolean }).cleared = true),
  };
  const s = await setup(`groups:\n  - name: gone\n    rules:\n      - record: c:sum\n        expr: sum(x)\n`, timers);
  t.after(s.close);
  await s.write({ __name__: 'x' }, 1);
  await s.rules.evalAllNow();
  writeFileSync(s.file, 'groups: []\n');
  scheduled.length = 0;
  await s.rules.applyConfig(s.cfg);
  const pending = scheduled.filter((h) => h.ms === 30_000);
  assert.equal(pending.length, 1);
  await s.rules.stop();
  assert.equal(pending[0].cleared, true);
});

test('a reload with a bad rule file reports file, group, rule and message and keeps the running rules', async (t) => {
  const s = await setup(`groups:
  - name: good
    rules:
      - record: x:sum
        expr: sum(x)
`);
  t.after(s.close);
  writeFileSync(s.file, `groups:\n  - name: bad\n    rules:\n      - alert: Broken\n        expr: sum(x\n`);
  await assert.rejects(s.rules.applyConfig(s.cfg), (e: Error) => {
    assert.match(e.message, /rules\.yml: 5:15: group "bad", rule 1, "Broken": could not parse expression: 1:6: parse error/);
    return true;
  });
  writeFileSync(s.file, `groups:\n  - name: bad\n    rules:\n      - alert: BadTmpl\n        expr: x\n        annotations:\n          a: "{{ .x }"\n`);
  await assert.rejects(s.rules.applyConfig(s.cfg), /group "bad", rule 1, "BadTmpl": annotation "a": template: __alert_BadTmpl:1: unexpected "}" in operand/);
  assert.deepEqual(s.rules.groups().map((g) => [g.name, g.rules.map((r) => r.name)]), [['good', ['x:sum']]]);
  await s.write({ __name__: 'x' }, 4);
  await s.rules.evalAllNow();
  assert.deepEqual((await s.select('x:sum'))[0].values, [4]);
});

test('evaluation failures set health and lastError and count in sextant_rule_evaluation_failures_total', async (t) => {
  const s = await setup(`groups:
  - name: failing
    rules:
      - record: dup
        expr: label_replace(x, "i", "same", "i", ".*")
      - alert: TooMany
        expr: x
`);
  t.after(s.close);
  await s.write({ __name__: 'x', i: '1' }, 1);
  await s.write({ __name__: 'x', i: '2' }, 1);
  const key = `${s.rules.groups()[0].file};failing`;
  const before = (await selfRegistry.getSingleMetric('sextant_rule_evaluation_failures_total')!.get()).values.find((v) => v.labels.rule_group === key)?.value ?? 0;
  await s.rules.evalAllNow();
  const r = s.rules.groups()[0].rules[0];
  assert.equal(r.health, 'err');
  assert.match(r.lastError, /vector cannot contain metrics with the same labelset|same labelset/);
  assert.equal(s.rules.groups()[0].rules[1].health, 'ok', 'other rules of the group still run');
  const after = (await selfRegistry.getSingleMetric('sextant_rule_evaluation_failures_total')!.get()).values.find((v) => v.labels.rule_group === key)?.value;
  assert.equal(after, before + 1);
  const metricsText = await selfRegistry.metrics();
  assert.match(metricsText, /sextant_rule_group_last_duration_seconds\{rule_group=".*;failing"\}/);
});

test('limit: more alerts than the group limit fail the rule and clear its alerts', async (t) => {
  const s = await setup(`groups:
  - name: limited
    limit: 1
    rules:
      - alert: Many
        expr: x > 0
`);
  t.after(s.close);
  await s.write({ __name__: 'x', i: '1' }, 1);
  await s.write({ __name__: 'x', i: '2' }, 1);
  await s.rules.evalAllNow();
  const r = s.rules.groups()[0].rules[0];
  assert.equal(r.health, 'err');
  assert.equal(r.lastError, 'exceeded limit of 1 with 2 alerts');
  assert.equal(r.alerts.length, 0);
});

test('keep_firing_for keeps a firing alert after its condition clears; templated labels; resend delay', async (t) => {
  const s = await setup(`groups:
  - name: kf
    rules:
      - alert: Hot
        expr: temp > 50
        keep_firing_for: 1m
        labels:
          severity: '{{ if gt $value 90.0 }}critical{{ else }}warning{{ end }}'
          region: '{{ $externalLabels.region }}'
        annotations:
          summary: '{{ $labels.room }} at {{ $value }} degrees'
`);
  t.after(s.close);
  await s.write({ __name__: 'temp', room: 'r1' }, 95);
  await s.rules.evalAllNow(); // iteration 1 (for: 0 → firing at once)
  const st = () => s.rules.groups()[0].rules[0];
  assert.equal(st().state, 'firing');
  assert.deepEqual(Object.fromEntries(st().alerts[0].labels.map((l) => [l.name, l.value])), { alertname: 'Hot', region: 'eu', room: 'r1', severity: 'critical' });
  assert.equal(s.sent.length, 1);
  assert.equal(s.sent[0][0].annotations[0].value, 'r1 at 95 degrees');
  assert.equal(s.sent[0][0].endsAt, s.now() + 4 * 60_000, 'endsAt = validUntil = ts + 4 × max(resend delay, interval)');

  s.advance(15_000);
  await s.write({ __name__: 'temp', room: 'r1' }, 20); // condition clears
  await s.rules.evalAllNow();
  assert.equal(st().state, 'firing', 'kept firing');
  assert.equal(s.sent.length, 1, 'not resent within the 1m resend delay');
  s.advance(50_000);
  await s.write({ __name__: 'temp', room: 'r1' }, 20);
  await s.rules.evalAllNow();
  assert.equal(st().state, 'firing');
  assert.equal(s.sent.length, 2, 'resent after the resend delay');
  s.advance(15_000);
  await s.write({ __name__: 'temp', room: 'r1' }, 20);
  await s.rules.evalAllNow();
  assert.equal(st().state, 'inactive', 'resolved once keep_firing_for has passed');
  assert.equal(s.sent.length, 3);
  const resolvedAt = s.now();
  assert.equal(s.sent[2][0].endsAt, resolvedAt, 'resolved alerts are sent with endsAt = resolution time');
  // Resolved alerts are kept for 15 minutes and re-sent every resend delay, then forgotten.
  s.advance(61_000);
  await s.write({ __name__: 'temp', room: 'r1' }, 20);
  await s.rules.evalAllNow();
  assert.equal(s.sent.length, 4);
  assert.equal(s.sent[3][0].endsAt, resolvedAt);
  s.advance(15 * 60_000);
  await s.write({ __name__: 'temp', room: 'r1' }, 20);
  await s.rules.evalAllNow();
  const n = s.sent.length;
  s.advance(61_000);
  await s.write({ __name__: 'temp', room: 'r1' }, 20);
  await s.rules.evalAllNow();
  assert.equal(s.sent.length, n, 'nothing is sent once the resolved alert has been dropped');
});

test('pod capacity: nodes near the 110-pods-per-node limit', async (t) => {
  const s = await setup(`groups:
  - name: capacity
    rules:
      - alert: NodePodsNearLimit
        expr: sum by (node) (kubelet_running_pods) / 110 > 0.9
        for: 10m
        labels:
          severity: warning
        annotations:
          description: "{{ $labels.node }} is at {{ humanizePercentage $value }} of the 110 pods per node limit."
`);
  t.after(s.close);
  const write = async () => {
    await s.write({ __name__: 'kubelet_running_pods', node: 'n1' }, 104);
    await s.write({ __name__: 'kubelet_running_pods', node: 'n2' }, 60);
  };
  for (let i = 0; i <= 40; i++) {
    await write();
    await s.rules.evalAllNow();
    s.advance(15_000);
  }
  const r = s.rules.groups()[0].rules[0];
  assert.equal(r.state, 'firing');
  assert.equal(r.alerts.length, 1);
  assert.equal(r.alerts[0].annotations[0].value, 'n1 is at 94.55% of the 110 pods per node limit.');
  const alerts = await s.select('ALERTS');
  assert.deepEqual(alerts.map((a) => a.labels.alertstate).sort(), ['firing', 'pending']);
});
