/**
 * The Alerts, Rules and Silences pages in headless Chromium against a real Sextant: two unreachable
 * targets, an `up == 0` alert that fires at once, one that stays pending (for: 1h), and a rule that fails
 * at evaluation (many-to-many matching). Silences go through the built-in Alertmanager's API v2.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './backend.js';
import { ensureUiBuilt, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestSextant, type TestSextant } from '../support/sextant.js';
import { tempDir } from '../peers/process.js';

const RULES = `groups:
  - name: availability
    interval: 1s
    rules:
      - alert: InstanceDown
        expr: up == 0
        labels:
          severity: page
        annotations:
          summary: "Instance {{ $labels.instance }} down"
      - alert: LongDown
        expr: up == 0
        for: 1h
      - record: job:up:broken
        expr: up * on() up
`;

let sextant: TestSextant;
let ui: TestBrowser;


describe('alerting UI', { timeout: 120_000 }, () => {
  before(async () => {
    ensureUiBuilt();
    const dir = tempDir('ui-alerting');
    writeFileSync(join(dir, 'rules.yml'), RULES);
    writeFileSync(
      join(dir, 'sextant.yml'),
      `global:
  scrape_interval: 1s
  scrape_timeout: 500ms
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: unreachable
    static_configs:
      - targets: ['127.0.0.1:9', '127.0.0.1:7']
alertmanager_config:
  route:
    receiver: none
  receivers:
    - name: none
`,
    );
    sextant = await startTestSextant({ configFile: join(dir, 'sextant.yml') });
    ui = await launchBrowser({ viewport: { width: 1280, height: 900 }, onPageError: 'collect' });
    await waitFor('InstanceDown firing for both targets', async () => {
      const r = (await (await fetch(`${sextant.url}/api/v1/alerts`)).json()) as { data: { alerts: { state: string; labels: Record<string, string> }[] } };
      return r.data.alerts.filter((a) => a.state === 'firing' && a.labels.alertname === 'InstanceDown').length === 2;
    }, 30_000);
  });
  beforeEach(() => {
    ui.resetPageErrors();
  });
  afterEach(() => {
    assert.deepEqual(ui.pageErrors, [], 'uncaught errors in the page');
  });
  after(async () => {
    await ui?.close();
    await sextant?.stop();
  });

  test('Alerts: firing and pending alerts grouped by file and group, with labels, annotations, active since and value', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/alerts`);
    await page.waitForSelector('[data-testid="alert-group"]');
    assert.match(await page.textContent('[data-testid="alert-group"] h2') ?? '', /availability.*rules\.yml/);
    const names = await page.$$eval('[data-testid="alert-rule-name"]', (els) => els.map((e) => e.textContent));
    assert.deepEqual(names, ['InstanceDown', 'LongDown']);
    const states = await page.$$eval('[data-testid="alert-rule-state"]', (els) => els.map((e) => e.textContent));
    assert.deepEqual(states, ['FIRING', 'PENDING']);
    const summaries = await page.$$eval('[data-testid="annotation-summary"]', (els) => els.map((e) => e.textContent).sort());
    assert.deepEqual(summaries, ['Instance 127.0.0.1:7 down', 'Instance 127.0.0.1:9 down']);
    assert.equal(await page.locator('[data-testid="alert-row"]').count(), 4);
    assert.match(await page.locator('[data-testid="alert-active-since"]').first().textContent() ?? '', /active since .*ago|just now/);
    assert.equal((await page.locator('[data-testid="alert-value"]').first().textContent())?.trim(), '0e+00');
    assert.match(await page.textContent('[data-testid="alerts-summary"]') ?? '', /2 alerting rules · 2 firing · 2 pending/);
    // The nav shows the new sections.
    for (const label of ['Alerts', 'Rules', 'Silences']) assert.equal(await page.locator('nav .nav-item', { hasText: label }).count(), 1);
    await page.close();
  });

  test('Rules: health, last evaluation, evaluation time and the evaluation error', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/rules`);
    await page.waitForSelector('[data-testid="rule-row"]');
    await page.locator('[data-testid="rule-error"]').first().waitFor({ timeout: 10_000 });
    const rows = await page.$$eval('[data-testid="rule-row"]', (els) =>
      els.map((e) => ({ name: e.querySelector('[data-testid="rule-name"]')?.textContent, health: e.querySelector('[data-testid="rule-health"]')?.textContent, error: e.querySelector('[data-testid="rule-error"]')?.textContent ?? '' })),
    );
    assert.deepEqual(rows.map((r) => [r.name, r.health]), [['InstanceDown', 'OK'], ['LongDown', 'OK'], ['job:up:broken', 'ERR']]);
    assert.match(rows[2].error, /many-to-many|duplicate/);
    assert.match(await page.textContent('[data-testid="rule-group"]') ?? '', /every 1s · last .* · took/);
    await page.close();
  });

  test('Silences: create from an alert (prefilled matchers), listed as active, expire', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/alerts`);
    await page.waitForSelector('[data-testid="silence-alert"]');
    await page.locator('[data-testid="silence-alert"]').first().click();
    await page.waitForSelector('[data-testid="silence-form"]');
    const prefilled = await page.inputValue('[data-testid="silence-matchers"]');
    assert.match(prefilled, /^alertname="InstanceDown"$/m);
    assert.match(prefilled, /^instance="127\.0\.0\.1:[79]"$/m);
    await page.fill('input[aria-label="Created by"]', 'ops');
    await page.fill('input[aria-label="Comment"]', 'planned maintenance');
    await page.click('[data-testid="create-silence"]');
    await page.waitForSelector('[data-testid="silence-row"]');
    assert.equal((await page.textContent('[data-testid="silence-state"]'))?.trim(), 'ACTIVE');
    assert.match(await page.textContent('[data-testid="silence-row"]') ?? '', /planned maintenance/);
    const api = (await (await fetch(`${sextant.url}/alertmanager/api/v2/silences`)).json()) as { id: string; status: { state: string }; createdBy: string; matchers: { name: string }[] }[];
    assert.equal(api.length, 1);
    assert.equal(api[0].createdBy, 'ops');
    assert.ok(api[0].matchers.some((m) => m.name === 'alertname'));
    // The silenced alert shows as suppressed in the Alertmanager API (the notifier delivered it).
    await waitFor('alert suppressed', async () => {
      const alerts = (await (await fetch(`${sextant.url}/alertmanager/api/v2/alerts?active=false`)).json()) as unknown[];
      return alerts.length === 1;
    });

    // A bad matcher is reported, not sent.
    await page.click('[data-testid="new-silence"]');
    await page.fill('[data-testid="silence-matchers"]', 'job=~".*"');
    await page.fill('input[aria-label="Created by"]', 'ops');
    await page.fill('input[aria-label="Comment"]', 'too broad');
    // Ctrl+Enter submits from the matchers (where Enter is a new line); Escape closes the form.
    await page.focus('[data-testid="silence-matchers"]');
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('[data-testid="error-state"]');
    assert.match(await page.textContent('[data-testid="error-state"]') ?? '', /must not match the empty string/);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="silence-form"]').waitFor({ state: 'detached' });

    await page.click('[data-testid="expire-silence"]');
    await page.locator('[data-testid="silence-row"]').first().waitFor({ state: 'detached' });
    await page.click('text=Show expired');
    assert.equal((await page.textContent('[data-testid="silence-state"]'))?.trim(), 'EXPIRED');
    const after = (await (await fetch(`${sextant.url}/alertmanager/api/v2/silences`)).json()) as { status: { state: string } }[];
    assert.equal(after[0].status.state, 'expired');
    await page.close();
  });
});
