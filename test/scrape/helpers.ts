/** Shared fixtures for the scrape end-to-end tests: config builders, a scriptable exporter, TSDB queries. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import type { PrometheusConfig, ScrapeConfig } from '../../src/config/types.js';
import type { Labels } from '../../src/model/labels.js';
import type { Matcher } from '../../src/model/matcher.js';
import type { Storage } from '../../src/metrics/storage/interface.js';

export const silentLogger = pino({ level: 'silent' });

export function scrapeConfig(partial: Partial<ScrapeConfig> & { jobName: string }): ScrapeConfig {
  return {
    scrapeInterval: 15_000,
    scrapeTimeout: 10_000,
    metricsPath: '/metrics',
    scheme: 'http',
    params: {},
    honorLabels: false,
    honorTimestamps: true,
    sampleLimit: 0,
    staticConfigs: [],
    fileSdConfigs: [],
    relabelConfigs: [],
    metricRelabelConfigs: [],
    ...partial,
  };
}

export function promConfig(scrapeConfigs: ScrapeConfig[]): PrometheusConfig {
  return {
    global: { scrapeInterval: 15_000, scrapeTimeout: 10_000, evaluationInterval: 15_000, externalLabels: {} },
    scrapeConfigs,
    ruleFiles: [],
    alerting: { alertRelabelConfigs: [], alertmanagers: [] },
    remoteWrite: [],
    original: '',
  };
}

export interface FakeExporter {
  /** host:port */
  readonly address: string;
  body: string;
  contentType: string;
  gzip: boolean;
  status: number;
  /** When set, every request is answered with a 302 to this URL. */
  redirectTo: string | undefined;
  readonly requests: http.IncomingHttpHeaders[];
  readonly urls: string[];
  close(): Promise<void>;
}

/** A loopback HTTP server whose response the test changes between scrapes. */
export async function startFakeExporter(body = ''): Promise<FakeExporter> {
  const state = {
    body,
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    gzip: false,
    status: 200,
    redirectTo: undefined as string | undefined,
    requests: [] as http.IncomingHttpHeaders[],
    urls: [] as string[],
  };
  const server = http.createServer((req, res) => {
    state.requests.push(req.headers);
    state.urls.push(req.url ?? '');
    if (state.redirectTo) {
      res.writeHead(302, { Location: state.redirectTo });
      res.end();
      return;
    }
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': state.contentType };
    let payload: Buffer = Buffer.from(state.body);
    if (state.gzip) {
      payload = gzipSync(payload);
      headers['Content-Encoding'] = 'gzip';
    }
    res.writeHead(state.status, headers);
    res.end(payload);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

export interface StoredSeries {
  labels: Labels;
  samples: { t: number; v: number }[];
}

export async function select(storage: Storage, matchers: Record<string, string>, mint = 0, maxt = Number.MAX_SAFE_INTEGER): Promise<StoredSeries[]> {
  const ms: Matcher[] = Object.entries(matchers).map(([name, value]) => ({ type: '=', name, value }));
  const res = await storage.querier().select(ms, mint, maxt);
  return res.map((s) => ({
    labels: s.labels,
    samples: Array.from({ length: s.timestamps.length }, (_, i) => ({ t: s.timestamps[i], v: s.values[i] })),
  }));
}
