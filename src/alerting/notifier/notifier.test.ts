/**
 * Notifier: external labels, alert_relabel_configs, batches of 64, the v2 payload, auth, path_prefix,
 * local sinks, file_sd-discovered Alertmanagers and error accounting, against a loopback HTTP receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Notifier, type PostableAlert } from './notifier.js';
import type { AlertmanagerConfig, PrometheusConfig } from '../../config/types.js';
import { labelsFromRecord } from '../../model/labels.js';
import { selfRegistry } from '../../metrics/collectors/self.js';
import { tempDir } from '../../../test/peers/process.js';

const logger = pino({ level: 'silent' });

async function receiver(status = 200) {
  const posts: { url: string; auth: string | undefined; body: PostableAlert[] }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      posts.push({ url: req.url ?? '', auth: req.headers.authorization, body: JSON.parse(body) as PostableAlert[] });
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { posts, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function am(partial: Partial<AlertmanagerConfig>): AlertmanagerConfig {
  return { scheme: 'http', pathPrefix: '/', timeout: 5000, apiVersion: 'v2', staticConfigs: [], fileSdConfigs: [], relabelConfigs: [], ...partial };
}

function config(ams: AlertmanagerConfig[], extra: Partial<PrometheusConfig['alerting']> = {}): PrometheusConfig {
  return {
    global: { scrapeInterval: 60000, scrapeTimeout: 10000, evaluationInterval: 60000, externalLabels: { cluster: 'eu1', severity: 'default' } },
    scrapeConfigs: [],
    ruleFiles: [],
    alerting: { alertRelabelConfigs: [], alertmanagers: ams, ...extra },
    remoteWrite: [],
    original: '',
  };
}

const alert = (i: number, extra: Record<string, string> = {}) => ({
  labels: labelsFromRecord({ alertname: 'A', i: String(i), severity: 'page', ...extra }),
  annotations: labelsFromRecord({ summary: `alert ${i}` }),
  startsAt: 1_700_000_000_000,
  endsAt: 1_700_000_240_000,
  generatorURL: 'http://x/graph?g0.expr=up&g0.tab=1',
});

test('posts v2 alerts in batches of 64 with external labels, relabeling, auth and path prefix; local sinks get them too', async (t) => {
  const r = await receiver();
  t.after(r.close);
  const n = new Notifier({ logger });
  t.after(() => n.stop());
  const sunk: PostableAlert[] = [];
  n.addLocalSink(async (a) => void sunk.push(...a));
  n.applyConfig(
    config([am({ staticConfigs: [{ targets: [r.address], labels: {} }], pathPrefix: '/am', basicAuth: { username: 'u', password: 'p' } })], {
      alertRelabelConfigs: [{ sourceLabels: ['i'], separator: ';', regex: '13', modulus: 0, targetLabel: '', replacement: '$1', action: 'drop' }],
    }),
  );
  assert.deepEqual(n.alertmanagers(), [`http://${r.address}/am/api/v2/alerts`]);
  n.send(Array.from({ length: 100 }, (_, i) => alert(i)));
  await n.flush();
  assert.deepEqual(r.posts.map((p) => p.body.length), [64, 35]);
  assert.ok(r.posts.every((p) => p.url === '/am/api/v2/alerts' && p.auth === `Basic ${Buffer.from('u:p').toString('base64')}`));
  const first = r.posts[0].body[0];
  assert.deepEqual(first, {
    labels: { alertname: 'A', cluster: 'eu1', i: '0', severity: 'page' },
    annotations: { summary: 'alert 0' },
    startsAt: '2023-11-14T22:13:20.000Z',
    endsAt: '2023-11-14T22:17:20.000Z',
    generatorURL: 'http://x/graph?g0.expr=up&g0.tab=1',
  });
  assert.ok(!r.posts.flatMap((p) => p.body).some((a) => a.labels.i === '13'), 'dropped by alert_relabel_configs');
  assert.equal(sunk.length, 99);
});

test('file_sd Alertmanagers; a failing Alertmanager counts errors per URL', async (t) => {
  const bad = await receiver(500);
  t.after(bad.close);
  const dir = tempDir('notifier-sd');
  writeFileSync(join(dir, 'am.json'), JSON.stringify([{ targets: [bad.address] }]));
  const n = new Notifier({ logger });
  t.after(() => n.stop());
  const cfg = config([am({ fileSdConfigs: [{ files: [join(dir, '*.json')], refreshInterval: 60_000 }] })]);
  n.applyConfig(cfg);
  for (let i = 0; i < 50 && n.alertmanagers().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  const url = `http://${bad.address}/api/v2/alerts`;
  assert.deepEqual(n.alertmanagers(), [url]);
  n.send([alert(1), alert(2)]);
  await n.flush();
  assert.equal(bad.posts.length, 1);
  const errors = (await selfRegistry.getSingleMetric('sextant_notifications_errors_total')!.get()).values.find((v) => v.labels.alertmanager === url);
  assert.equal(errors?.value, 2);
});
