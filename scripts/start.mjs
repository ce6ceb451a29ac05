#!/usr/bin/env node
// `npm start`: builds the server and the UI when they are missing or older than the sources, then serves.
// Extra arguments pass through: `npm start -- --config prometheus.yml`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newest(dir, skip) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (skip && p.startsWith(skip)) continue;
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newest(p, skip) : st.mtimeMs);
  }
  return t;
}

function run(script) {
  const res = spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

const serverOut = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(serverOut) || statSync(serverOut).mtimeMs < newest(join(root, 'src'), join(root, 'src', 'ui'))) run('build:server');
const uiOut = join(root, 'dist', 'ui', 'index.html');
if (!existsSync(uiOut) || statSync(uiOut).mtimeMs < newest(join(root, 'src', 'ui'))) run('build:ui');

// Run in this process so signals (Ctrl-C, SIGHUP for reload) reach the server directly.
const { main } = await import(new URL('../dist/cli/main.js', import.meta.url).href);
await main(['serve', ...process.argv.slice(2)]);
