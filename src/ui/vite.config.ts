/**
 * Builds the web UI into dist/ui. Asset names carry content hashes so the server can cache them
 * forever; each asset also gets .gz and .br siblings so @fastify/static can serve them pre-compressed
 * without compressing on every request.
 */
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/ui', import.meta.url));

/** Text assets worth compressing; fonts/images already are. */
const COMPRESSIBLE = /\.(js|css|html|svg|json|map)$/;

function precompress(): Plugin {
  return {
    name: 'sextant-precompress',
    apply: 'build',
    // After writing: other plugins rewrite chunk code late in generateBundle, so compress the final files on disk.
    writeBundle(options, bundle) {
      const dir = options.dir ?? outDir;
      for (const fileName of Object.keys(bundle)) {
        if (!COMPRESSIBLE.test(fileName) || fileName.endsWith('.map')) continue;
        const path = join(dir, fileName);
        const buf = readFileSync(path);
        if (buf.length < 1024) continue;
        writeFileSync(path + '.gz', gzipSync(buf, { level: 9 }));
        writeFileSync(path + '.br', brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react(), precompress()],
  publicDir: false,
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `vite --config src/ui/vite.config.ts` for live editing: API calls go to a running Sextant.
    proxy: { '/api': process.env.SEXTANT_URL ?? 'http://127.0.0.1:9090' },
  },
});
