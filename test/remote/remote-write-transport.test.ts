/**
 * remote_write transport settings against local servers: tls_config (private CA, client certificate,
 * server_name, insecure_skip_verify) with certificates made by openssl at test time, proxy_url (plain
 * forwarding and CONNECT, with proxy credentials), and OAuth 2.0 client credentials (token caching,
 * a new token after a 401).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../src/config/parse.js';
import { RemoteWriteManager } from '../../src/metrics/remote/write-manager.js';
import { decodeWriteRequest, snappyUncompress } from '../../src/metrics/remote/codec.js';
import type { CommittedSample } from '../../src/metrics/storage/fanout.js';
import { labelsFromRecord } from '../../src/model/labels.js';
import { tempDir } from '../peers/process.js';

const logger = pino({ level: process.env.SEXTANT_TEST_LOG ?? 'silent' });

let pki: string;
before(() => {
  pki = tempDir('rw-pki');
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=sextant-test-ca');
  writeFileSync(join(pki, 'server.ext'), 'subjectAltName=DNS:receiver.sextant.test\n');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=receiver.sextant.test');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=sextant-client');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '1');
});
after(() => rmSync(pki, { recursive: true, force: true }));

interface Captured {
  samples: number;
  names: string[];
  authorization: string[];
  clientCNs: string[];
}

/** A remote-write receiver on plain HTTP or HTTPS (client certificate optional) that records what arrives. */
async function startReceiver(opts: { tls?: boolean; status?: (auth: string) => number } = {}) {
  const got: Captured = { samples: 0, names: [], authorization: [], clientCNs: [] };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const auth = req.headers.authorization ?? '';
      got.authorization.push(auth);
      const sock = req.socket as TLSSocket;
      if (opts.tls) got.clientCNs.push(String(sock.getPeerCertificate?.()?.subject?.CN ?? ''));
      const status = opts.status?.(auth) ?? 204;
      if (status === 204) {
        const wr = decodeWriteRequest(snappyUncompress(Buffer.concat(chunks)));
        for (const s of wr.series) {
          got.samples += s.samples.length;
          got.names.push(s.labels.find((l) => l.name === '__name__')?.value ?? '');
        }
      }
      res.writeHead(status).end();
    });
  };
  const server = opts.tls
    ? https.createServer(
        { key: readFileSync(join(pki, 'server.key')), cert: readFileSync(join(pki, 'server.crt')), ca: readFileSync(join(pki, 'ca.crt')), requestCert: true, rejectUnauthorized: false },
        handler,
      )
    : http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    got,
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}/api/v1/write`,
    port,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** An HTTP proxy: absolute-URI forwarding and CONNECT tunnels, requiring user:pass, recording what it proxied. */
async function startProxy() {
  const seen: string[] = [];
  const expected = 'Basic ' + Buffer.from('pu:p@ss').toString('base64');
  const server = http.createServer((req, res) => {
    if (req.headers['proxy-authorization'] !== expected) return void res.writeHead(407).end();
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const up = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    req.pipe(up);
  });
  // Tunnelled sockets leave the server's HTTP bookkeeping, so closeAllConnections() does not reach them.
  const tunnels = new Set<net.Socket>();
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    if (req.headers['proxy-authorization'] !== expected) return void socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host === 'receiver.sextant.test' ? '127.0.0.1' : host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    seen,
    url: `http://pu:p%40ss@127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const t of tunnels) t.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function cfg(url: string, extra: string) {
  return parseConfig(`remote_write:
  - url: ${url}
    name: t
    queue_config: {batch_send_deadline: 10ms, min_backoff: 10ms, max_backoff: 50ms}
${extra}`);
}

function batch(name: string, n = 3): CommittedSample[] {
  const labels = labelsFromRecord({ __name__: name, job: 'x' });
  return Array.from({ length: n }, (_, i) => ({ labels, t: 1_700_000_000_000 + i * 1000, v: i }));
}

