/**
 * remote_write metadata (metadata_config), compared with the real Prometheus 2.42 as sender: both scrape
 * the same exporters and send to capturing receivers; the metadata Sextant sends must be what Prometheus
 * sends. (Prometheus 2.42 as a *receiver* drops remote-written metadata — its /api/v1/metadata only shows
 * its own scrape targets' — so the comparison is made on the wire.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { parseConfig } from '../../src/config/parse.js';
import { decodeWriteRequest, snappyUncompress, type WriteMetadata } from '../../src/metrics/remote/codec.js';
import { RemoteWriteManager } from '../../src/metrics/remote/write-manager.js';
import { ScrapeManager } from '../../src/metrics/scrape/manager.js';
import { startPrometheus } from '../peers/prometheus.js';
import { tempDir } from '../peers/process.js';
import { promConfig, scrapeConfig, startFakeExporter } from '../scrape/helpers.js';
import { MemoryStorage } from './memory-storage.js';

const logger = pino({ level: process.env.SEXTANT_TEST_LOG ?? 'silent' });

const TEXT = `# HELP http_requests_total Requests served, by "code".\\nSecond line.
# TYPE http_requests_total counter
http_requests_total{code="200"} 10
# HELP temperature_celsius Current temperature.
# TYPE temperature_celsius gauge
temperature_celsius 21.5
# HELP latency_seconds Request latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="1"} 1
latency_seconds_bucket{le="+Inf"} 2
latency_seconds_sum 1.5
latency_seconds_count 2
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.2
rpc_seconds_sum 3
rpc_seconds_count 10
untyped_thing 3
`;

const OPENMETRICS = `# TYPE build info
# HELP build Build information.
build_info{version="1.0"} 1
# TYPE disk_bytes gauge
# UNIT disk_bytes bytes
# HELP disk_bytes Disk usage.
disk_bytes 1024
# TYPE jobs counter
# HELP jobs Jobs processed.
jobs_total 7
# EOF
`;

interface Capture {
  url: string;
  /** Metadata of each request that carried any. */
  requests: WriteMetadata[][];
  close(): Promise<void>;
}

async function capture(): Promise<Capture> {
  const requests: WriteMetadata[][] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wr = decodeWriteRequest(snappyUncompress(Buffer.concat(chunks)));
      if (wr.metadata.length > 0) requests.push(wr.metadata);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    requests,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function waitFor(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const key = (m: WriteMetadata) => JSON.stringify([m.metricFamilyName, m.type, m.help, m.unit]);

test('metadata sent per metadata_config is the same as real Prometheus sends; chunked; off when send is false', async () => {
  const text = await startFakeExporter(TEXT);
  const om = await startFakeExporter(OPENMETRICS);
  om.contentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
  const fromProm = await capture();
  const fromSextant = await capture();
  const silent = await capture();
  const prom = await startPrometheus(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ['${text.address}', '${om.address}']
remote_write:
  - url: ${fromProm.url}
    metadata_config: {send: true, send_interval: 1s}
    queue_config: {batch_send_deadline: 100ms}
`);
  const dir = tempDir('rw-metadata');
  const scrape = new ScrapeManager({ storage: new MemoryStorage(), logger, manualScrapes: true });
  const rw = new RemoteWriteManager({ dataDir: dir, logger, metadata: () => scrape.metadata() });
  try {
    await scrape.applyConfig(promConfig([scrapeConfig({ jobName: 'app', staticConfigs: [{ targets: [text.address, om.address], labels: {} }] })]));
    await scrape.scrapeAllNow();
    await rw.applyConfig(
      parseConfig(`remote_write:
  - url: ${fromSextant.url}
    name: on
    metadata_config: {send_interval: 200ms, max_samples_per_send: 3}
  - url: ${silent.url}
    name: off
    metadata_config: {send: false, send_interval: 200ms}
`),
    );

    // Prometheus sends its first round one interval after its targets have been scraped.
    // Seven families carry metadata (untyped_thing has no TYPE/HELP line, so none).
    await waitFor(() => fromProm.requests.some((r) => r.length === 7), 'metadata from Prometheus');
    await waitFor(() => fromSextant.requests.length >= 3, 'a round of metadata from Sextant');
    const promSet = new Set(fromProm.requests.find((r) => r.length === 7)!.map(key));
    const round = fromSextant.requests.slice(0, 3);
    assert.ok(round.every((r) => r.length <= 3), 'max_samples_per_send caps each request');
    const sextantSet = new Set(round.flat().map(key));
    assert.deepEqual([...sextantSet].sort(), [...promSet].sort());
    assert.equal(silent.requests.length, 0, 'send: false sends no metadata');
  } finally {
    await rw.stop();
    await scrape.stop();
    await prom.stop();
    await Promise.all([text.close(), om.close(), fromProm.close(), fromSextant.close(), silent.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
