/**
 * Starts Debian's Prometheus 2.42 and an in-process Sextant (real TSDB, remote-write receiver, query API), loads
 * identical remote-write requests into both, and runs queries against both HTTP APIs.
 */
import pino from 'pino';
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/server/http.js';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { registerRemoteWriteRoutes } from '../../src/metrics/remote/receive.js';
import { encodeWriteRequest, snappyCompress } from '../../src/metrics/remote/codec.js';
import { registerQueryRoutes } from '../../src/metrics/api/query.js';
import { Engine } from '../../src/metrics/promql/engine.js';
import { startPrometheus } from '../peers/prometheus.js';
import { tempDir, type Peer } from '../peers/process.js';
import type { GenSeries } from './data.js';
import type { ApiResponse } from './compare.js';

export interface Pair {
  prometheus: string;
  sextant: string;
  stop(): Promise<void>;
}

export async function startPair(): Promise<Pair> {
  const prom: Peer = await startPrometheus('global:\n  scrape_interval: 15s\n', ['--query.lookback-delta=5m']);
  const dir = tempDir('promql-conf');
  let app: FastifyInstance | undefined;
  let db: TSDB | undefined;
  try {
    db = await TSDB.open({ dir });
    const logger = pino({ level: 'silent' });
    app = createHttpServer({ logger, bodyLimit: 64 * 1024 * 1024 });
    registerRemoteWriteRoutes(app, { storage: db, logger });
    registerQueryRoutes(app, { storage: db, engine: new Engine() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const sextantUrl = `http://127.0.0.1:${port}`;
    const a = app;
    const d = db;
    return {
      prometheus: prom.url,
      sextant: sextantUrl,
      stop: async () => {
        await a.close();
        await d.close();
        rmSync(dir, { recursive: true, force: true });
        await prom.stop();
      },
    };
  } catch (e) {
    await app?.close();
    await db?.close();
    await prom.stop();
    throw e;
  }
}

export async function remoteWrite(url: string, batch: GenSeries[]): Promise<void> {
  const body = snappyCompress(encodeWriteRequest(batch.map((s) => ({ labels: s.labels, samples: s.samples }))));
  const res = await fetch(`${url}/api/v1/write`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    },
    body,
  });
  if (res.status >= 300) throw new Error(`remote write to ${url} failed: ${res.status} ${await res.text()}`);
}

export async function query(url: string, path: string, params: Record<string, string>): Promise<ApiResponse> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return (await res.json()) as ApiResponse;
}
