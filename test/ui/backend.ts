/**
 * The server the UI tests drive: a real Sextant (real TSDB, real scraping every second) serving the built
 * UI, configured with two scrape pools — Sextant itself (healthy) and a closed port (down) — so every
 * page has something to show. SEXTANT_UI_BACKEND=prometheus runs the same tests against real Prometheus
 * 2.42 behind registerUiRoutes instead, to check the UI against the reference API.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSextant } from '../support/sextant.js';
import { tempDir } from '../peers/process.js';
import { startPrometheusBackedUi } from './prometheus-backend.js';
import { UI_DIST } from '../support/browser.js';

// Kept here too for callers that imported them from this module before the browser harness moved.
export { REPO_ROOT, UI_DIST, ensureUiBuilt } from '../support/browser.js';

export interface UiBackend {
  url: string;
  /** Job and instance (host:port) of the healthy self-scrape target. */
  selfJob: string;
  selfInstance: string;
  /** Job of the target that cannot be reached. */
  downJob: string;
  stop(): Promise<void>;
}

const config = (self: string) => `global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: unreachable
    static_configs:
      - targets: ['127.0.0.1:9']
${self ? `  - job_name: sextant\n    static_configs:\n      - targets: ['${self}']\n` : ''}`;

export async function startUiBackend(): Promise<UiBackend> {
  if (process.env.SEXTANT_UI_BACKEND === 'prometheus') {
    const b = await startPrometheusBackedUi(UI_DIST);
    return { url: b.url, selfJob: 'prometheus', selfInstance: b.selfInstance, downJob: 'unreachable', stop: b.stop };
  }
  // Sextant's own address is only known once it listens: start it, then add itself to the config and reload.
  const dir = tempDir('ui-config');
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config(''));
  const s = await startTestSextant({ configFile });
  try {
    writeFileSync(configFile, config(new URL(s.url).host));
    await s.reload();
  } catch (err) {
    await s.stop();
    throw err;
  }
  return { url: s.url, selfJob: 'sextant', selfInstance: new URL(s.url).host, downJob: 'unreachable', stop: () => s.stop() };
}

/** Polls until `check` holds (the backend needs a few scrapes before pages have data). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
