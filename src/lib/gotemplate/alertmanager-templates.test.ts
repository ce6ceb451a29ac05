/**
 * The engine parses and runs Alertmanager 0.25's own notification templates (Debian ships default.tmpl and
 * email.tmpl), with a minimal stand-in for Alertmanager's data model (KV with SortedPairs/Names/Values/Remove,
 * Alerts with Firing/Resolved) — the shape the built-in Alertmanager provides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Template, struct, variadic } from './index.js';

class KV {
  [k: string]: unknown;
  constructor(o: Record<string, string>) {
    Object.assign(this, o);
  }
  SortedPairs() {
    const ks = Object.keys(this).sort();
    return Object.assign(
      ks.map((k) => struct({ Name: k, Value: this[k] as string })),
      { Names: () => ks, Values: () => ks.map((k) => this[k] as string) },
    );
  }
  Names() {
    return Object.keys(this).sort();
  }
  Values() {
    return this.Names().map((k) => this[k] as string);
  }
  Remove(keys: string[]) {
    const o: Record<string, string> = {};
    for (const k of Object.keys(this)) if (!keys.includes(k)) o[k] = this[k] as string;
    return new KV(o);
  }
}

test("Alertmanager's default.tmpl and email.tmpl parse and render the usual subject", () => {
  const funcs = {
    toUpper: (s: string) => s.toUpperCase(),
    toLower: (s: string) => s.toLowerCase(),
    title: (s: string) => s,
    join: (sep: string, l: string[]) => l.join(sep),
    match: (p: string, s: string) => new RegExp(p).test(s),
    safeHtml: (s: string) => s,
    reReplaceAll: (p: string, r: string, t: string) => t.replace(new RegExp(p, 'g'), r),
    stringSlice: variadic((...s: string[]) => s),
  };
  const t = new Template('', funcs).option('missingkey=zero');
  for (const f of ['default.tmpl', 'email.tmpl']) t.parse(readFileSync(`/usr/share/prometheus/alertmanager/${f}`, 'utf8'));
  assert.ok(t.templateNames().length > 30);
  const alert = () =>
    struct({
      Status: 'firing',
      Labels: new KV({ alertname: 'InstanceDown', instance: 'h:9100', severity: 'page' }),
      Annotations: new KV({ summary: 'Instance h:9100 down' }),
      StartsAt: '2023-01-01T00:00:00Z',
      EndsAt: '0001-01-01T00:00:00Z',
      GeneratorURL: 'http://sextant/graph',
      Fingerprint: 'abc',
    });
  const alerts = Object.assign([alert(), alert()], { Firing: () => [alert(), alert()], Resolved: () => [] });
  const data = struct({
    Receiver: 'team',
    Status: 'firing',
    Alerts: alerts,
    GroupLabels: new KV({ alertname: 'InstanceDown' }),
    CommonLabels: new KV({ alertname: 'InstanceDown', instance: 'h:9100', severity: 'page' }),
    CommonAnnotations: new KV({ summary: 'Instance h:9100 down' }),
    ExternalURL: 'http://am:9093',
  });
  assert.equal(t.executeTemplate('__subject', data as never), '[FIRING:2] InstanceDown (h:9100 page)');
  assert.equal(t.executeTemplate('email.default.subject', data as never), '[FIRING:2] InstanceDown (h:9100 page)');
  const html = t.executeTemplate('email.default.html', data as never);
  assert.match(html, /2 alerts for\s+alertname=InstanceDown/);
  assert.match(html, /summary = Instance h:9100 down/);
});
