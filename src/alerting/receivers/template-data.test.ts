import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTemplates, renderText, templateData, type NotifyData } from './template-data.js';
import { webhookMessage } from './webhook.js';

const data: NotifyData = {
  receiver: 'team-x', status: 'firing', groupKey: '{}:{alertname="PodsNearLimit"}', externalURL: 'http://am.example',
  groupLabels: { alertname: 'PodsNearLimit' }, commonLabels: { alertname: 'PodsNearLimit', severity: 'warning' }, commonAnnotations: { runbook: 'http://rb' },
  alerts: [
    { status: 'firing', labels: { alertname: 'PodsNearLimit', severity: 'warning', node: 'n1' }, annotations: { summary: 'node n1 runs 104 pods' }, startsAt: Date.parse('2026-01-01T00:00:00Z'), endsAt: 0, generatorURL: 'http://g/1', fingerprint: 'a' },
    { status: 'resolved', labels: { alertname: 'PodsNearLimit', severity: 'warning', node: 'n2' }, annotations: { summary: 'node n2 runs 99 pods' }, startsAt: Date.parse('2026-01-01T00:00:00Z'), endsAt: Date.parse('2026-01-01T01:00:00Z'), generatorURL: 'http://g/2', fingerprint: 'b' },
  ],
};

test('template data and Alertmanager functions, with a template file from the config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-tmpl-'));
  const f = join(dir, 'custom.tmpl');
  writeFileSync(f, '{{ define "custom.title" }}{{ .Status | toUpper }} {{ .CommonLabels.alertname }} on {{ range .Alerts.Firing }}{{ .Labels.node }}{{ end }}{{ end }}');
  const t = buildTemplates([f]);
  const d = templateData(data);
  assert.equal(renderText(t, '{{ template "custom.title" . }}', d), 'FIRING PodsNearLimit on n1');
  assert.equal(renderText(t, '{{ template "slack.default.title" . }}', d), '[FIRING:1] PodsNearLimit (warning)');
  assert.equal(renderText(t, '{{ .GroupLabels.SortedPairs.Values | join "," }}|{{ .CommonLabels.Names | join "," }}', d), 'PodsNearLimit|alertname,severity');
  assert.equal(renderText(t, '{{ len .Alerts.Resolved }} {{ (index .Alerts 0).Labels.node | title }} {{ reReplaceAll "n(\\\\d)" "node-$1" "n7" }} {{ "X" | toLower }}', d), '1 N1 node-7 x');
  assert.equal(renderText(t, '{{ range .CommonAnnotations.SortedPairs }}{{ .Name }}={{ .Value }}{{ end }}', d), 'runbook=http://rb');
  assert.equal(renderText(t, '{{ with .CommonLabels.Remove (stringSlice "severity") }}{{ .Values | join " " }}{{ end }}', d), 'PodsNearLimit');
  assert.equal(renderText(t, '{{ if match "^n[0-9]$" "n1" }}yes{{ end }}', d), 'yes');
  const text = t.executeTemplate('email.default.text', d);
  assert.match(text, /Firing alerts:\nLabels:\n - alertname = PodsNearLimit\n - node = n1/);
  assert.match(text, /Resolved alerts:/);
});

test('webhook message truncation with max_alerts', () => {
  const m = webhookMessage(data, 1);
  assert.equal((m.alerts as unknown[]).length, 1);
  assert.equal(m.truncatedAlerts, 1);
  assert.equal((m.alerts as { endsAt: string }[])[0].endsAt, '0001-01-01T00:00:00Z');
  assert.equal((webhookMessage(data, 0).alerts as { endsAt: string }[])[1].endsAt, '2026-01-01T01:00:00Z');
});
