/** E-mail delivered to a real SMTP server (smtp-server) that requires STARTTLS and AUTH. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { parseAlertmanagerConfig } from '../alertmanager/config.js';
import { EmailIntegration } from './email.js';
import { buildTemplates } from './template-data.js';
import { DEFAULT_RETRY, notifyWithRetry } from './integration.js';

interface Received {
  from: string;
  to: string[];
  user: string;
  secure: boolean;
  data: string;
}

async function smtp(): Promise<{ port: number; mails: Received[]; close: () => Promise<void> }> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    // Refuse AUTH before STARTTLS, as a real submission server does.
    allowInsecureAuth: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'am' && auth.password === 'hunter2') cb(null, { user: 'am' });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address),
          user: String(session.user), secure: session.secure, data: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise((r) => server.close(() => r())) };
}

function decodeQp(s: string): string {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

test('email: STARTTLS + AUTH to a real SMTP server, default subject and HTML body, custom headers', async () => {
  const srv = await smtp();
  try {
    const cfg = parseAlertmanagerConfig(`global:
  smtp_smarthost: 127.0.0.1:${srv.port}
  smtp_from: alertmanager@example.org
  smtp_auth_username: am
  smtp_auth_password: hunter2
route:
  receiver: mail
receivers:
  - name: mail
    email_configs:
      - to: ops@example.org
        headers:
          X-Team: '{{ .CommonLabels.team }}'
        tls_config:
          insecure_skip_verify: true
`);
    const email = new EmailIntegration(cfg.receivers[0].emailConfigs[0], 0);
    const data = {
      receiver: 'mail', status: 'firing' as const, groupKey: '{}:{alertname="InstanceDown"}', externalURL: 'http://am.example',
      groupLabels: { alertname: 'InstanceDown' }, commonLabels: { alertname: 'InstanceDown', team: 'infra' }, commonAnnotations: {},
      alerts: [{ status: 'firing' as const, labels: { alertname: 'InstanceDown', team: 'infra', instance: 'a:9100' }, annotations: { summary: 'Instance a:9100 down' }, startsAt: Date.now(), endsAt: 0, generatorURL: 'http://x/graph', fingerprint: '0123456789abcdef' }],
    };
    await notifyWithRetry(email, data, buildTemplates([]), { ...DEFAULT_RETRY, maxAttempts: 1 }, () => undefined);
    assert.equal(srv.mails.length, 1);
    const m = srv.mails[0];
    assert.equal(m.secure, true, 'upgraded with STARTTLS');
    assert.equal(m.user, 'am');
    assert.equal(m.from, 'alertmanager@example.org');
    assert.deepEqual(m.to, ['ops@example.org']);
    assert.match(m.data, /^Subject: \[FIRING:1\] InstanceDown \(infra\)/m);
    assert.match(m.data, /^X-Team: infra/m);
    assert.match(m.data, /^To: ops@example.org/m);
    const body = decodeQp(m.data);
    assert.match(body, /Instance a:9100 down/);
    assert.match(body, /View in Alertmanager/);

    // Wrong password: a 535 is permanent, so no retries; the error says why.
    const bad = parseAlertmanagerConfig(`route: {receiver: m}
receivers:
  - name: m
    email_configs:
      - {to: a@b.c, from: x@y.z, smarthost: '127.0.0.1:${srv.port}', auth_username: am, auth_password: nope, tls_config: {insecure_skip_verify: true}}
`);
    let attempts = 0;
    await assert.rejects(
      notifyWithRetry(new EmailIntegration(bad.receivers[0].emailConfigs[0], 0), data, buildTemplates([]), { ...DEFAULT_RETRY, initialDelayMs: 1, maxAttempts: 3 }, () => attempts++),
      /email: .*(Invalid username or password|535)/,
    );
    assert.equal(attempts, 0, 'not retried');
  } finally {
    await srv.close();
  }
});
