import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAlertmanagerConfig } from './config.js';
import { parseMatchers, matchesAll } from './matchers.js';
import { parseConfig } from '../../config/parse.js';

test('defaults and inheritance down the route tree', () => {
  const c = parseAlertmanagerConfig(`route:
  receiver: a
  group_by: [alertname]
  routes:
    - match: {team: db}
      match_re: {env: "prod|stage"}
      receiver: b
      group_wait: 10s
      routes:
        - matchers: ['severity!~"info|debug"', instance=~"db-.*"]
          continue: true
receivers: [{name: a}, {name: b}]
`);
  assert.equal(c.global.resolveTimeout, 300_000);
  assert.equal(c.route.groupWait, 30_000);
  assert.equal(c.route.groupInterval, 300_000);
  assert.equal(c.route.repeatInterval, 4 * 3600_000);
  const child = c.route.routes[0];
  assert.equal(child.groupWait, 10_000);
  assert.deepEqual(child.groupBy, ['alertname']);
  assert.equal(child.routes[0].receiver, 'b');
  assert.equal(child.routes[0].groupWait, 10_000);
  assert.equal(child.routes[0].continue, true);
  assert.ok(matchesAll(child.matchers, { team: 'db', env: 'prod' }));
  assert.ok(!matchesAll(child.matchers, { team: 'db', env: 'production' }), 'match_re is anchored');
  assert.ok(matchesAll(child.routes[0].matchers, { severity: 'page', instance: 'db-1' }));
  assert.ok(!matchesAll(child.routes[0].matchers, { severity: 'info', instance: 'db-1' }));
});

test('strict: unknown fields, undefined receivers, bad matchers are errors with file:line', () => {
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: a\n  group_byy: [x]\nreceivers: [{name: a}]\n', 'am.yml'), /am\.yml:3: field group_byy not found in type config\.Route/);
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: nope\nreceivers: [{name: a}]\n', 'am.yml'), /undefined receiver "nope" used in route/);
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: a\n  routes:\n    - matchers: ["foo=~(bar"]\nreceivers: [{name: a}]\n'), /:4: invalid regular expression/);
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: a\nreceivers:\n  - name: a\n    webhook_configs: [{url: "ftp://x"}]\n'), /unsupported scheme "ftp"/);
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: a\n  group_by: ["...", x]\nreceivers: [{name: a}]\n'), /wildcard group_by/);
  assert.throws(() => parseAlertmanagerConfig('receivers: [{name: a}]\n'), /no routes provided/);
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: a\n  mute_time_intervals: [x]\nreceivers: [{name: a}]\n'), /root route must not have any mute time intervals/);
  assert.throws(() => parseAlertmanagerConfig('route:\n  receiver: a\nreceivers:\n  - name: a\n    slack_configs: [{channel: x}]\n'), /no global Slack API URL/);
});

test('embedded in the Prometheus config: lines point into the Sextant config file', () => {
  const p = parseConfig('global:\n  scrape_interval: 15s\nalertmanager_config:\n  route:\n    receiver: a\n    bogus: 1\n  receivers: [{name: a}]\n', '/etc/sextant.yml');
  assert.ok(p.alertmanagerConfig);
  assert.throws(() => parseAlertmanagerConfig(p.alertmanagerConfig!.text, '/etc/sextant.yml', p.alertmanagerConfig!.line), /sextant\.yml:6: field bogus not found/);
});

test('secrets are redacted in the original; other integrations are accepted with a warning', () => {
  const c = parseAlertmanagerConfig(`global:
  smtp_auth_password: topsecret
route: {receiver: a}
receivers:
  - name: a
    webhook_configs: [{url: "http://hook.example/token123"}]
    pagerduty_configs: [{routing_key: abc}]
`);
  assert.doesNotMatch(c.original, /topsecret|token123|abc/);
  assert.match(c.original, /<secret>/);
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /pagerduty_configs/);
});

test('matcher string syntax', () => {
  const ms = parseMatchers('{alertname="Foo, bar", severity=~"crit.*", env!="dev", team!~"a|b"}');
  assert.deepEqual(ms.map((m) => [m.name, m.type, m.value]), [['alertname', '=', 'Foo, bar'], ['severity', '=~', 'crit.*'], ['env', '!=', 'dev'], ['team', '!~', 'a|b']]);
  assert.deepEqual(parseMatchers('instance=a:9100').map((m) => m.value), ['a:9100']);
  assert.throws(() => parseMatchers('{foo'), /bad matcher format/);
  assert.throws(() => parseMatchers('=x'), /bad matcher format/);
});

test('time intervals parse and validate', () => {
  const c = parseAlertmanagerConfig(`route: {receiver: a}
receivers: [{name: a}]
time_intervals:
  - name: offhours
    time_intervals:
      - times: [{start_time: '17:00', end_time: '24:00'}]
        weekdays: ['monday:friday']
        days_of_month: ['1:5', '-3:-1']
        months: ['january:march', '12']
        years: ['2025:2030']
        location: Europe/Berlin
`);
  const ti = c.timeIntervals.get('offhours')![0];
  assert.deepEqual(ti.times, [{ start: 1020, end: 1440 }]);
  assert.equal(ti.location, 'Europe/Berlin');
  assert.throws(() => parseAlertmanagerConfig(`route: {receiver: a}
receivers: [{name: a}]
time_intervals:
  - name: x
    time_intervals: [{weekdays: [funday]}]
`), /weekdays out of range/);
});
