/**
 * Exposition endpoints: GET /metrics (Sextant's own metrics, the selfRegistry) and
 * GET /host/metrics (the node_exporter-compatible host collector). Both gzip the body when the
 * scraper accepts it, as Prometheus does by default.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TEXT_CONTENT_TYPE } from './exposition.js';
import { HostCollector } from './host/collector.js';
import { selfRegistry } from './self.js';

const gzip = promisify(gzipCb);

/** True when Accept-Encoding lists gzip (or *) with a non-zero q-value. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (!header) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  for (const part of text.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

async function send(req: FastifyRequest, reply: FastifyReply, contentType: string, body: string): Promise<FastifyReply> {
  reply.header('Content-Type', contentType).header('Vary', 'Accept-Encoding');
  if (acceptsGzip(req.headers['accept-encoding'])) {
    return reply.header('Content-Encoding', 'gzip').send(await gzip(body));
  }
  return reply.send(body);
}

export interface CollectorRoutesOptions {
  /** Defaults to a HostCollector with node_exporter's default settings. */
  host?: HostCollector;
}

export function registerCollectorRoutes(app: FastifyInstance, opts: CollectorRoutesOptions = {}): void {
  const host = opts.host ?? new HostCollector();

  app.get('/metrics', async (req, reply) => {
    let body: string;
    try {
      body = await selfRegistry.metrics();
    } catch (err) {
      return reply.code(500).type('text/plain; charset=utf-8').send(`error gathering metrics: ${(err as Error).message}\n`);
    }
    return send(req, reply, selfRegistry.contentType, body);
  });

  app.get('/host/metrics', async (req, reply) => {
    let body: string;
    try {
      body = await host.scrape();
    } catch (err) {
      return reply.code(500).type('text/plain; charset=utf-8').send(`error gathering host metrics: ${(err as Error).message}\n`);
    }
    return send(req, reply, TEXT_CONTENT_TYPE, body);
  });
}