async function waitFor(cond: () => boolean, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function withManager(config: ReturnType<typeof parseConfig>, fn: (m: RemoteWriteManager) => Promise<void>): Promise<void> {
  const dir = tempDir('rw-transport');
  const m = new RemoteWriteManager({ dataDir: dir, logger });
  try {
    await m.applyConfig(config);
    await fn(m);
  } finally {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tls_config: private CA, client certificate and server_name; no CA means no delivery; insecure_skip_verify', async () => {
  const rx = await startReceiver({ tls: true });
  try {
    const tlsBlock = `    tls_config:
      ca_file: ${join(pki, 'ca.crt')}
      cert_file: ${join(pki, 'client.crt')}
      key_file: ${join(pki, 'client.key')}
      server_name: receiver.sextant.test\n`;
    await withManager(cfg(rx.url, tlsBlock), async (m) => {
      await m.onCommit(batch('tls_ok'));
      await waitFor(() => rx.got.samples === 3, 'samples over verified TLS');
      assert.deepEqual(rx.got.clientCNs, ['sextant-client'], 'client certificate presented');
    });

    // The CA is right but the name is not: the certificate is for receiver.sextant.test, not 127.0.0.1.
    await withManager(cfg(rx.url, `    tls_config:\n      ca_file: ${join(pki, 'ca.crt')}\n`), async (m) => {
      await m.onCommit(batch('wrong_name'));
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(m.queue('t')?.pendingSamples(), 3, 'held back and retried, not sent and not dropped');
    });
    // No CA: the server is not trusted.
    await withManager(cfg(rx.url, ''), async (m) => {
      await m.onCommit(batch('untrusted'));
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(m.queue('t')?.pendingSamples(), 3);
    });
    assert.deepEqual(rx.got.names, ['tls_ok']);

    await withManager(cfg(rx.url, `    tls_config:\n      insecure_skip_verify: true\n`), async (m) => {
      await m.onCommit(batch('insecure'));
      await waitFor(() => rx.got.names.includes('insecure'), 'samples with insecure_skip_verify');
    });
  } finally {
    await rx.close();
  }
});

test('tls_config with a missing CA file: the queue starts, logs and retries instead of crashing', async () => {
  const rx = await startReceiver({ tls: true });
  try {
    await withManager(cfg(rx.url, `    tls_config:\n      ca_file: /nonexistent/ca.crt\n`), async (m) => {
      await m.onCommit(batch('no_ca_file'));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(m.queue('t')?.pendingSamples(), 3);
    });
  } finally {
    await rx.close();
  }
});

test('proxy_url: http destinations forwarded, https destinations tunnelled with CONNECT, proxy credentials sent', async () => {
  const plain = await startReceiver();
  const secure = await startReceiver({ tls: true });
  const proxy = await startProxy();
  try {
    await withManager(cfg(plain.url, `    proxy_url: ${proxy.url}\n`), async (m) => {
      await m.onCommit(batch('via_proxy'));
      await waitFor(() => plain.got.samples === 3, 'samples through the forwarding proxy');
    });
    assert.deepEqual(proxy.seen, [`POST ${plain.url}`]);

    const httpsUrl = `https://receiver.sextant.test:${secure.port}/api/v1/write`;
    const tlsBlock = `    tls_config:\n      ca_file: ${join(pki, 'ca.crt')}\n      cert_file: ${join(pki, 'client.crt')}\n      key_file: ${join(pki, 'client.key')}\n`;
    await withManager(cfg(httpsUrl, `    proxy_url: ${proxy.url}\n${tlsBlock}`), async (m) => {
      await m.onCommit(batch('via_tunnel'));
      await waitFor(() => secure.got.samples === 3, 'samples through the CONNECT tunnel');
    });
    assert.equal(proxy.seen[1], `CONNECT receiver.sextant.test:${secure.port}`, 'the name is resolved by the proxy, not locally');
    assert.deepEqual(secure.got.clientCNs, ['sextant-client']);
  } finally {
    await proxy.close();
    await plain.close();
    await secure.close();
  }
});

test('oauth2 client credentials: token fetched once and cached, a 401 brings a new token without losing samples', async () => {
  let issued = 0;
  const tokenRequests: { auth: string; body: string }[] = [];
  const tokenServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      tokenRequests.push({ auth: req.headers.authorization ?? '', body });
      if (req.headers.authorization !== 'Basic ' + Buffer.from('sextant:s3cret').toString('base64')) return void res.writeHead(401).end();
      issued++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ access_token: `tok${issued}`, token_type: 'bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', () => r()));
  const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
  let valid = 'Bearer tok1';
  const rx = await startReceiver({ status: (auth) => (auth === valid ? 204 : 401) });
  const secretDir = tempDir('rw-oauth2');
  writeFileSync(join(secretDir, 'secret'), 's3cret\n');
  try {
    const oauth = `    oauth2:
      client_id: sextant
      client_secret_file: ${join(secretDir, 'secret')}
      token_url: ${tokenUrl}
      scopes: [write, metrics]
      endpoint_params: {audience: rw}\n`;
    await withManager(cfg(rx.url, oauth), async (m) => {
      await m.onCommit(batch('first'));
      await waitFor(() => rx.got.samples === 3, 'first batch');
      await m.onCommit(batch('second'));
      await waitFor(() => rx.got.samples === 6, 'second batch');
      assert.equal(tokenRequests.length, 1, 'the token is cached');
      const form = new URLSearchParams(tokenRequests[0].body);
      assert.equal(form.get('grant_type'), 'client_credentials');
      assert.equal(form.get('scope'), 'write metrics');
      assert.equal(form.get('audience'), 'rw');

      valid = 'Bearer tok2'; // the receiver revokes tok1
      await m.onCommit(batch('third'));
      await waitFor(() => rx.got.samples === 9, 'third batch after a token refresh');
      assert.equal(tokenRequests.length, 2);
      assert.deepEqual(rx.got.authorization, ['Bearer tok1', 'Bearer tok1', 'Bearer tok1', 'Bearer tok2']);
    });
  } finally {
    await rx.close();
    await new Promise<void>((r) => (tokenServer.closeAllConnections(), tokenServer.close(() => r())));
    rmSync(secretDir, { recursive: true, force: true });
  }
});
