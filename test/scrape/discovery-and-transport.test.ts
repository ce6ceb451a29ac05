/**
 * Scrape engine edges that need real time or real files: file_sd target changes, loops firing on their
 * own timers, scrape timeouts, HTTPS with a private CA and bearer token files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../peers/process.js';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { ScrapeManager } from '../../src/metrics/scrape/manager.js';
import { ManualClock } from '../../src/metrics/scrape/clock.js';
import { isStaleNaN } from '../../src/model/value.js';
import { promConfig, scrapeConfig, select, silentLogger, startFakeExporter } from './helpers.js';

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('file_sd: targets come and go with the file; a removed target gets stale markers', async () => {
  const dir = tempDir('scrape-filesd');
  const db = await TSDB.open({ dir: join(dir, 'data'), logger: silentLogger });
  const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, clock, manualScrapes: true });
  const exp = await startFakeExporter('m 1\n');
  try {
    mkdirSync(join(dir, 'targets'));
    const file = join(dir, 'targets', 'a.json');
    writeFileSync(file, JSON.stringify([{ targets: [exp.address], labels: { team: 'x' } }]));
    const cfg = promConfig([scrapeConfig({ jobName: 'fsd', fileSdConfigs: [{ files: ['targets/*.json'], refreshInterval: 300_000 }] })]);
    cfg.sourceFile = join(dir, 'prometheus.yml');
    await mgr.applyConfig(cfg);
    const active = mgr.targets().activeTargets;
    assert.equal(active.length, 1);
    assert.deepEqual(active[0].labels, { instance: exp.address, job: 'fsd', team: 'x' });
    assert.equal(active[0].discoveredLabels.__meta_filepath, file);
    await mgr.scrapeAllNow();
    assert.equal((await select(db, { __name__: 'up', job: 'fsd' }))[0].samples[0].v, 1);

    const tScrape = clock.t;
    clock.t += 5_000;
    writeFileSync(file, '[]');
    await waitFor(() => mgr.targets().activeTargets.length === 0, 10_000, 'file_sd to drop the target');
    await mgr.scrapeAllNow(); // waits for the pool sync that stops the loop
    // End-of-run staleness: stamped when the next scrape was due, written 1.1 intervals after that.
    clock.advance(10_000 + 16_500);
    await mgr.staleMarkersSettled();
    const m = await select(db, { __name__: 'm' });
    assert.equal(m[0].samples.at(-1)?.t, tScrape + 15_000);
    assert.ok(isStaleNaN(m[0].samples.at(-1)!.v));
  } finally {
    await mgr.stop();
    await exp.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loops scrape on their own timers; a hanging target times out', async () => {
  const dir = tempDir('scrape-timers');
  const db = await TSDB.open({ dir, logger: silentLogger });
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger });
  const exp = await startFakeExporter('m 1\n');
  const hang = http.createServer(() => {
    /* never answers */
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
  const hangAddr = `127.0.0.1:${(hang.address() as AddressInfo).port}`;
  try {
    await mgr.applyConfig(
      promConfig([
        scrapeConfig({ jobName: 'fast', scrapeInterval: 500, scrapeTimeout: 400, staticConfigs: [{ targets: [exp.address], labels: {} }] }),
        scrapeConfig({ jobName: 'hang', scrapeInterval: 500, scrapeTimeout: 200, staticConfigs: [{ targets: [hangAddr], labels: {} }] }),
      ]),
    );
    await waitFor(() => exp.requests.length >= 3, 5000, 'three timer-driven scrapes');
    await waitFor(() => mgr.targets().activeTargets.find((t) => t.scrapePool === 'hang')?.health === 'down', 5000, 'timeout');
    const hung = mgr.targets().activeTargets.find((t) => t.scrapePool === 'hang');
    assert.equal(hung?.lastError, `Get "http://${hangAddr}/metrics": context deadline exceeded`);
    const fast = mgr.targets().activeTargets.find((t) => t.scrapePool === 'fast');
    assert.equal(fast?.health, 'up');
    const up = await select(db, { __name__: 'up', job: 'fast' });
    const ts = up[0].samples.map((s) => s.t);
    // Timers may fire late on a loaded machine, but never stack up, and keep the 500 ms cadence on average.
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] - ts[i - 1] >= 250, `scrapes not stacked: ${ts.join(',')}`);
    const mean = (ts[ts.length - 1] - ts[0]) / (ts.length - 1);
    assert.ok(mean >= 400 && mean <= 800, `mean spacing ${mean} ms`);
  } finally {
    await mgr.stop();
    hang.closeAllConnections();
    await new Promise<void>((r) => hang.close(() => r()));
    await exp.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('https with a private CA and a bearer token file; an untrusted certificate fails the scrape', async () => {
  const dir = tempDir('scrape-tls');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 's3cret\n');
  const seen: (string | undefined)[] = [];
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('secure_metric 7\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const db = await TSDB.open({ dir: join(dir, 'data'), logger: silentLogger });
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, manualScrapes: true });
  try {
    await mgr.applyConfig(
      promConfig([
        scrapeConfig({
          jobName: 'tls',
          scheme: 'https',
          bearerTokenFile: tokenFile,
          tlsConfig: { caFile: cert, insecureSkipVerify: false },
          staticConfigs: [{ targets: [addr], labels: {} }],
        }),
        scrapeConfig({ jobName: 'untrusted', scheme: 'https', staticConfigs: [{ targets: [addr], labels: {} }] }),
        scrapeConfig({
          jobName: 'insecure',
          scheme: 'https',
          tlsConfig: { insecureSkipVerify: true },
          staticConfigs: [{ targets: [addr], labels: {} }],
        }),
      ]),
    );
    await mgr.scrapeAllNow();
    const byJob = Object.fromEntries(mgr.targets().activeTargets.map((t) => [t.scrapePool, t]));
    assert.equal(byJob.tls.health, 'up', byJob.tls.lastError);
    assert.equal(byJob.tls.scrapeUrl, `https://${addr}/metrics`);
    assert.ok(seen.includes('Bearer s3cret'));
    assert.equal(byJob.insecure.health, 'up', byJob.insecure.lastError);
    assert.equal(byJob.untrusted.health, 'down');
    assert.match(byJob.untrusted.lastError, /certificate/);
    assert.equal((await select(db, { __name__: 'secure_metric' })).length, 2);
  } finally {
    await mgr.stop();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redirects are followed; credentials are not sent to another host', async () => {
  const dir = tempDir('scrape-redirect');
  const db = await TSDB.open({ dir, logger: silentLogger });
  const mgr = new ScrapeManager({ storage: db, logger: silentLogger, manualScrapes: true });
  const real = await startFakeExporter('moved_metric 1\n');
  const hop = await startFakeExporter('');
  hop.redirectTo = `http://${real.address}/real/metrics`;
  const loop = await startFakeExporter('');
  loop.redirectTo = `http://${loop.address}/again`;
  try {
    await mgr.applyConfig(
      promConfig([
        scrapeConfig({ jobName: 'moved', bearerToken: 'tok', staticConfigs: [{ targets: [hop.address], labels: {} }] }),
        scrapeConfig({ jobName: 'loop', staticConfigs: [{ targets: [loop.address], labels: {} }] }),
      ]),
    );
    await mgr.scrapeAllNow();
    const byJob = Object.fromEntries(mgr.targets().activeTargets.map((t) => [t.scrapePool, t]));
    assert.equal(byJob.moved.health, 'up', byJob.moved.lastError);
    assert.equal(hop.requests[0].authorization, 'Bearer tok');
    assert.equal(real.urls[0], '/real/metrics');
    assert.equal(real.requests[0].authorization, undefined);
    assert.equal((await select(db, { __name__: 'moved_metric', job: 'moved' })).length, 1);
    assert.equal(byJob.loop.health, 'down');
    assert.equal(byJob.loop.lastError, `Get "http://${loop.address}/again": stopped after 10 redirects`);
  } finally {
    await mgr.stop();
    await real.close();
    await hop.close();
    await loop.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
