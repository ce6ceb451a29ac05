/**
 * Logs page end to end: headless Chromium drives the built UI served by a real Sextant; the lines are pushed
 * through the real Loki push API and read back through the real Loki query API and log store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ensureFreshUi, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestSextant, type TestSextant } from '../support/sextant.js';

let sextant: TestSextant;
let ui: TestBrowser;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

async function push(streams: { stream: Record<string, string>; values: unknown[][] }[]): Promise<void> {
  const res = await fetch(`${sextant.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ streams }) });
  assert.equal(res.status, 204, `push: ${res.status} ${await res.text()}`);
}

const ns = (ms: number): string => `${ms}000000`;

async function typeQuery(page: Page, text: string): Promise<void> {
  await page.waitForSelector('.cm-content');
  await page.click('.cm-content');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.insertText(text);
}

describe('Logs UI', { timeout: 180_000 }, () => {
  before(async () => {
    ensureFreshUi();
    sextant = await startTestSextant();
    ui = await launchBrowser({ viewport: { width: 1280, height: 900 }, onPageError: 'throw' });
    const now = Date.now();
    const levels = ['info', 'info', 'warn', 'error', 'debug'];
    // 3000 lines over the last 20 minutes: enough that only a window of rows may be in the DOM.
    const values: unknown[][] = [];
    for (let i = 0; i < 3000; i++) {
      const t = now - 20 * 60_000 + i * 300;
      values.push([ns(t), JSON.stringify({ level: levels[i % levels.length], msg: `request ${i} done`, status: 200 + (i % 3) * 100, i })]);
    }
    await push([
      { stream: { job: 'ui-logs', pod: 'web-1' }, values },
      { stream: { job: 'ui-logs', pod: 'web-2' }, values: [[ns(now - 30_000), 'level=error msg="payment failed" newest=yes', { trace_id: TRACE_ID }]] },
    ]);
  });

  after(async () => {
    await ui?.close();
    await sextant?.stop();
  });

  test('a log query shows the volume histogram and the lines newest first, windowed, level-coloured', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/logs?range=1h`);
    await typeQuery(page, '{job="ui-logs"}');
    await page.keyboard.press('Shift+Enter');
    await page.locator('[data-testid="log-row"]').first().waitFor();
    const stats = await page.locator('[data-testid="logs-stats"]').innerText();
    assert.match(stats, /1000 lines/);
    const first = page.locator('[data-testid="log-row"]').first();
    assert.match(await first.innerText(), /payment failed/);
    assert.equal(await first.getAttribute('data-level'), 'error');
    const second = page.locator('[data-testid="log-row"]').nth(1);
    assert.match(await second.innerText(), /request 2999 done/);
    // Windowed: far fewer rows in the DOM than lines returned.
    const inDom = await page.locator('[data-testid="log-row"]').count();
    assert.ok(inDom > 10 && inDom < 200, `${inDom} rows in the DOM`);
    // Scrolling to the bottom brings the oldest returned line (2000 = 2999 - 999 + ... the 1000th newest).
    await page.locator('[data-testid="log-list"]').evaluate((el: unknown) => {
      const e = el as { scrollTop: number; scrollHeight: number };
      e.scrollTop = e.scrollHeight;
    });
    await page.getByText('request 2001 done').waitFor();
    // The volume histogram is drawn.
    const canvas = page.locator('[data-testid="log-volume"] canvas').first();
    await canvas.waitFor();
    assert.ok(await page.locator('.log-volume-legend').innerText().then((t) => /error/.test(t) && /info/.test(t)));
    await page.close();
  });

  test('a row expands to labels, structured metadata and detected fields; the trace id links to the trace view and back to its logs', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/logs?${new URLSearchParams({ query: '{job="ui-logs"} |= "payment"', range: '1h' })}`);
    const row = page.locator('[data-testid="log-row"]').first();
    await row.waitFor();
    await row.locator('.log-row-main').click();
    const details = page.locator('[data-testid="log-details"]');
    await details.waitFor();
    const text = await details.innerText();
    assert.match(text, /Stream labels/);
    assert.match(text, /web-2/);
    assert.match(text, /Structured metadata[\s\S]*trace_id[\s\S]*4bf92f3577b34da6a3ce929d0e0e4736/);
    assert.match(text, /Detected fields \(logfmt\)[\s\S]*newest[\s\S]*yes/);
    // Escape folds it away again.
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    await row.locator('.log-row-main').click();
    await page.locator('[data-testid="trace-link"]').click();
    await page.waitForURL(/\/traces\/4bf92f3577b34da6a3ce929d0e0e4736/);
    // No spans are stored for this id: the trace view says so and offers the log search the link carried.
    assert.match(await page.locator('main').innerText(), /Trace not found/);
    await page.locator('[data-testid="trace-log-search"]').click();
    await page.waitForURL(/\/logs\?/);
    await page.locator('[data-testid="log-row"]').first().waitFor();
    assert.match(await page.locator('[data-testid="log-row"]').first().innerText(), /payment failed/);
    await page.close();
  });

  test('a metric query draws a graph; a bad query shows the parser position; no match says what to do', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/logs?range=1h`);
    await typeQuery(page, 'sum by (pod) (count_over_time({job="ui-logs"}[1m]))');
    await page.keyboard.press('Shift+Enter');
    await page.locator('.graph canvas').first().waitFor();
    assert.match(await page.locator('[data-testid="logs-stats"]').innerText(), /2 series/);

    await typeQuery(page, '{job="ui-logs"} |= ');
    await page.keyboard.press('Shift+Enter');
    const err = page.locator('[data-testid="error-state"]');
    await err.waitFor();
    assert.match(await err.innerText(), /parse error at line 1, col 19: syntax error: unexpected end of query/);

    await typeQuery(page, '{job="ui-logs"} |= "no-such-text"');
    await page.keyboard.press('Shift+Enter');
    await page.getByText('No lines').waitFor();
    assert.match(await page.locator('[data-testid="empty-state"]').innerText(), /Widen the time range/);
    await page.close();
  });

  test('live tail shows lines pushed after it started', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/logs?${new URLSearchParams({ query: '{job="ui-live"}', range: '5m' })}`);
    await page.locator('[data-testid="live-toggle"]').click();
    await page.getByText('Waiting for new lines').waitFor();
    await push([{ stream: { job: 'ui-live' }, values: [[ns(Date.now()), 'level=warn msg="tailed line one"']] }]);
    await page.getByText('tailed line one').waitFor({ timeout: 15_000 });
    await push([{ stream: { job: 'ui-live' }, values: [[ns(Date.now()), 'level=info msg="tailed line two"']] }]);
    await page.getByText('tailed line two').waitFor({ timeout: 15_000 });
    const rows = page.locator('[data-testid="log-row"]');
    assert.match(await rows.first().innerText(), /tailed line two/, 'newest first');
    await page.close();
  });

  test('dragging across the histogram zooms the time range', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/logs?${new URLSearchParams({ query: '{job="ui-logs"}', range: '1h' })}`);
    const over = page.locator('[data-testid="log-volume"] .u-over');
    await over.waitFor();
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForURL(/end=\d+/);
    const url = new URL(page.url());
    const range = url.searchParams.get('range')!;
    assert.notEqual(range, '1h');
    // About a fifth of the hour was selected.
    assert.match(range, /^(\d+m)?(\d+s)?(\d+ms)?$/);
    assert.match(range, /^1[0-4]m/);
    // The pinned end shows in the end picker, and "Back to now" clears it.
    const endInput = page.locator('[data-testid="logs-end"]');
    assert.match(await endInput.inputValue(), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    await page.getByRole('button', { name: 'Back to now' }).click();
    await page.waitForURL((u) => !u.searchParams.has('end'));
    await page.close();
  });
});
