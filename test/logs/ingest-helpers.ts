/** A real HTTP server with the log ingest routes over a real store in a temp dir, for the ingest tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/server/http.js';
import { openLogStore, type OpenLogStoreOptions } from '../../src/logs/store/index.js';
import type { LogStore } from '../../src/logs/store/interface.js';
import type { LogEntry } from '../../src/logs/model.js';
import { registerLogIngestRoutes, type LogIngestDeps } from '../../src/logs/ingest/index.js';

export interface IngestServer {
  url: string;
  app: FastifyInstance;
  store: LogStore;
  all(): Promise<LogEntry[]>;
  close(): Promise<void>;
}

export async function startIngestServer(
  storeOpts: Partial<OpenLogStoreOptions> = {},
  deps: Partial<LogIngestDeps> = {},
  bodyLimit = 32 * 1024 * 1024,
  setup?: (app: FastifyInstance) => void,
  listenPort = 0,
): Promise<IngestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-'));
  const logger = pino({ level: 'silent' });
  const store = await openLogStore({ dir, ...storeOpts });
  const app = createHttpServer({ logger, bodyLimit });
  registerLogIngestRoutes(app, { store, logger, ...deps });
  setup?.(app);
  await app.listen({ host: '127.0.0.1', port: listenPort });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    store,
    async all() {
      const out: LogEntry[] = [];
      for await (const b of store.select({ matchers: [], start: 0n, end: 9_000_000_000_000_000_000n, direction: 'forward', limit: 0 })) out.push(...b);
      return out;
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function labelsOf(e: LogEntry): Record<string, string> {
  return Object.fromEntries(e.stream.map((l) => [l.name, l.value]));
}
