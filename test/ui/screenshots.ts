/**
 * Screenshots of every page, light and dark, against a real Sextant seeded with metrics (it scrapes itself and
 * this host), log lines and traces — for reviewing the UI by eye and for the README's images.
 *
 *   npx tsx test/ui/screenshots.ts [--out DIR] [--warm SECONDS] [--docs]
 *
 * --docs also writes docs/images/{explore,logs,traces}.png (light theme). Not a test: nothing is asserted.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ensureFreshUi, launchBrowser, REPO_ROOT } from '../support/browser.js';
import { startTestSextant, type TestSextant } from '../support/sextant.js';

const { values: args } = parseArgs({
  options: { out: { type: 'string', default: '/tmp/sextant-shots' }, warm: { type: 'string', default: '60' }, docs: { type: 'boolean', default: false } },
});

const ns = (ms: number): string => `${Math.round(ms)}000000`;
const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0');

async function post(s: TestSextant, path: string, body: unknown, want: number): Promise<void> {
  const res = await fetch(s.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== want) throw new Error(`${path}: ${res.status} ${await res.text()}`);
}

/** Half an hour of lines from three services at realistic levels, some carrying a trace id. */
async function seedLogs(s: TestSextant, traceIds: string[]): Promise<void> {
  const now = Date.now();
  const levels = ['info', 'info', 'info', 'debug', 'warn', 'info', 'error'];
  const paths = ['/api/cart', '/api/checkout', '/api/items', '/healthz'];
  const streams = ['checkout', 'cart', 'payments'].map((svc, si) => {
    const values: unknown[][] = [];
    for (let i = 0; i < 900; i++) {
      const t = now - 30 * 60_000 + i * 2000 + si * 300;
      const level = levels[(i * 3 + si) % levels.length]!;
      const status = level === 'error' ? 500 : level === 'warn' ? 429 : 200;
      const line =
        si === 1
          ? JSON.stringify({ level, msg: level === 'error' ? 'redis timeout' : 'cart updated', path: paths[i % paths.length], status, duration_ms: (i * 37) % 400 })
          : `level=${level} msg="${level === 'error' ? 'payment declined' : 'request served'}" path=${paths[i % paths.length]} status=${status} duration=${(i * 13) % 300}ms`;
      values.push(i % 50 === 0 && traceIds.length ? [ns(t), line, { trace_id: traceIds[(i / 50) % traceIds.length]! }] : [ns(t), line]);
    }
    return { stream: { job: svc, service_name: svc, namespace: 'shop', pod: `${svc}-7d9f-${si}x` }, values };
  });
  await post(s, '/loki/api/v1/push', { streams }, 204);
}

/** Forty checkout traces over the last half hour across three services; some slow, some failing. */
async function seedTraces(s: TestSextant): Promise<string[]> {
  const now = Date.now() - 60_000;
  const ids: string[] = [];
  const kv = (a: Record<string, string | number>) => Object.entries(a).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
  const bySvc = new Map<string, unknown[]>();
  const add = (svc: string, span: unknown) => bySvc.set(svc, [...(bySvc.get(svc) ?? []), span]);
  for (let i = 0; i < 40; i++) {
    const traceId = randomBytes(16).toString('hex');
    ids.push(traceId);
    const t0 = now - 30 * 60_000 + i * 45_000;
    const slow = i % 9 === 4;
    const failed = i % 7 === 3;
    const dur = (slow ? 1400 : 80) + ((i * 53) % 120);
    const span = (id: number, parent: number | null, name: string, kind: number, start: number, d: number, attrs: Record<string, string | number>, error = false) => ({
      traceId,
      spanId: hex(i * 100 + id, 16),
      parentSpanId: parent === null ? undefined : hex(i * 100 + parent, 16),
      name,
      kind,
      startTimeUnixNano: ns(start),
      endTimeUnixNano: ns(start + d),
      attributes: kv(attrs),
      status: error ? { code: 2, message: 'card declined' } : {},
    });
    add('frontend', span(1, null, 'POST /checkout', 2, t0, dur, { 'http.method': 'POST', 'http.route': '/checkout', 'http.status_code': failed ? 502 : 200 }, failed));
    add('frontend', span(2, 1, 'GET cart', 3, t0 + 5, 30, { 'http.method': 'GET' }));
    add('cart', span(3, 2, 'GET /cart', 2, t0 + 8, 24, { 'http.route': '/cart' }));
    add('cart', span(4, 3, 'redis GET', 3, t0 + 10, 6, { 'db.system': 'redis' }));
    add('frontend', span(5, 1, 'charge', 3, t0 + 40, dur - 50, {}));
    add('payments', span(6, 5, 'POST /charge', 2, t0 + 44, dur - 60, { 'payment.provider': 'acme' }, failed));
    add('payments', span(7, 6, 'acme authorize', 3, t0 + 50, dur - 80, { 'peer.service': 'acme' }, failed));
  }
  for (const [svc, spans] of bySvc) {
    await post(s, '/v1/traces', { resourceSpans: [{ resource: { attributes: kv({ 'service.name': svc, 'k8s.namespace.name': 'shop' }) }, scopeSpans: [{ scope: { name: 'shots' }, spans }] }] }, 200);
  }
  await s.spanMetrics.flush();
  return ids;
}

