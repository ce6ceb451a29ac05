import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ScrapeHttpClient } from './http-client.js';

test('the authorization block sends its type and credentials (inline and from a file)', async () => {
  const seen: (string | undefined)[] = [];
  const srv = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end('up 1\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/metrics`;
  const file = join(mkdtempSync(join(tmpdir(), 'auth-')), 'token');
  writeFileSync(file, 'from-file\n');
  try {
    await new ScrapeHttpClient({ authorization: { type: 'Bearer', credentials: 'inline' } }).scrape(url, 5000);
    await new ScrapeHttpClient({ authorization: { type: 'Token', credentialsFile: file } }).scrape(url, 5000);
    assert.deepEqual(seen, ['Bearer inline', 'Token from-file']);
  } finally {
    srv.close();
  }
});
