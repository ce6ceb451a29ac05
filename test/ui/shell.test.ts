/**
 * What every page shares, in headless Chromium against a fresh real Sextant (no logs or traces sent): the
 * theme (resolved before the app loads, switchable, following the OS while on "system"), Ctrl/⌘+Enter running
 * the query from outside the editor, and the empty states that say how to send data when there is none.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ensureFreshUi, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestSextant, type TestSextant } from '../support/sextant.js';

let sextant: TestSextant;
let ui: TestBrowser;

const LIGHT_BG = 'rgb(246, 247, 249)';
const DARK_BG = 'rgb(15, 17, 21)';

async function themeOf(page: Page): Promise<{ attr: string | null; bg: string }> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as { document: { documentElement: { getAttribute(n: string): string | null }; body: object } }).document;
    const g = globalThis as unknown as { getComputedStyle(el: object): { backgroundColor: string } };
    return { attr: d.documentElement.getAttribute('data-theme'), bg: g.getComputedStyle(d.body).backgroundColor };
  });
}

describe('UI shell', { timeout: 120_000 }, () => {
  before(async () => {
    ensureFreshUi();
    sextant = await startTestSextant();
    ui = await launchBrowser({ viewport: { width: 1280, height: 860 }, onPageError: 'throw' });
  });

  after(async () => {
    await ui?.close();
    await sextant?.stop();
  });

  test('theme: the OS preference applies before the app loads and is followed while on "system"', async () => {
    const page = await ui.browser.newPage({ colorScheme: 'dark' });
    // Without the app's JavaScript the page still gets the dark palette: nothing flashes light first.
    await page.route('**/assets/*.js', (route) => route.abort());
    await page.goto(`${sextant.url}/explore`);
    assert.deepEqual(await themeOf(page), { attr: 'dark', bg: DARK_BG });
    await page.unroute('**/assets/*.js');
    await page.reload();
    await page.getByRole('button', { name: /System theme/ }).waitFor();
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document.documentElement.dataset.theme === 'light');
    assert.equal((await themeOf(page)).bg, LIGHT_BG);
    await page.close();
  });

  test('theme: the switch cycles system → light → dark → system, is remembered, and overrides the OS', async () => {
    const page = await ui.browser.newPage({ colorScheme: 'dark' });
    await page.goto(`${sextant.url}/status`);
    const sw = page.locator('.theme-switch');
    await sw.click();
    assert.match(await sw.innerText(), /Light theme/);
    assert.deepEqual(await themeOf(page), { attr: 'light', bg: LIGHT_BG });
    // Remembered across a reload, ahead of the OS's dark preference.
    await page.route('**/assets/*.js', (route) => route.abort());
    await page.reload();
    assert.deepEqual(await themeOf(page), { attr: 'light', bg: LIGHT_BG });
    await page.unroute('**/assets/*.js');
    await page.reload();
    await sw.click();
    assert.match(await sw.innerText(), /Dark theme/);
    assert.deepEqual(await themeOf(page), { attr: 'dark', bg: DARK_BG });
    // Back to system: the OS says dark here, and a change of the OS setting is followed again.
    await sw.click();
    assert.match(await sw.innerText(), /System theme/);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document.documentElement.dataset.theme === 'light');
    await page.close();
  });

  test('Ctrl+Enter runs the query from outside the editor: Explore\'s step field, the Traces form', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/explore?g0.range_input=5m`);
    await page.locator('.cm-content').click();
    await page.keyboard.insertText('count(up)');
    await page.getByPlaceholder(/auto/).click();
    await page.keyboard.press('Control+Enter');
    await page.locator('[data-testid=query-stats]').waitFor();
    assert.match(page.url(), /g0\.expr=count%28up%29/);
    // In the editor it runs once, not twice (the editor handles the key and the page does not repeat it).
    const requests: string[] = [];
    page.on('request', (r) => r.url().includes('/api/v1/query_range') && requests.push(r.url()));
    await page.locator('.cm-content').click();
    const answered = page.waitForResponse((r) => r.url().includes('/api/v1/query_range'));
    await page.keyboard.press('Control+Enter');
    await answered;
    await page.waitForTimeout(300);
    assert.equal(requests.length, 1);

    await page.goto(`${sextant.url}/traces`);
    await page.locator('[data-testid=min-duration]').fill('1ms');
    await page.locator('[data-testid=service-select]').focus();
    await page.keyboard.press('Control+Enter');
    await page.waitForURL(/minDuration=1ms/);
    await page.close();
  });

  test('a graph of hundreds of series stays responsive to the pointer and still names the series under it', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/explore?g0.expr=${encodeURIComponent('{__name__=~".+"}')}&g0.range_input=5m`);
    await page.locator('.graph canvas').waitFor();
    const stats = await page.locator('[data-testid=query-stats]').innerText();
    const n = Number(/(\d+) series/.exec(stats)?.[1]);
    assert.ok(n > 100, stats);
    const box = (await page.locator('.u-over').boundingBox())!;
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) await page.mouse.move(box.x + box.width - 100 + i * 5, box.y + box.height - 3);
    const ms = Date.now() - t0;
    await page.locator('.graph-tooltip .graph-tooltip-name').waitFor();
    assert.match(await page.locator('.graph-tooltip-name').innerText(), /\{.*\}|^[a-z_:]+$/);
    console.log(`# ${n} series: 20 pointer moves over the graph took ${ms} ms`);
    assert.ok(ms < 5000, `20 pointer moves took ${ms} ms`);
    await page.close();
  });

  test('with no logs or traces sent, Logs and Traces say where to send them', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/logs`);
    await page.getByText('No logs yet').waitFor();
    assert.equal(await page.locator('[data-testid=loki-push-url]').innerText(), `${sextant.url}/loki/api/v1/push`);
    assert.match(await page.locator('[data-testid=empty-state]').innerText(), /docs\/logs\.md/);
    // A query that finds nothing says the same: widening the range cannot help.
    await page.goto(`${sextant.url}/logs?query=${encodeURIComponent('{job="x"}')}`);
    await page.getByText('No logs yet').waitFor();

    await page.goto(`${sextant.url}/traces`);
    await page.getByText('No traces yet').waitFor();
    assert.equal(await page.locator('[data-testid=otlp-traces-url]').innerText(), `${sextant.url}/v1/traces`);
    await page.close();
  });

  test('a failing request shows the server\'s own message', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/traces?mode=traceql&q=${encodeURIComponent('{ .a = }')}`);
    const err = page.locator('[data-testid=error-state]');
    await err.waitFor();
    const res = await fetch(`${sextant.url}/tempo/api/search?q=${encodeURIComponent('{ .a = }')}`);
    const body = (await res.text()).trim();
    assert.ok(res.status >= 400, `status ${res.status}`);
    assert.ok((await err.innerText()).includes(body.length > 120 ? body.slice(0, 120) : body), `UI: ${await err.innerText()}\nserver: ${body}`);
    await page.close();
  });
});
