#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (or `npm start`, which builds when needed) produces dist/.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/run.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('sextant: not built yet; run `npm run build` (or `npm start`) first\n');
  process.exit(1);
}
await import(compiled.href);
