/**
 * Serves the built web UI (dist/ui) from the shared HTTP server.
 *
 * - Hashed files under /assets/ are cached for a year (their name changes when their content does);
 *   index.html is revalidated on every load so a new build is picked up immediately.
 * - Pre-compressed .br/.gz siblings written by the build are served when the client accepts them.
 * - Any other GET that is not an API or protocol path returns index.html, so client-side routes such as
 *   /targets survive a reload. API-like paths fall through to the normal 404 instead of getting HTML.
 * - If the UI has not been built, a short page says how to build it rather than a bare 404.
 */
import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface UiRoutesOptions {
  /** Directory holding the vite build output (index.html and assets/). */
  distDir: string;
}

/** Path prefixes owned by APIs and protocol endpoints; never answered with the UI. */
const RESERVED_PREFIXES: readonly string[] = ['/api/', '/loki/', '/metrics', '/host/metrics', '/federate', '/-/', '/v1/', '/alertmanager/', '/debug/', '/jaeger/', '/tempo/', '/_'];

export function isReservedPath(urlPath: string): boolean {
  return RESERVED_PREFIXES.some((p) => urlPath === p || urlPath.startsWith(p) || (p.endsWith('/') && urlPath === p.slice(0, -1)));
}

const LONG_CACHE = 'public, max-age=31536000, immutable';

export function registerUiRoutes(app: FastifyInstance, opts: UiRoutesOptions): void {
  const root = normalize(opts.distDir);
  // Encapsulated so the reply.sendFile decoration cannot clash with another @fastify/static registration.
  app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root,
      serve: false,
      preCompressed: true,
      // Cache headers are decided per file below.
      cacheControl: false,
      // dist/ui may not exist yet (UI not built); that is reported per request, not at startup.
      suppressWarning: true,
    });

    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const urlPath = decodePath(req.url);
      if (urlPath === null) return reply.callNotFound();
      if (isReservedPath(urlPath)) return reply.callNotFound();
      if (!existsSync(join(root, 'index.html'))) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);

      const file = resolveFile(root, urlPath);
      if (file !== null) {
        reply.header('cache-control', urlPath.startsWith('/assets/') ? LONG_CACHE : 'no-cache');
        return reply.sendFile(file);
      }
      // A missing script or stylesheet must 404, not come back as HTML the browser then fails to parse.
      if (/\.[a-z0-9]+$/i.test(urlPath)) return reply.callNotFound();
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    };
    scope.get('/', handler);
    scope.get('/*', handler);
  });
}

function decodePath(url: string): string | null {
  const q = url.indexOf('?');
  const raw = q < 0 ? url : url.slice(0, q);
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

/** The file under root that urlPath names, relative to root, or null if there is none (or it escapes root). */
function resolveFile(root: string, urlPath: string): string | null {
  if (urlPath === '/' || urlPath.endsWith('/')) return null;
  const rel = normalize(urlPath).replace(/^[/\\]+/, '');
  if (rel.startsWith('..') || rel.includes(`${sep}..${sep}`)) return null;
  const abs = join(root, rel);
  if (!abs.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  try {
    return statSync(abs).isFile() ? rel.split(sep).join('/') : null;
  } catch {
    return null;
  }
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sextant — UI not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:15vh auto;padding:0 1rem;line-height:1.5;color:#1b1f27}
code{background:#f1f3f6;padding:.1em .35em;border-radius:4px}@media(prefers-color-scheme:dark){body{background:#0f1115;color:#e6e8ec}code{background:#1d2129}}</style>
</head><body><h1>The Sextant web UI is not built</h1>
<p>The server is running and its APIs work (for example <a href="/api/v1/status/buildinfo"><code>/api/v1/status/buildinfo</code></a>),
but the web interface has not been compiled yet.</p>
<p>Run <code>npm run build</code> (or just <code>npm run build:ui</code>) in the Sextant checkout, then reload this page.</p>
</body></html>
`;
