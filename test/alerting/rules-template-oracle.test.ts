/**
 * Alert templates rendered by Sextant and by the real Prometheus 2.42 (`promtool test rules` prints the
 * expanded annotations of the alerts it got), compared text for text over a batch of templates and values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { expandAlertTemplate } from '../../src/alerting/rules/template.js';
import { unquoteGo } from '../../src/lib/gotemplate/parse.js';
import { tempDir } from '../peers/process.js';

const TEMPLATES: string[] = [
  '{{ $value }}',
  '{{ $value | humanize }}',
  '{{ humanize1024 $value }}',
  '{{ humanizeDuration $value }}',
  '{{ humanizePercentage $value }}',
  '{{ humanizeTimestamp $value }}',
  '{{ printf "%.2f" $value }}',
  '{{ printf "%.0f" $value }}',
  '{{ printf "%v|%g|%e|%E|%G" $value $value $value $value $value }}',
  '{{ printf "%8.3f|%-8.1f|%+.1e|%08.2f" $value $value $value $value }}',
  '{{ printf "%d %s %q %x %t %5d|%-5d|%05d" 42 "str" "q\\"t" 255 true 7 7 7 }}',
  '{{ printf "%s" $value }} {{ printf "%d" $value }} {{ printf "%d" }}',
  '{{ $labels.instance }} {{ $labels.job }} {{ $labels.missing }}|',
  '{{ .Labels.instance }} {{ .Value }}',
  '{{ $labels }}',
  '{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}',
  '{{ if gt $value 100.0 }}big{{ else if gt $value 0.0 }}small{{ else }}neg{{ end }}',
  '{{ $labels.instance | stripPort }} {{ stripPort "[::1]:80" }} {{ stripDomain "foo.example.com:9100" }}',
  '{{ reReplaceAll "(\\\\w+):(\\\\d+)" "$2/$1" $labels.instance }} {{ reReplaceAll "o" "0" "foo boo" }}',
  '{{ title "hello wORLD foo-bar" }} {{ toUpper "abc" }} {{ toLower "ABC" }}',
  '{{ match "^h" $labels.instance }} {{ match "x$" "abc" }}',
  '{{ graphLink "up{job=\\"a b\\"}" }} {{ tableLink "rate(x[5m])" }}',
  '{{ $externalURL }}|',
  '{{ $externalLabels.cluster }}',
  '{{ len $labels }} {{ index $labels "job" }} {{ len "héllo" }}',
  '{{ with $labels.job }}job={{ . }}{{ end }}{{ with $labels.nope }}x{{ else }}none{{ end }}',
  '{{- /* a comment */ -}} trimmed {{- " x " -}} !',
  '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }} {{ 1.5 }} {{ 1e6 }} {{ 0x1F }} {{ 100000000.0 }}',
  '{{ print 1 2 "a" 3 }}{{ println "x" 1 }}',
  '{{ and 1 0 2 }} {{ or 0 "" "z" }} {{ not 0 }} {{ eq 1 1 2 }} {{ ne "a" "b" }} {{ lt 1.5 2.0 }} {{ le 2 2 }} {{ ge "b" "a" }}',
  '{{ html "<a href=\'x\'>&</a>" }} {{ js "it\'s <b>" }} {{ urlquery "a b&c=d/é" }}',
  '{{ define "sub" }}[{{ . }}]{{ end }}{{ template "sub" $labels.job }}',
  '{{ range $i, $e := args "a" 2 3.5 }}{{ $i }}:{{ $e }} {{ end }}',
  '{{ parseDuration "1h30m" }} {{ parseDuration "90s" }}',
  '{{ range query "sum by (job) (v1)" }}{{ .Labels.job }}={{ .Value }}{{ end }}',
  '{{ with query "v1" }}{{ . | first | label "instance" }} {{ . | first | value | humanize }}{{ end }}',
  '{{ range sortByLabel "instance" (query "v1 or v2 or v3 or v4") }}{{ .Labels.instance }},{{ end }}',
  '{{ humanize "1234.5" }} {{ humanize 0 }} {{ humanize -0.000001 }} {{ humanizeDuration 0.0005 }} {{ humanizeDuration 3661 }} {{ humanizeDuration 90061.5 }}',
  '{{ humanize1024 1048576 }} {{ humanize1024 0.5 }} {{ humanizePercentage 0.123456 }} {{ humanizeTimestamp 1600000000.123 }}',
  '{{ printf "%.3g|%.10g|%g|%g|%g" 1234.5678 1.0 0.00001 123456789.0 1e21 }}',
  '{{ printf "%.1f %.1f %.0f %.0f %.2f" 0.25 0.35 2.5 3.5 1.005 }}',
  '{{ printf "%6.2f%%" 99.5 }} {{ printf "%[2]s %[1]s" "a" "b" }} {{ printf "%*d" 5 3 }}',
  '{{ printf "%v %v %v" true nil "s" }} {{ printf "%T %T %T" 1 1.5 "x" }}',
  '{{ humanize "abc" }}',
  '{{ first (query "absent_metric") }}',
  '{{ index $labels }}{{ .Missing.Field }}',
];

