#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (or `npm start`, which builds when needed) produces dist/.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('sextant: not built yet; run `npm run build` (or `npm start`) first\n');
  process.exit(1);
}
const { main } = await import(compiled.href);
await main(process.argv.slice(2));
