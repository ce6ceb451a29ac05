import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { tempDir } from '../../../test/peers/process.js';
import { selfRegistry } from '../../metrics/collectors/self.js';
import { Alertmanager } from './alertmanager.js';
import { parseAlertmanagerConfig } from './config.js';
import { startTestReceiver, type TestReceiver } from './test-receiver.js';

const T0 = Date.parse('2026-01-05T10:00:00Z');

function cfg(url: string, extra = ''): string {
  return `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: ['team="db"']
      receiver: db
      group_by: ['...']
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
receivers:
  - name: hook
    webhook_configs:
      - url: ${url}/hook
    slack_configs:
      - api_url: ${url}/slack
        channel: '#alerts'
        send_resolved: true
        text: '{{ range .Alerts }}{{ .Annotations.summary }} {{ end }}'
  - name: db
    webhook_configs:
      - url: ${url}/db
${extra}`;
}

interface Harness {
  am: Alertmanager;
  rx: TestReceiver;
  clock: { t: number };
  dir: string;
  restart: () => Promise<void>;
  post: (labels: Record<string, string>, opts?: { endsAt?: number; summary?: string; startsAt?: number }) => Promise<void>;
  done: () => Promise<void>;
}

async function harness(extra = ''): Promise<Harness> {
  const rx = await startTestReceiver();
  const dir = tempDir('am');
  const clock = { t: T0 };
  const make = async () => {
    const am = new Alertmanager({ dataDir: dir, logger: pino({ level: 'silent' }), now: () => clock.t, externalUrl: 'http://am.example', autoTick: false, retry: { initialDelayMs: 5, maxAttempts: 3, timeoutMs: 300 } });
    await am.applyConfig(parseAlertmanagerConfig(cfg(rx.url, extra)));
    return am;
  };
  const h: Harness = {
    am: await make(), rx, clock, dir,
    restart: async () => {
      await h.am.stop();
      h.am = await make();
    },
    post: (labels, o = {}) =>
      h.am.receive([{ labels, annotations: { summary: o.summary ?? `${labels.instance ?? ''} down` }, startsAt: new Date(o.startsAt ?? clock.t).toISOString(), // Like Prometheus: endsAt a few evaluation intervals ahead, refreshed while firing.
      endsAt: new Date(o.endsAt ?? clock.t + 15 * 60_000).toISOString() }]),
    done: async () => {
      await h.am.stop();
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

async function at(h: Harness, offsetMs: number): Promise<void> {
  h.clock.t = T0 + offsetMs;
  await h.am.tick();
}

const bodiesAt = (h: Harness, path: string) => h.rx.bodies.filter((b) => b.path === path).map((b) => b.body);

test('grouping: group_wait then one webhook v4 message per group, group_interval for changes, repeat_interval otherwise', async () => {
  const h = await harness();
  try {
    await h.post({ alertname: 'InstanceDown', instance: 'a:9100', severity: 'page' });
    await h.post({ alertname: 'InstanceDown', instance: 'b:9100', severity: 'page' });
    await at(h, 29_000);
    assert.equal(bodiesAt(h, '/hook').length, 0, 'nothing before group_wait');
    await at(h, 30_000);
    const hooks = bodiesAt(h, '/hook');
    assert.equal(hooks.length, 1);
    const m = hooks[0];
    assert.equal(m.version, '4');
    assert.equal(m.groupKey, '{}:{alertname="InstanceDown"}');
    assert.equal(m.status, 'firing');
    assert.equal(m.receiver, 'hook');
    assert.deepEqual(m.groupLabels, { alertname: 'InstanceDown' });
    assert.deepEqual(m.commonLabels, { alertname: 'InstanceDown', severity: 'page' });
    assert.equal(m.truncatedAlerts, 0);
    assert.equal(m.externalURL, 'http://am.example');
    const alerts = m.alerts as Record<string, unknown>[];
    assert.equal(alerts.length, 2);
    assert.equal(alerts[0].endsAt, '0001-01-01T00:00:00Z');
    assert.equal(alerts[0].startsAt, '2026-01-05T10:00:00Z');
    assert.match(String(alerts[0].fingerprint), /^[0-9a-f]{16}$/);
    // Slack: default title template, custom text.
    const slack = bodiesAt(h, '/slack')[0];
    assert.equal(slack.channel, '#alerts');
    assert.equal(slack.username, 'Alertmanager');
    const att = (slack.attachments as Record<string, unknown>[])[0];
    assert.equal(att.title, '[FIRING:2] InstanceDown (page)');
    assert.equal(att.title_link, 'http://am.example/#/alerts?receiver=hook');
    assert.equal(att.text, 'a:9100 down b:9100 down ');
    assert.equal(att.color, 'danger');
    assert.equal(att.fallback, '[FIRING:2] InstanceDown (page) | http://am.example/#/alerts?receiver=hook');
    assert.deepEqual(att.mrkdwn_in, ['fallback', 'pretext', 'text']);

    // A third alert joins: sent at the next group_interval, not before.
    await h.post({ alertname: 'InstanceDown', instance: 'c:9100', severity: 'page' });
    await at(h, 60_000);
    assert.equal(bodiesAt(h, '/hook').length, 1);
    await at(h, 330_000);
    assert.equal(bodiesAt(h, '/hook').length, 2);
    assert.equal((bodiesAt(h, '/hook')[1].alerts as unknown[]).length, 3);
    // No change: nothing at later group intervals until repeat_interval (4h) has passed since the last send.
    for (let i = 2; i < 48; i++) {
      for (const inst of ['a', 'b', 'c']) await h.post({ alertname: 'InstanceDown', instance: `${inst}:9100`, severity: 'page' });
      await at(h, 30_000 + i * 300_000);
    }
    assert.equal(bodiesAt(h, '/hook').length, 2, 'deduplicated within repeat_interval');
    for (const inst of ['a', 'b', 'c']) await h.post({ alertname: 'InstanceDown', instance: `${inst}:9100`, severity: 'page' });
    await at(h, 30_000 + 49 * 300_000);
    assert.equal(bodiesAt(h, '/hook').length, 3, 'repeated after repeat_interval');
  } finally {
    await h.done();
  }
});

test('resolution: resolved alerts are sent (webhook send_resolved default true) and leave the group', async () => {
  const h = await harness();
  try {
    await h.post({ alertname: 'X', instance: 'a' });
    await at(h, 30_000);
    await h.post({ alertname: 'X', instance: 'a' }, { startsAt: T0, endsAt: T0 + 40_000 });
    await at(h, 330_000);
    const hooks = bodiesAt(h, '/hook');
    assert.equal(hooks.length, 2);
    assert.equal(hooks[1].status, 'resolved');
    const a = (hooks[1].alerts as Record<string, unknown>[])[0];
    assert.equal(a.status, 'resolved');
    assert.equal(a.endsAt, '2026-01-05T10:00:40Z');
    const slack = bodiesAt(h, '/slack');
    assert.equal(((slack[1].attachments as Record<string, unknown>[])[0]).color, 'good');
    assert.match(String(((slack[1].attachments as Record<string, unknown>[])[0]).title), /^\[RESOLVED\] X/);
    await at(h, 630_000);
    assert.equal(bodiesAt(h, '/hook').length, 2, 'group gone after the resolved notification');
    assert.equal(h.am.alertGroups().length, 0);
  } finally {
    await h.done();
  }
});

test('resolve_timeout: an alert without endsAt resolves resolve_timeout after its last update', async () => {
  const h = await harness();
  try {
    await h.am.receive([{ labels: { alertname: 'Y' }, annotations: {} }]);
    await at(h, 30_000);
    assert.equal(h.am.activeAlerts().length, 1);
    await at(h, 301_000);
    assert.equal(h.am.activeAlerts().length, 0);
    await at(h, 330_000);
    assert.equal(bodiesAt(h, '/hook').at(-1)?.status, 'resolved');
  } finally {
    await h.done();
  }
});

test('routing: child route with group_by ... and matchers; inhibition mutes targets with equal labels', async () => {
  const h = await harness();
  try {
    await h.post({ alertname: 'DbDown', team: 'db', instance: 'x' });
    await h.post({ alertname: 'DbDown', team: 'db', instance: 'y' });
    await h.post({ alertname: 'Disk', severity: 'critical' });
    await h.post({ alertname: 'Disk', severity: 'warning', instance: 'z' });
    await h.post({ alertname: 'Other', severity: 'warning' });
    await at(h, 30_000);
    const db = bodiesAt(h, '/db');
    assert.equal(db.length, 2, 'group_by ... makes one group per label set');
    assert.ok(db.every((m) => (m.groupKey as string).startsWith('{}/{team="db"}:{alertname="DbDown", instance=')));
    const hook = bodiesAt(h, '/hook');
    const disk = hook.find((m) => (m.groupLabels as Record<string, string>).alertname === 'Disk');
    assert.deepEqual((disk?.alerts as Record<string, Record<string, string>>[]).map((a) => a.labels.severity), ['critical'], 'warning inhibited by critical');
    assert.ok(hook.some((m) => (m.groupLabels as Record<string, string>).alertname === 'Other'), 'no inhibition without the equal label matching');
    const warn = h.am.activeAlerts().find((a) => a.labels.severity === 'warning' && a.labels.alertname === 'Disk');
    assert.equal(h.am.status(warn!).state, 'suppressed');
    assert.equal(h.am.status(warn!).inhibitedBy.length, 1);
  } finally {
    await h.done();
  }
});

test('silences stop notifications, persist across restarts; the notification log prevents a resend after restart', async () => {
  const h = await harness();
  try {
    await h.post({ alertname: 'S', instance: 'a' });
    await at(h, 30_000);
    assert.equal(bodiesAt(h, '/hook').length, 1);
    const id = h.am.silences.set({ matchers: [{ name: 'alertname', value: 'S', isRegex: false, isEqual: true }], startsAt: T0, endsAt: T0 + 10 * 3600_000, createdBy: 'me', comment: 'maint' });
    await h.restart();
    assert.equal(h.am.silences.get(id)?.comment, 'maint', 'silence reloaded from disk');
    // After a restart the alert comes back from the rule engine; nflog says it was sent: no resend at group_wait.
    await h.post({ alertname: 'S', instance: 'b' }, { startsAt: T0 });
    await h.am.silences.expire(id);
    await h.post({ alertname: 'S', instance: 'a' }, { startsAt: T0 });
    await at(h, 61_000);
    const afterRestart = bodiesAt(h, '/hook');
    assert.equal(afterRestart.length, 2, 'new alert b is sent');
    const id2 = h.am.silences.set({ matchers: [{ name: 'alertname', value: 'S', isRegex: false, isEqual: true }], startsAt: T0, endsAt: T0 + 10 * 3600_000, createdBy: 'me', comment: 'again' });
    assert.notEqual(id2, id);
    await h.post({ alertname: 'S', instance: 'c' });
    await at(h, 61_000 + 300_000);
    assert.equal(bodiesAt(h, '/hook').length, 2, 'silenced: no notification for the new alert');
    assert.equal(h.am.status(h.am.activeAlerts()[0]).state, 'suppressed');
  } finally {
    await h.done();
  }
});

test('silence update semantics: in place when allowed, otherwise expire and re-create; validation messages', async () => {
  const h = await harness();
  try {
    const base = { matchers: [{ name: 'a', value: 'b', isRegex: false, isEqual: true }], startsAt: T0, endsAt: T0 + 3600_000, createdBy: 'x', comment: 'y' };
    const id = h.am.silences.set(base);
    assert.equal(h.am.silences.set({ ...base, id, endsAt: T0 + 7200_000 }), id, 'extend an active silence in place');
    const id3 = h.am.silences.set({ ...base, id, matchers: [{ name: 'a', value: 'c', isRegex: false, isEqual: true }] });
    assert.notEqual(id3, id, 'changed matchers make a new silence');
    h.clock.t = T0 + 1;
    assert.equal(h.am.silences.list().find((s) => s.id === id)?.endsAt, T0, 'the old one expired at the change');
    assert.throws(() => h.am.silences.set({ ...base, matchers: [{ name: 'a', value: '.*', isRegex: true, isEqual: true }] }), /must not match the empty string/);
    assert.throws(() => h.am.silences.set({ ...base, matchers: [] }), /at least one matcher/);
    assert.throws(() => h.am.silences.set({ ...base, endsAt: T0 - 1 }), /end time/);
    assert.throws(() => h.am.silences.set({ ...base, id: 'nope' }), /not found/);
    h.am.silences.expire(id3);
    assert.throws(() => h.am.silences.expire(id3), /already expired/);
  } finally {
    await h.done();
  }
});

test('a receiver answering 5xx is retried with backoff and counted; one that times out does not hold back the others', async () => {
  const h = await harness();
  try {
    const failedBefore = (await selfRegistry.getSingleMetric('sextant_alertmanager_notifications_failed_total')!.get()).values.find((v) => v.labels.integration === 'webhook')?.value ?? 0;
    h.rx.failNext(2);
    h.rx.hang('/slack');
    await h.post({ alertname: 'R' });
    await at(h, 30_000);
    const hooks = bodiesAt(h, '/hook');
    assert.equal(hooks.length, 1, 'third attempt succeeded');
    const failedAfter = (await selfRegistry.getSingleMetric('sextant_alertmanager_notifications_failed_total')!.get()).values.find((v) => v.labels.integration === 'webhook')?.value ?? 0;
    assert.ok(failedAfter - failedBefore >= 2, `failures counted: ${failedAfter - failedBefore}`);
    const slackFailed = (await selfRegistry.getSingleMetric('sextant_alertmanager_notifications_failed_total')!.get()).values.find((v) => v.labels.integration === 'slack')?.value ?? 0;
    assert.ok(slackFailed >= 3, 'slack timed out three times');
  } finally {
    await h.done();
  }
});

test('mute_time_intervals on a route mute its notifications inside the interval', async () => {
  const h = await harness(`time_intervals:
  - name: mornings
    time_intervals:
      - times: [{start_time: '09:00', end_time: '12:00'}]
        weekdays: ['monday:friday']
`);
  try {
    const c = parseAlertmanagerConfig(cfg(h.rx.url, `time_intervals:
  - name: mornings
    time_intervals:
      - times: [{start_time: '09:00', end_time: '12:00'}]
        weekdays: ['monday:friday']
`).replace("      group_by: ['...']", "      group_by: ['...']\n      mute_time_intervals: [mornings]"));
    await h.am.applyConfig(c);
    await h.post({ alertname: 'M', team: 'db' });
    await at(h, 30_000); // Monday 10:00:30 UTC
    assert.equal(bodiesAt(h, '/db').length, 0);
    for (let t = 330_000; t <= 3 * 3600_000; t += 300_000) {
      await h.post({ alertname: 'M', team: 'db' });
      await at(h, t);
    }
    assert.equal(bodiesAt(h, '/db').length, 1, 'sent once the interval ended at 12:00');
  } finally {
    await h.done();
  }
});

test('notification log: after a restart, an unchanged group is not re-sent before repeat_interval', async () => {
  const h = await harness();
  try {
    await h.post({ alertname: 'N', instance: 'a' });
    await at(h, 30_000);
    assert.equal(bodiesAt(h, '/hook').length, 1);
    await h.restart();
    await h.post({ alertname: 'N', instance: 'a' }, { startsAt: T0 });
    for (let t = 60_000; t < 4 * 3600_000; t += 300_000) {
      await h.post({ alertname: 'N', instance: 'a' }, { startsAt: T0 });
      await at(h, t);
    }
    assert.equal(bodiesAt(h, '/hook').length, 1, 'no resend within repeat_interval across the restart');
    await h.post({ alertname: 'N', instance: 'a' }, { startsAt: T0 });
    await at(h, 4 * 3600_000 + 60_000);
    assert.equal(bodiesAt(h, '/hook').length, 2, 'resent once repeat_interval passed');
  } finally {
    await h.done();
  }
});

test('a batch with an invalid alert keeps the valid ones and reports the error', async () => {
  const h = await harness();
  try {
    await assert.rejects(h.am.receive([{ labels: { alertname: 'ok' }, annotations: {} }, { labels: { 'bad-name': 'x' }, annotations: {} }]), /invalid label set/);
    assert.equal(h.am.activeAlerts().length, 1);
    await assert.rejects(h.am.receive([{ labels: {}, annotations: {} }]), /at least one label pair/);
    await assert.rejects(h.am.receive([{ labels: { a: 'b' }, annotations: {}, startsAt: 'yesterday' }]), /startsAt: invalid time/);
    await assert.rejects(h.am.receive([{ labels: { a: 'b' }, annotations: {}, startsAt: '2026-01-05T10:00:00Z', endsAt: '2026-01-05T09:00:00Z' }]), /start time must be before end time/);
  } finally {
    await h.done();
  }
});

test('a damaged silences snapshot does not stop the Alertmanager', async () => {
  const dir = tempDir('am-corrupt');
  try {
    writeFileSync(join(dir, 'silences.json'), '{not json');
    const am = new Alertmanager({ dataDir: dir, logger: pino({ level: 'silent' }), externalUrl: '', autoTick: false });
    assert.equal(am.silences.list().length, 0);
    assert.match(String(am.silences.loadError), /unreadable/);
    await am.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('webhook http_config: basic auth header sent; 4xx is not retried', async () => {
  const rx = await startTestReceiver();
  const dir = tempDir('am-auth');
  let t = T0;
  const am = new Alertmanager({ dataDir: dir, logger: pino({ level: 'silent' }), now: () => t, externalUrl: '', autoTick: false, retry: { initialDelayMs: 1, maxAttempts: 3 } });
  try {
    await am.applyConfig(parseAlertmanagerConfig(`route: {receiver: a, group_wait: 0s}
receivers:
  - name: a
    webhook_configs:
      - url: ${rx.url}/auth
        http_config: {basic_auth: {username: am, password: s3cret}}
`));
    await am.receive([{ labels: { alertname: 'A' }, annotations: {} }]);
    t += 1;
    await am.tick();
    assert.equal(rx.bodies[0].auth, `Basic ${Buffer.from('am:s3cret').toString('base64')}`);
    assert.doesNotMatch(am.currentConfig().original, /s3cret/);
    // Two 400s ahead: with retries (3 attempts) the first flush would get through; without, one 400 per flush.
    rx.failNext(2, 400);
    await am.receive([{ labels: { alertname: 'A', x: 'new' }, annotations: {} }]);
    t += 400_000;
    await am.tick();
    assert.equal(rx.bodies.length, 1);
    t += 400_000;
    await am.tick();
    assert.equal(rx.bodies.length, 1);
    t += 400_000;
    await am.tick();
    assert.equal(rx.bodies.length, 2, 'delivered at the third flush: 4xx is not retried within a flush');
  } finally {
    await am.stop();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
