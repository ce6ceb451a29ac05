/**
 * End-to-end UI tests: headless Chromium drives the built UI served by a real Sextant (see backend.ts).
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startUiBackend, waitFor, type UiBackend } from './backend.js';
import { ensureUiBuilt, launchBrowser, type TestBrowser } from '../support/browser.js';

/** The slice of HTMLCanvasElement the checks use (this file compiles without DOM types). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

let backend: UiBackend;
let ui: TestBrowser;

async function api<T>(path: string): Promise<T> {
  const res = await fetch(backend.url + path);
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body.data;
}


/** Types into the CodeMirror editor like a user would. */
async function typeQuery(page: Page, text: string): Promise<void> {
  await page.waitForSelector('.cm-content');
  await page.click('.cm-content');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text);
  await page.keyboard.press('Escape'); // close the completion popup
}

describe('web UI', { timeout: 120_000 }, () => {
  before(async () => {
    ensureUiBuilt();
    backend = await startUiBackend();
    ui = await launchBrowser({ viewport: { width: 1280, height: 860 }, onPageError: 'collect' });
    // Pages need a few scrapes of both targets before there is anything to show.
    await waitFor('both targets scraped', async () => {
      const t = await api<{ activeTargets: { health: string; scrapePool: string }[] }>('/api/v1/targets');
      const health = new Map(t.activeTargets.map((x) => [x.scrapePool, x.health]));
      return health.get(backend.selfJob) === 'up' && health.get(backend.downJob) === 'down';
    });
    await waitFor('a few samples of up', async () => {
      const now = Date.now() / 1000;
      const r = await api<{ result: { values: unknown[] }[] }>(`/api/v1/query_range?query=up&start=${now - 60}&end=${now}&step=1`);
      return r.result.length >= 2 && r.result.every((s) => s.values.length >= 3);
    });
  });

  beforeEach(() => {
    ui.resetPageErrors();
  });
  afterEach(() => {
    assert.deepEqual(ui.pageErrors, [], 'uncaught errors in the page');
  });

  after(async () => {
    await ui?.close();
    await backend?.stop();
  });

  test('Explore: a query typed and run from the keyboard draws a graph, a legend and a table', async () => {
    const page = await ui.newPage();
    await page.goto(`${backend.url}/explore?g0.range_input=5m`);
    await typeQuery(page, 'up');
    await page.keyboard.press('Shift+Enter');

    const canvas = page.locator('.graph canvas');
    await canvas.waitFor();
    const size = await canvas.evaluate((el: unknown) => ({ w: (el as CanvasLike).width, h: (el as CanvasLike).height }));
    assert.ok(size.w > 200 && size.h > 100, `canvas is ${size.w}x${size.h}`);

    const labels = await page.locator('.u-legend .u-series .u-label').allTextContents();
    assert.ok(labels.includes(`up{instance="${backend.selfInstance}", job="${backend.selfJob}"}`), `legend: ${labels.join(' | ')}`);
    assert.ok(labels.includes(`up{instance="127.0.0.1:9", job="${backend.downJob}"}`), `legend: ${labels.join(' | ')}`);

    // The lines were really drawn: pixels in the first series' colour exist on the canvas.
    const drawn = await canvas.evaluate((el: unknown) => {
      const c = el as CanvasLike;
      const ctx = c.getContext('2d');
      if (!ctx) return 0;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) {
        // #4f6bed (first palette colour), allowing for antialiasing.
        if (Math.abs(px[i]! - 0x4f) < 40 && Math.abs(px[i + 1]! - 0x6b) < 40 && Math.abs(px[i + 2]! - 0xed) < 40 && px[i + 3]! > 128) n++;
      }
      return n;
    });
    assert.ok(drawn > 5, `only ${drawn} pixels of the first series' colour`);

    // Hovering the newest samples shows live values in the legend.
    const over = await page.locator('.u-over').boundingBox();
    assert.ok(over);
    await page.mouse.move(over.x + over.width - 3, over.y + over.height / 2);
    const values = await page.locator('.u-legend .u-series .u-value').allTextContents();
    assert.ok(values.slice(1).some((v) => v === '1'), `legend values: ${values.join(' | ')}`);

    const stats = await page.locator('[data-testid=query-stats]').textContent();
    assert.match(stats ?? '', /2 series/);
    // The URL carries the query, so the link reproduces it.
    assert.match(page.url(), /g0\.expr=up(&|$)/);

    // A range preset re-runs the query with a step that fits it (15m / 250 ≈ 4s) and lands in the URL.
    await page.getByRole('button', { name: '15m', exact: true }).click();
    await page.locator('[data-testid=query-stats]', { hasText: 'step 4s' }).waitFor();
    assert.match(page.url(), /g0\.range_input=15m/);

    await page.getByRole('tab', { name: 'Table' }).click();
    const rows = page.locator('[data-testid=result-table] tbody tr');
    await rows.first().waitFor();
    const texts = await rows.allTextContents();
    assert.equal(texts.length, 2, texts.join('\n'));
    const down = texts.find((t) => t.includes(`job="${backend.downJob}"`));
    const up = texts.find((t) => t.includes(`job="${backend.selfJob}"`));
    assert.ok(down?.endsWith('0'), `down row: ${down}`);
    assert.ok(up?.endsWith('1'), `up row: ${up}`);
    assert.match(page.url(), /g0\.tab=1/);
    await page.close();
  });

  test('Explore: a shared link reproduces the table view without typing', async () => {
    const page = await ui.newPage();
    await page.goto(`${backend.url}/explore?g0.expr=${encodeURIComponent('count(up)')}&g0.tab=1`);
    const cell = page.locator('[data-testid=result-table] tbody tr td.num');
    await cell.first().waitFor();
    assert.equal((await cell.first().textContent())?.trim(), '2');
    assert.equal(await page.locator('.cm-content').textContent(), 'count(up)');
    await page.close();
  });

  test('Explore: the metrics explorer lists metric names and inserts the chosen one', async () => {
    const page = await ui.newPage();
    await page.goto(`${backend.url}/explore`);
    await page.getByRole('button', { name: 'Metrics explorer' }).click();
    const filter = page.getByLabel('Filter metric names');
    await filter.waitFor();
    await page.locator('.metric-list li').first().waitFor();
    await page.keyboard.type('scrape_duration_sec');
    const items = await page.locator('.metric-list li .metric-list-name').allTextContents();
    assert.ok(items.some((t) => t.startsWith('scrape_duration_seconds')), items.join(' | '));
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=query-stats]').waitFor();
    assert.equal(await page.locator('.cm-content').textContent(), 'scrape_duration_seconds');
    assert.match(page.url(), /g0\.expr=scrape_duration_seconds/);
    await page.close();
  });

  test('Explore: an invalid query shows the server error', async () => {
    const page = await ui.newPage();
    await page.goto(`${backend.url}/explore`);
    await typeQuery(page, 'rate(up)'); // completion closes the bracket: rate(up)
    assert.equal(await page.locator('.cm-content').textContent(), 'rate(up)');
    await page.keyboard.press('ControlOrMeta+Enter');
    const err = page.locator('[data-testid=error-state]');
    await err.waitFor();
    const text = (await err.textContent()) ?? '';
    assert.match(text, /Query error/);
    assert.match(text, /range vector/);
    assert.equal(await page.locator('.graph canvas').count(), 0);
    await page.close();
  });

  test('Explore: a query without data says so and suggests what to do', async () => {
    const page = await ui.newPage();
    await page.goto(`${backend.url}/explore?g0.expr=no_such_metric_xyz&g0.range_input=5m`);
    const empty = page.locator('[data-testid=empty-state]');
    await empty.waitFor();
    assert.match((await empty.textContent()) ?? '', /No data for no_such_metric_xyz in the selected range — check the metric name or widen the range/);
    await page.close();
  });

  test('Targets: lists each target with its health, error and labels; filters to unhealthy', async () => {
    const page = await ui.newPage();
    await page.goto(`${backend.url}/targets`);
    const rows = page.locator('[data-testid=target-row]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    const selfRow = rows.filter({ hasText: `${backend.selfInstance}/metrics` });
    assert.equal((await selfRow.locator('[data-testid=target-health]').textContent())?.trim(), 'UP');
    const downRow = rows.filter({ hasText: '127.0.0.1:9/metrics' });
    assert.equal((await downRow.locator('[data-testid=target-health]').textContent())?.trim(), 'DOWN');
    assert.match((await downRow.locator('[data-testid=target-error]').textContent()) ?? '', /refused/i);
    assert.match((await downRow.textContent()) ?? '', new RegExp(`job=${backend.downJob}`));

    await page.getByLabel('Show only unhealthy').check();
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', /127\.0\.0\.1:9/);

    // Discovered labels (before relabeling) open on demand.
    await rows.first().getByRole('button', { name: /discovered labels/ }).click();
    assert.match((await page.locator('.discovered-row').textContent()) ?? '', /__address__=127\.0\.0\.1:9/);
    await page.close();
  });

  test('Status: shows build information, TSDB stats and the configuration', async () => {
    const build = await api<Record<string, string>>('/api/v1/status/buildinfo');
    const page = await ui.newPage();
    await page.goto(`${backend.url}/status`);
    const info = page.locator('[data-testid=build-info]');
    await info.waitFor();
    const text = (await info.textContent()) ?? '';
    assert.ok(build.version && text.includes(build.version), `build info: ${text}`);
    assert.match(text, /Version/);
    await page.locator('.tile').first().waitFor();
    assert.match((await page.locator('#tsdb').textContent()) ?? '', /Head series/);
    const yaml = page.locator('[data-testid=config-yaml]');
    await yaml.waitFor();
    assert.match((await yaml.textContent()) ?? '', /job_name: unreachable/);
    await page.close();
  });
});
