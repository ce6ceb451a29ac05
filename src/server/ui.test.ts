import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from './http.js';
import { isReservedPath, registerUiRoutes } from './ui.js';
import { tempDir } from '../../test/peers/process.js';

const INDEX = '<!doctype html><title>Sextant</title><div id="root"></div>';
const SCRIPT = 'console.log("app");'.repeat(200);

function server(distDir: string): FastifyInstance {
  const app = createHttpServer({ logger: pino({ level: 'silent' }), bodyLimit: 1 << 20 });
  // Stand-ins for routes other subsystems own, to prove the UI does not shadow them.
  app.get('/api/v1/query', async () => ({ status: 'success', data: { resultType: 'vector', result: [] } }));
  app.get('/metrics', async (_req, reply) => reply.type('text/plain').send('up 1\n'));
  registerUiRoutes(app, { distDir });
  return app;
}

describe('registerUiRoutes with a built UI', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = tempDir('ui-dist');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), SCRIPT);
    writeFileSync(join(dir, 'assets', 'index-abc123.js.br'), brotliCompressSync(Buffer.from(SCRIPT)));
    app = server(dir);
    await app.ready();
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/ serves index.html and asks the browser to revalidate it', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.equal(res.body, INDEX);
    assert.equal(res.headers['cache-control'], 'no-cache');
  });

  test('client-side routes fall back to index.html', async () => {
    for (const url of ['/targets', '/status', '/explore?g0.expr=up', '/graph']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.equal(res.body, INDEX, url);
    }
  });

  test('hashed assets are cached for a year', async () => {
    const res = await app.inject({ url: '/assets/index-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /javascript/);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(res.body, SCRIPT);
  });

  test('pre-compressed brotli is served to clients that accept it', async () => {
    const res = await app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(res.rawPayload).toString(), SCRIPT);
  });

  test('a missing asset is a 404, not index.html', async () => {
    const res = await app.inject({ url: '/assets/gone-999.js' });
    assert.equal(res.statusCode, 404);
    assert.notEqual(res.body, INDEX);
  });

  test('API and protocol paths are never answered with the UI', async () => {
    const ok = await app.inject({ url: '/api/v1/query?query=up' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().status, 'success');
    assert.equal((await app.inject({ url: '/metrics' })).body, 'up 1\n');
    for (const url of ['/api/v1/nope', '/api/v2/alerts', '/loki/api/v1/labels', '/federate', '/-/ready', '/v1/metrics', '/alertmanager/api/v2/status', '/host/metrics/x']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.doesNotMatch(res.body, /<div id="root">/, url);
    }
  });

  test('path traversal cannot leave the dist directory', async () => {
    for (const url of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json']) {
      const res = await app.inject({ url });
      assert.ok(res.statusCode === 404 || res.statusCode === 403 || res.body === INDEX, `${url} → ${res.statusCode}`);
      assert.doesNotMatch(res.body, /root:|"name"/, url);
    }
  });
});

describe('registerUiRoutes without a built UI', () => {
  test('explains how to build it, and leaves APIs alone', async () => {
    const dir = tempDir('ui-missing');
    const app = server(join(dir, 'does-not-exist'));
    try {
      const res = await app.inject({ url: '/' });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /npm run build/);
      assert.equal((await app.inject({ url: '/targets' })).statusCode, 503);
      assert.equal((await app.inject({ url: '/api/v1/query?query=up' })).statusCode, 200);
      assert.equal((await app.inject({ url: '/api/v1/other' })).statusCode, 404);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('isReservedPath', () => {
  for (const p of ['/api/v1/query', '/api', '/loki/api/v1/push', '/metrics', '/host/metrics', '/federate', '/-/healthy', '/v1/traces', '/alertmanager/']) {
    assert.equal(isReservedPath(p), true, p);
  }
  for (const p of ['/', '/targets', '/explore', '/assets/index-abc.js', '/status', '/apiary']) {
    assert.equal(isReservedPath(p), false, p);
  }
});
