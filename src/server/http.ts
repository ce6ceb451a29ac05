/**
 * The one HTTP server every API and the UI share. Each subsystem registers its own routes on it
 * (see `register*` functions beside each API); this file only sets what they have in common:
 * body parsing for the binary protocols, size limits, and logging.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { Logger } from 'pino';

export interface HttpServerOptions {
  logger: Logger;
  /** Largest request body accepted, bytes; larger bodies get 413. */
  bodyLimit: number;
}

export function createHttpServer(opts: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimit,
    // Per-request log lines would drown the ingest paths; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Prometheus clients send `match[]`; keep repeated keys as arrays.
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;
  app.register(formbody);
  // Binary protocol bodies (remote_write, OTLP protobuf, Loki push protobuf) arrive raw; each handler decodes them.
  app.addContentTypeParser(
    ['application/x-protobuf', 'application/protobuf', 'application/octet-stream', 'application/x-snappy-framed'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );
  return app;
}
