/**
 * A stand-in Sextant for UI tests: real Prometheus (Debian 2.42) scraping itself every second, behind a
 * fastify server that serves the built UI with registerUiRoutes and forwards /api/* to Prometheus.
 * Sextant implements the same HTTP API, so the UI cannot tell the difference.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createHttpServer } from '../../src/server/http.js';
import { registerUiRoutes } from '../../src/server/ui.js';
import { startPrometheus } from '../peers/prometheus.js';

export interface UiBackend {
  url: string;
  /** host:port Prometheus scrapes itself at (the `instance` label of its self target). */
  selfInstance: string;
  stop(): Promise<void>;
}

const SELF_SCRAPE = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['__SELF__']
  - job_name: unreachable
    scrape_timeout: 500ms
    static_configs:
      - targets: ['127.0.0.1:9']
`;

export async function startPrometheusBackedUi(distDir: string): Promise<UiBackend> {
  // Prometheus' own address is only known once it runs: start it, then write the real config and reload.
  const prom = await startPrometheus('global:\n  scrape_interval: 1s\n');
  try {
    writeFileSync(join(prom.dir, 'prometheus.yml'), SELF_SCRAPE.replace('__SELF__', new URL(prom.url).host));
    const res = await fetch(`${prom.url}/-/reload`, { method: 'POST' });
    if (!res.ok) throw new Error(`Prometheus reload failed: ${res.status} ${await res.text()}`);
  } catch (err) {
    await prom.stop();
    throw err;
  }
  const app = createHttpServer({ logger: pino({ level: 'silent' }), bodyLimit: 10 << 20 });
  app.all('/api/*', async (req, reply) => {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (req.method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = toForm(req.body).toString();
    }
    const res = await fetch(prom.url + req.url, { method: req.method, headers, body });
    reply.code(res.status).header('content-type', res.headers.get('content-type') ?? 'application/json');
    return reply.send(Buffer.from(await res.arrayBuffer()));
  });
  registerUiRoutes(app, { distDir });
  let url: string;
  try {
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await prom.stop();
    throw err;
  }
  return {
    url,
    selfInstance: new URL(prom.url).host,
    stop: async () => {
      await app.close();
      await prom.stop();
    },
  };
}

function toForm(body: unknown): URLSearchParams {
  const out = new URLSearchParams();
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(v) ? v : [v]) out.append(k, String(item));
    }
  }
  return out;
}
