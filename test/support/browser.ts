/**
 * The headless Chromium the UI tests drive: the built UI (built here if missing or stale), one browser per
 * test file, pages of a fixed viewport, and uncaught page errors either collected for an afterEach check
 * or thrown at once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const UI_DIST = join(REPO_ROOT, 'dist', 'ui');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function newestMtime(dir: string): number {
  let m = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    m = Math.max(m, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return m;
}

function buildUi(): void {
  const res = spawnSync('npm', ['run', 'build:ui'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('npm run build:ui failed');
}

/** Builds the UI once if this checkout has never built it. */
export function ensureUiBuilt(): void {
  if (!existsSync(join(UI_DIST, 'index.html'))) buildUi();
}

/** Builds the UI when its sources are newer than the build (pages added since the last build must be in it). */
export function ensureFreshUi(): void {
  const index = join(UI_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(REPO_ROOT, 'src', 'ui'))) return;
  buildUi();
}

export interface BrowserOptions {
  viewport: { width: number; height: number };
  /** 'collect' keeps uncaught page errors in `pageErrors` for an afterEach check; 'throw' fails at once. */
  onPageError: 'collect' | 'throw';
}

export interface TestBrowser {
  browser: Browser;
  /** Uncaught errors in any page since the last `resetPageErrors()` (collect mode). */
  readonly pageErrors: string[];
  resetPageErrors(): void;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Launches /usr/bin/chromium; Playwright gives every launch a fresh temporary user-data-dir and removes it on close. */
export async function launchBrowser(opts: BrowserOptions): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  let errors: string[] = [];
  return {
    browser,
    get pageErrors() {
      return errors;
    },
    resetPageErrors() {
      errors = [];
    },
    async newPage() {
      const page = await browser.newPage({ viewport: opts.viewport });
      page.on('pageerror', (err) => {
        if (opts.onPageError === 'throw') throw new Error(`uncaught error in page: ${err.message}`);
        errors.push(err.message);
      });
      return page;
    },
    close: () => browser.close(),
  };
}