const SERIES: [string, number][] = [
  ['v1{job="node",instance="host-a.example.com:9100"}', 1234567],
  ['v2{job="api",instance="host-b:8080"}', 0.0001234],
  ['v3{job="db",instance="host-c:5432"}', -42.5],
  ['v4{job="web",instance="host-d:443"}', 86399.9],
];

// promtool 2.42's unit tests have no external labels and an empty external URL.
const EXTERNAL_URL = '';

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out[m[1]] = unquoteGo(m[2]) ?? `<bad quote ${m[2]}>`;
  return out;
}

test('alert templates render exactly as Prometheus 2.42 renders them', async () => {
  const dir = tempDir('tmpl-oracle');
  const annotations: Record<string, string> = {};
  TEMPLATES.forEach((t, i) => (annotations[`t${String(i).padStart(2, '0')}`] = t));
  const rules = { groups: [{ name: 'g', rules: SERIES.map((_, i) => ({ alert: `A${i + 1}`, expr: `v${i + 1}`, annotations })) }] };
  writeFileSync(join(dir, 'rules.yml'), stringify(rules));
  const testFile = {
    rule_files: ['rules.yml'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: SERIES.map(([series, v]) => ({ series, values: String(v) })),
        alert_rule_test: SERIES.map((_, i) => ({ eval_time: '0m', alertname: `A${i + 1}`, exp_alerts: [] })),
      },
    ],
  };
  writeFileSync(join(dir, 'test.yml'), stringify(testFile));
  const r = spawnSync('/usr/bin/promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  // Each alert prints "Labels:{...}" then "Annotations:{...}".
  const got = [...out.matchAll(/Labels:(\{.*\})\n\s*Annotations:(\{.*\})/g)].map((m) => ({ labels: parseLabels(m[1]), annotations: parseLabels(m[2]) }));
  assert.equal(got.length, SERIES.length, out);

  const samples = SERIES.map(([series, v]) => {
    const name = series.slice(0, series.indexOf('{'));
    return { Labels: { __name__: name, ...parseLabels(series) }, Value: v };
  });
  const query = async (q: string) => {
    if (q === 'sum by (job) (v1)') return [{ Labels: { job: 'node' }, Value: 1234567 }];
    if (q === 'v1') return [samples[0]];
    if (q === 'v1 or v2 or v3 or v4') return samples;
    if (q === 'absent_metric') return [];
    throw new Error(`unexpected query ${q}`);
  };
  let mismatches = 0;
  for (const alert of got) {
    const i = Number(alert.labels.alertname.slice(1)) - 1;
    const [series, value] = SERIES[i];
    const labels = { __name__: `v${i + 1}`, ...parseLabels(series) };
    for (const [key, tmpl] of Object.entries(annotations)) {
      let mine: string;
      try {
        mine = await expandAlertTemplate(`__alert_A${i + 1}`, tmpl, { labels, externalLabels: {}, externalUrl: EXTERNAL_URL, value }, { externalUrl: EXTERNAL_URL, query });
      } catch (e) {
        mine = `<error expanding template: ${(e as Error).message}>`;
      }
      const want = alert.annotations[key];
      if (mine !== want) {
        mismatches++;
        console.log(`A${i + 1} ${key} ${tmpl}\n   want: ${JSON.stringify(want)}\n   got:  ${JSON.stringify(mine)}`);
      }
    }
  }
  assert.equal(mismatches, 0);
});