async function shoot(page: Page, name: string, dark: boolean): Promise<string> {
  await page.waitForTimeout(400); // let canvases and lazy chunks settle
  const file = join(args.out!, `${name}-${dark ? 'dark' : 'light'}.png`);
  await page.screenshot({ path: file });
  return file;
}

async function typeQuery(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('Escape');
}

const CPU = 'sum by (mode) (rate(node_cpu_seconds_total{mode!="idle"}[10s]))';

async function main(): Promise<void> {
  mkdirSync(args.out!, { recursive: true });
  ensureFreshUi();
  const s = await startTestSextant();
  const ui = await launchBrowser({ viewport: { width: 1440, height: 900 }, onPageError: 'collect' });
  try {
    const traceIds = await seedTraces(s);
    await seedLogs(s, traceIds);
    await new Promise((r) => setTimeout(r, Number(args.warm) * 1000));
    await s.spanMetrics.flush();
    const url = s.url;
    for (const dark of [false, true]) {
      const page = await ui.browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: dark ? 'dark' : 'light' });
      page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
      const go = async (path: string, ready: string) => {
        await page.goto(url + path);
        await page.locator(ready).first().waitFor({ timeout: 20_000 });
      };
      await go('/explore', '[data-testid=empty-state]');
      await shoot(page, 'explore-empty', dark);
      await go(`/explore?${new URLSearchParams({ 'g0.expr': CPU, 'g0.range_input': '5m' })}`, '.graph canvas');
      const over = await page.locator('.u-over').boundingBox();
      if (over) await page.mouse.move(over.x + over.width * 0.8, over.y + over.height * 0.3);
      const explore = await shoot(page, 'explore', dark);
      await go(`/explore?${new URLSearchParams({ 'g0.expr': 'rate(up)' })}`, '[data-testid=error-state]');
      await shoot(page, 'explore-error', dark);
      await go('/logs', '[data-testid=empty-state]');
      await shoot(page, 'logs-empty', dark);
      await go(`/logs?${new URLSearchParams({ query: '{namespace="shop"}', range: '1h' })}`, '[data-testid=log-row]');
      await page.locator('[data-testid=log-volume] canvas').first().waitFor();
      await page.locator('[data-testid=log-row] .log-row-main').nth(2).click();
      const logs = await shoot(page, 'logs', dark);
      await go(`/logs?${new URLSearchParams({ query: '{job="checkout"} |= ' })}`, '[data-testid=error-state]');
      await shoot(page, 'logs-error', dark);
      await go('/traces', '[data-testid=empty-state]');
      await shoot(page, 'traces-empty', dark);
      await go(`/traces?${new URLSearchParams({ service: 'frontend', range: '1h' })}`, '[data-testid=trace-result]');
      await page.locator('[data-testid=trace-scatter] canvas').first().waitFor();
      const traces = await shoot(page, 'traces', dark);
      await go(`/traces/${traceIds[3]}`, '[data-testid=span-row]');
      await page.locator('[data-testid=span-row]').nth(5).click();
      await shoot(page, 'trace-view', dark);
      await go('/service-map', '[data-testid=service-node]');
      await page.locator('[data-testid=service-node][data-service=payments]').click();
      await page.locator('[data-testid=service-panel]').waitFor();
      await shoot(page, 'service-map', dark);
      for (const p of ['alerts', 'rules', 'silences', 'targets', 'status']) {
        await page.goto(`${url}/${p}`);
        await page.waitForLoadState('networkidle').catch(() => undefined);
        await shoot(page, p, dark);
      }
      await page.goto(url + '/explore');
      await typeQuery(page, 'up');
      await page.getByRole('button', { name: 'Metrics explorer' }).click();
      await page.locator('.metric-list li').first().waitFor();
      await shoot(page, 'metrics-explorer', dark);
      if (args.docs && !dark) {
        const { copyFileSync } = await import('node:fs');
        for (const [src, dst] of [[explore, 'explore.png'], [logs, 'logs.png'], [traces, 'traces.png']] as const) copyFileSync(src, join(REPO_ROOT, 'docs', 'images', dst));
      }
      await page.close();
    }
    if (ui.pageErrors.length) console.error(`page errors:\n${ui.pageErrors.join('\n')}`);
    console.log(`screenshots in ${args.out}`);
  } finally {
    await ui.close();
    await s.stop();
  }
}

await main();
