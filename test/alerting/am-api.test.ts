/**
 * The Alertmanager API v2 of a real Sextant, driven by the real amtool (Debian prometheus-alertmanager
 * 0.25): alert query, silence add / query / expire; JSON shapes; 400s for malformed input; secrets
 * redacted in /status. Plus the same alerts through Sextant and a real Alertmanager 0.25 with webhook
 * receivers, comparing what each sends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestSextant } from '../support/sextant.js';
import { startAlertmanager } from '../peers/alertmanager.js';
import { tempDir } from '../peers/process.js';
import { startTestReceiver } from '../../src/alerting/alertmanager/test-receiver.js';

const run = promisify(execFile);

async function amtool(base: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('/usr/bin/amtool', [`--alertmanager.url=${base}`, ...args], { timeout: 20_000 });
  return stdout;
}

function sextantConfig(receiverUrl: string): string {
  return `global:
  scrape_interval: 1h
alertmanager_config:
  global:
    slack_api_url: https://hooks.slack.example/services/T000/B000/SECRETTOKEN
  route:
    receiver: hook
    group_by: [alertname]
    group_wait: 1s
    group_interval: 1s
  receivers:
    - name: hook
      webhook_configs:
        - url: ${receiverUrl}/sextant
    - name: chat
      slack_configs:
        - channel: '#ops'
      email_configs:
        - to: ops@example.org
          from: am@example.org
          smarthost: mail.example.org:587
          auth_username: am
          auth_password: hunter2
`;
}

test('amtool against Sextant: alert query, silence add/query/expire; API v2 shapes and errors', async (t) => {
  const rx = await startTestReceiver();
  t.after(() => rx.close());
  const dir = tempDir('am-api');
  const configFile = join(dir, 'sextant.yml');
  writeFileSync(configFile, sextantConfig(rx.url));
  const s = await startTestSextant({ configFile });
  t.after(() => s.stop());
  const base = `${s.url}/alertmanager`;
  const v2 = `${base}/api/v2`;

  assert.equal((await fetch(`${base}/-/ready`)).status, 200);
  assert.equal((await fetch(`${base}/-/healthy`)).status, 200);

  const post = await fetch(`${v2}/alerts`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      { labels: { alertname: 'InstanceDown', instance: 'a:9100', severity: 'page' }, annotations: { summary: 'a down' }, generatorURL: 'http://x/graph' },
      { labels: { alertname: 'InstanceDown', instance: 'b:9100', severity: 'page' }, annotations: { summary: 'b down' } },
    ]),
  });
  assert.equal(post.status, 200);

  const q = await amtool(base, 'alert', 'query', '-o', 'json');
  const alerts = JSON.parse(q) as Record<string, unknown>[];
  assert.equal(alerts.length, 2);
  const a0 = alerts[0];
  assert.deepEqual(Object.keys(a0).sort(), ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'receivers', 'startsAt', 'status', 'updatedAt']);
  assert.deepEqual(a0.receivers, [{ name: 'hook' }]);
  assert.deepEqual(a0.status, { inhibitedBy: [], silencedBy: [], state: 'active' });
  const simple = await amtool(base, 'alert', 'query', 'instance=a:9100');
  assert.match(simple, /InstanceDown/);
  assert.doesNotMatch(simple, /b:9100/);

  const id = (await amtool(base, 'silence', 'add', 'instance=a:9100', '--comment=maintenance', '--author=ops', '--duration=2h')).trim();
  assert.match(id, /^[0-9a-f-]{36}$/);
  const silences = JSON.parse(await amtool(base, 'silence', 'query', '-o', 'json')) as Record<string, unknown>[];
  assert.equal(silences.length, 1);
  assert.equal(silences[0].id, id);
  assert.equal(silences[0].createdBy, 'ops');
  assert.deepEqual(silences[0].status, { state: 'active' });
  assert.deepEqual(silences[0].matchers, [{ isEqual: true, isRegex: false, name: 'instance', value: 'a:9100' }]);
  const afterSilence = (await (await fetch(`${v2}/alerts?silenced=false`)).json()) as Record<string, Record<string, string>>[];
  assert.deepEqual(afterSilence.map((a) => a.labels.instance), ['b:9100']);
  const one = (await (await fetch(`${v2}/silence/${id}`)).json()) as Record<string, unknown>;
  assert.equal(one.comment, 'maintenance');

  const groups = (await (await fetch(`${v2}/alerts/groups`)).json()) as Record<string, unknown>[];
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0].labels, { alertname: 'InstanceDown' });
  assert.deepEqual(groups[0].receiver, { name: 'hook' });

  await amtool(base, 'silence', 'expire', id);
  const expired = (await (await fetch(`${v2}/silence/${id}`)).json()) as Record<string, Record<string, string>>;
  assert.equal(expired.status.state, 'expired');
  assert.equal((await fetch(`${v2}/silence/${id}`, { method: 'DELETE' })).status, 500, 'already expired');
  assert.equal((await fetch(`${v2}/silence/00000000-0000-0000-0000-000000000000`)).status, 404);

  // Malformed input: 400 with a message.
  const badAlert = await fetch(`${v2}/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ labels: { 'bad-name': 'x' } }]) });
  assert.equal(badAlert.status, 400);
  assert.match(await badAlert.text(), /invalid label set/);
  const noLabels = await fetch(`${v2}/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ annotations: {} }]) });
  assert.equal(noLabels.status, 400);
  const badSilence = await fetch(`${v2}/silences`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ matchers: [{ name: 'a', value: '.*', isRegex: true }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 60_000).toISOString(), createdBy: 'x', comment: 'y' }),
  });
  assert.equal(badSilence.status, 400);
  assert.match(await badSilence.text(), /must not match the empty string/);
  const missing = await fetch(`${v2}/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ matchers: [] }) });
  assert.equal(missing.status, 400);
  const badFilter = await fetch(`${v2}/alerts?filter=${encodeURIComponent('{foo')}`);
  assert.equal(badFilter.status, 400);

  // Status: config.original with every secret replaced.
  const status = (await (await fetch(`${v2}/status`)).json()) as { config: { original: string }; cluster: { status: string }; versionInfo: Record<string, string> };
  assert.equal(status.cluster.status, 'disabled');
  assert.ok(status.versionInfo.version);
  assert.match(status.config.original, /slack_api_url: <secret>/);
  assert.match(status.config.original, /auth_password: <secret>/);
  assert.doesNotMatch(status.config.original, /SECRETTOKEN|hunter2|sextant"?$/m);
  assert.doesNotMatch(status.config.original, new RegExp(rx.url.replace(/\./g, '\\.')));
  const statusText = await amtool(base, 'config', 'show');
  assert.doesNotMatch(statusText, /hunter2|SECRETTOKEN/);
  const receivers = (await (await fetch(`${v2}/receivers`)).json()) as { name: string }[];
  assert.deepEqual(receivers, [{ name: 'hook' }, { name: 'chat' }]);

  // The webhook got the group (group_wait 1s on real time).
  await rx.waitFor((b) => b.some((x) => x.path === '/sextant'));
});

test('same alerts through Sextant and a real Alertmanager 0.25: the same groups, alerts and status', async (t) => {
  const rx = await startTestReceiver();
  t.after(() => rx.close());
  // group_wait leaves the real Alertmanager's inhibitor (which learns of alerts asynchronously) time to see
  // the critical alert before the first flush; with 1s it sometimes notified the warning under load.
  const amYaml = (path: string) => `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 3s
  group_interval: 1s
  routes:
    - matchers: [team=~"db|storage"]
      receiver: hook
      group_by: [alertname, team]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
receivers:
  - name: hook
    webhook_configs:
      - url: ${rx.url}/${path}
`;
  const real = await startAlertmanager(amYaml('real'));
  t.after(() => real.stop());
  const dir = tempDir('am-cmp');
  const configFile = join(dir, 'sextant.yml');
  const amFile = join(dir, 'am.yml');
  writeFileSync(amFile, amYaml('sextant'));
  writeFileSync(configFile, `global:\n  scrape_interval: 1h\nalertmanager_config_file: am.yml\n`);
  const s = await startTestSextant({ configFile });
  t.after(() => s.stop());

  const alerts = [
    { labels: { alertname: 'Disk', severity: 'critical', instance: 'a' }, annotations: { summary: 'disk full' } },
    { labels: { alertname: 'Disk', severity: 'warning', instance: 'b' }, annotations: { summary: 'disk filling' } },
    { labels: { alertname: 'Db', team: 'db', instance: 'c' }, annotations: {} },
    { labels: { alertname: 'Db', team: 'storage', instance: 'd' }, annotations: {} },
    { labels: { alertname: 'Db', team: 'db', instance: 'e' }, annotations: {} },
  ];
  const startsAt = new Date(Date.now() - 1000).toISOString();
  const body = JSON.stringify(alerts.map((a) => ({ ...a, startsAt })));
  for (const url of [`${real.url}/api/v2/alerts`, `${s.url}/alertmanager/api/v2/alerts`]) {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 200, await r.text());
  }
  const norm = (path: string) =>
    rx.bodies
      .filter((b) => b.path === `/${path}`)
      .map((b): Record<string, unknown> => ({
        ...b.body,
        externalURL: undefined,
        alerts: (b.body.alerts as Record<string, unknown>[]).map((a): Record<string, unknown> => ({ ...a, startsAt: undefined })).sort((x, y) => String(x.fingerprint).localeCompare(String(y.fingerprint))),
      }))
      .sort((x, y) => String(x.groupKey).localeCompare(String(y.groupKey)));
  await rx.waitFor((b) => b.filter((x) => x.path === '/real').length >= 3 && b.filter((x) => x.path === '/sextant').length >= 3, 20_000);
  assert.deepEqual(norm('sextant'), norm('real'));
  // And the API agrees on states (the warning is inhibited in both).
  const states = async (url: string) =>
    ((await (await fetch(url)).json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] }; fingerprint: string }[])
      .map((a) => ({ fp: a.fingerprint, state: a.status.state, inhibitedBy: a.status.inhibitedBy }))
      .sort((x, y) => x.fp.localeCompare(y.fp));
  assert.deepEqual(await states(`${s.url}/alertmanager/api/v2/alerts`), await states(`${real.url}/api/v2/alerts`));
  const groups = async (url: string) =>
    ((await (await fetch(url)).json()) as { labels: Record<string, string>; receiver: { name: string }; alerts: unknown[] }[])
      .map((g) => ({ labels: g.labels, receiver: g.receiver, n: g.alerts.length }))
      .sort((x, y) => JSON.stringify(x.labels).localeCompare(JSON.stringify(y.labels)));
  assert.deepEqual(await groups(`${s.url}/alertmanager/api/v2/alerts/groups`), await groups(`${real.url}/api/v2/alerts/groups`));
});
