/**
 * Traces UI end to end: headless Chromium drives the built UI served by a real Sextant; spans arrive through
 * the real OTLP/HTTP route, log lines through the real Loki push API, service-graph metrics through the real
 * span-metrics generator, and everything is read back through the Tempo, Jaeger, Loki and Prometheus APIs.
 * One trace has 1,500 spans: it must render quickly and scroll to its last span with a windowed DOM.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ensureFreshUi, launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestSextant, type TestSextant } from '../support/sextant.js';

let sextant: TestSextant;
let ui: TestBrowser;

const BIG = 'b1'.repeat(16);
const SMALL = 'a1'.repeat(16);
const BIG_SPANS = 1500;

interface SpanSpec {
  traceId: string;
  spanId: string;
  parent?: string;
  name: string;
  kind: number;
  startMs: number;
  durMs: number;
  error?: boolean;
  attrs?: Record<string, string | number>;
  events?: { name: string; atMs: number }[];
}

const sid = (n: number): string => n.toString(16).padStart(16, '0');

async function sendSpans(service: string, spans: SpanSpec[]): Promise<void> {
  const kv = (a: Record<string, string | number>) =>
    Object.entries(a).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } }));
  const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
  const body = {
    resourceSpans: [
      {
        resource: { attributes: kv({ 'service.name': service, 'host.name': 'ui-test-host' }) },
        scopeSpans: [
          {
            scope: { name: 'ui-test', version: '1.0' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parent,
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: ns(s.startMs),
              endTimeUnixNano: ns(s.startMs + s.durMs),
              attributes: kv(s.attrs ?? {}),
              events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: ns(e.atMs), attributes: kv({ 'cache.key': 'user-42' }) })),
              status: s.error ? { code: 2, message: 'payment declined' } : {},
            })),
          },
        ],
      },
    ],
  };
  const res = await fetch(`${sextant.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `OTLP export: ${res.status} ${await res.text()}`);
}

describe('Traces UI', { timeout: 240_000 }, () => {
  before(async () => {
    ensureFreshUi();
    sextant = await startTestSextant();
    ui = await launchBrowser({ viewport: { width: 1400, height: 950 }, onPageError: 'throw' });
    const now = Date.now() - 60_000;
    // A small trace across two services: frontend (server → client) → payments (server, failing).
    await sendSpans('frontend', [
      { traceId: SMALL, spanId: sid(1), name: 'POST /checkout', kind: 2, startMs: now, durMs: 420, attrs: { 'http.method': 'POST', 'http.status_code': 502 } },
      { traceId: SMALL, spanId: sid(2), parent: sid(1), name: 'call payments', kind: 3, startMs: now + 10, durMs: 400 },
      { traceId: SMALL, spanId: sid(4), parent: sid(1), name: 'render', kind: 1, startMs: now + 15, durMs: 3 },
    ]);
    await sendSpans('payments', [
      {
        traceId: SMALL,
        spanId: sid(3),
        parent: sid(2),
        name: 'charge card',
        kind: 2,
        startMs: now + 20,
        durMs: 380,
        error: true,
        attrs: { 'payment.provider': 'acme', 'http.status_code': 500 },
        events: [{ name: 'retrying', atMs: now + 200 }],
      },
    ]);
    // A big trace: a root and 1,499 spans, each a child of the previous ten (a deep, wide tree).
    const big: SpanSpec[] = [{ traceId: BIG, spanId: sid(1), name: 'batch job', kind: 2, startMs: now - 5000, durMs: 4000 }];
    for (let i = 2; i <= BIG_SPANS; i++) {
      big.push({ traceId: BIG, spanId: sid(i), parent: sid(Math.max(1, i - 1 - (i % 10))), name: `step ${i}`, kind: 1, startMs: now - 5000 + i * 2, durMs: 1 + (i % 7) });
    }
    for (let i = 0; i < big.length; i += 500) await sendSpans('batch', big.slice(i, i + 500));
    // Log lines written during the small trace, carrying its id as structured metadata.
    const push = await fetch(`${sextant.url}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        streams: [
          { stream: { service_name: 'payments', job: 'payments' }, values: [[`${now + 250}000000`, 'level=error msg="card declined by acme"', { trace_id: SMALL }]] },
          { stream: { service_name: 'payments', job: 'payments' }, values: [[`${now + 260}000000`, 'level=info msg="unrelated line"', { trace_id: 'cc'.repeat(16) }]] },
        ],
      }),
    });
    assert.equal(push.status, 204);
    // Two flushes of the span-metrics generator, with more calls in between, so the service graph has a rate.
    await sextant.spanMetrics.flush();
    await new Promise((r) => setTimeout(r, 1100));
    const t2 = 'a2'.repeat(16);
    await sendSpans('frontend', [{ traceId: t2, spanId: sid(11), name: 'call payments', kind: 3, startMs: Date.now() - 500, durMs: 50 }]);
    await sendSpans('payments', [{ traceId: t2, spanId: sid(12), parent: sid(11), name: 'charge card', kind: 2, startMs: Date.now() - 490, durMs: 30, error: true }]);
    await sextant.spanMetrics.flush();
  });

  after(async () => {
    await ui?.close();
    await sextant?.stop();
  });

  test('search form: service and duration find the trace; results show spans and errors; the scatter plot is drawn', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/traces`);
    await page.locator('[data-testid="empty-state"]').waitFor();
    await page.locator('[data-testid="service-select"] option[value="frontend"]').waitFor({ state: 'attached' });
    await page.selectOption('[data-testid="service-select"]', 'frontend');
    await page.locator('[data-testid="operation-select"] option[value="POST /checkout"]').waitFor({ state: 'attached' });
    await page.selectOption('[data-testid="operation-select"]', 'POST /checkout');
    await page.fill('[data-testid="min-duration"]', '100ms');
    await page.click('[data-testid="traces-search"]');
    await page.locator('[data-testid="trace-result"]').first().waitFor();
    assert.equal(await page.locator('[data-testid="trace-result"]').count(), 1);
    const row = await page.locator('[data-testid="trace-result"]').first().innerText();
    assert.match(row, /frontend\s+POST \/checkout\s+420 ms\s+4\s+1/);
    await page.locator('[data-testid="trace-scatter"] canvas').first().waitFor();
    // The URL holds the search, so reloading reproduces it.
    assert.match(page.url(), /service=frontend/);
    assert.match(page.url(), /minDuration=100ms/);
    await page.fill('[data-testid="min-duration"]', '1s');
    await page.click('[data-testid="traces-search"]');
    await page.getByText('No traces found').waitFor();
    await page.close();
  });

  test('TraceQL: a structural query finds the failing call; an invalid query shows the position', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/traces?mode=traceql&range=1h`);
    await page.locator('.cm-content').click();
    await page.keyboard.insertText('{ resource.service.name = "frontend" } >> { status = error && span.payment.provider = "acme" }');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="trace-result"]').first().waitFor();
    // The page may still show the previous listing for a moment; the TraceQL answer is exactly one trace.
    for (let i = 0; i < 100 && (await page.locator('[data-testid="trace-result"]').count()) !== 1; i++) await page.waitForTimeout(100);
    assert.equal(await page.locator('[data-testid="trace-result"]').count(), 1);
    // Highlighting comes from the lezer-traceql grammar.
    assert.ok((await page.locator('.cm-content span').count()) > 3, 'the query is highlighted');
    await page.locator('[data-testid="trace-result-link"]').first().click();
    await page.waitForURL(new RegExp(`/traces/${SMALL}`));
    await page.goto(`${sextant.url}/traces?mode=traceql&q=${encodeURIComponent('{ .a = }')}&range=1h`);
    const err = page.locator('[data-testid="error-state"]');
    await err.waitFor();
    assert.match(await err.innerText(), /position \d+/);
    await page.close();
  });

  test('trace view: waterfall with services, critical path, collapsible subtree, span details and the trace\'s logs', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/traces/${SMALL}`);
    await page.locator('[data-testid="span-row"]').first().waitFor();
    assert.match(await page.locator('[data-testid="trace-stats"]').innerText(), /4 spans[\s\S]*2 services[\s\S]*1 errors/);
    const names = await page.locator('[data-testid="span-row"] .wf-op').allInnerTexts();
    assert.deepEqual(names, ['POST /checkout', 'call payments', 'charge card', 'render']);
    // The root waited on the payments call, not on render.
    const critical = await page.locator('[data-testid="span-row"]:has(.wf-bar.critical) .wf-op').allInnerTexts();
    assert.deepEqual(critical, ['POST /checkout', 'call payments', 'charge card']);
    // Keyboard: focus the waterfall, move down to "charge card", open its details.
    await page.locator('[data-testid="waterfall-body"]').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
    const details = page.locator('[data-testid="span-details"]');
    await details.waitFor();
    const text = await details.innerText();
    assert.match(text, /payments[\s\S]*charge card/);
    assert.match(text, /payment declined/);
    assert.match(text, /payment\.provider\s+acme/);
    assert.match(text, /retrying[\s\S]*cache\.key\s+user-42/);
    assert.match(text, /host\.name\s+ui-test-host/);
    // Collapse the root: only it stays.
    await page.locator('[data-testid="span-row"]').first().locator('.wf-toggle').click();
    assert.equal(await page.locator('[data-testid="span-row"]').count(), 1);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('[data-testid="span-row"]').count(), 4);
    // The trace's logs: only the line carrying this trace id.
    const logs = page.locator('[data-testid="trace-logs"]');
    await logs.getByText('card declined by acme').waitFor();
    assert.doesNotMatch(await logs.innerText(), /unrelated line/);
    assert.match(await logs.innerText(), /trace_id="a1a1/);
    // Escape closes the span details.
    await page.locator('[data-testid="span-row"]').nth(2).click();
    await details.waitFor();
    await page.keyboard.press('Escape');
    await details.waitFor({ state: 'detached' });
    await page.close();
  });

  test(`a trace of ${BIG_SPANS} spans renders fast, keeps the DOM small and scrolls to its last span`, async () => {
    const page = await ui.newPage();
    const t0 = Date.now();
    await page.goto(`${sextant.url}/traces/${BIG}`);
    await page.locator('[data-testid="span-row"]').first().waitFor();
    const renderMs = Date.now() - t0;
    assert.match(await page.locator('[data-testid="trace-span-count"]').innerText(), new RegExp(`${BIG_SPANS} spans`));
    assert.ok(renderMs < 5000, `rendered in ${renderMs} ms`);
    const inDom = await page.locator('[data-testid="span-row"]').count();
    assert.ok(inDom > 10 && inDom < 120, `${inDom} rows in the DOM`);
    // Scroll through the whole waterfall in steps, timing each step's frame.
    const frameMs = await page.locator('[data-testid="waterfall-body"]').evaluate(async (el: unknown) => {
      const e = el as { scrollTop: number; scrollHeight: number; clientHeight: number };
      const g = globalThis as unknown as { requestAnimationFrame(cb: () => void): void; performance: { now(): number } };
      const times: number[] = [];
      while (e.scrollTop + e.clientHeight < e.scrollHeight - 1) {
        const s = g.performance.now();
        e.scrollTop += 700;
        await new Promise<void>((r) => g.requestAnimationFrame(() => g.requestAnimationFrame(() => r())));
        times.push(g.performance.now() - s);
      }
      times.sort((a, b) => a - b);
      return { median: times[Math.floor(times.length / 2)], max: times[times.length - 1], steps: times.length };
    });
    assert.ok(frameMs.steps > 30, `scrolled in ${frameMs.steps} steps`);
    assert.ok(frameMs.median < 100, `median scroll step ${frameMs.median.toFixed(1)} ms (max ${frameMs.max.toFixed(1)} ms)`);
    // The last row in depth-first order is the last child of the deepest-last chain: find it from the data.
    const lastId = await page.evaluate(async (id: string) => {
      const r = await fetch(`/jaeger/api/traces/${id}`);
      const j = (await r.json()) as { data: { spans: { spanID: string; startTime: number; references: { spanID: string }[] }[] }[] };
      const spans = j.data[0].spans;
      const kids = new Map<string, { spanID: string; startTime: number }[]>();
      let root = '';
      for (const s of spans) {
        const p = s.references[0]?.spanID;
        if (!p) root = s.spanID;
        else kids.set(p, [...(kids.get(p) ?? []), s]);
      }
      let cur = root;
      for (;;) {
        const k = (kids.get(cur) ?? []).sort((a, b) => a.startTime - b.startTime);
        if (k.length === 0) return cur;
        cur = k[k.length - 1].spanID;
      }
    }, BIG);
    await page.locator(`[data-testid="span-row"][data-span-id="${lastId}"]`).waitFor();
    assert.ok(await page.locator(`[data-testid="span-row"][data-span-id="${lastId}"]`).isVisible());
    // End/Home keys jump too.
    await page.locator('[data-testid="waterfall-body"]').focus();
    await page.keyboard.press('Home');
    await page.locator(`[data-testid="span-row"][data-span-id="${sid(1)}"]`).waitFor();
    console.log(`# ${BIG_SPANS}-span trace: first rows after ${renderMs} ms, ${inDom} rows in the DOM, scroll step median ${frameMs.median.toFixed(1)} ms, max ${frameMs.max.toFixed(1)} ms`);
    await page.close();
  });

  test('service map: nodes and an edge with request and error rates; a service lists exemplar traces (metrics → trace) and links to its traces', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/service-map`);
    const edge = page.locator('[data-testid="service-edge"][data-client="frontend"][data-server="payments"]');
    await edge.waitFor();
    const label = await edge.locator('text').textContent();
    assert.match(label ?? '', /\/s · \d+(\.\d)?% err/);
    assert.deepEqual((await page.locator('[data-testid="service-node"]').evaluateAll((ns) => ns.map((n) => (n as unknown as { dataset: { service: string } }).dataset.service))).sort(), ['frontend', 'payments']);
    // Selecting a service lists its slowest recent requests from the latency exemplars; each opens its trace.
    await page.locator('[data-testid="service-node"][data-service="payments"]').click();
    const panel = page.locator('[data-testid="service-panel"]');
    await panel.locator('[data-testid="exemplar-row"]').first().waitFor();
    const first = await panel.locator('[data-testid="exemplar-row"]').first().innerText();
    assert.match(first, /charge card\s+380 ms/);
    await panel.locator('[data-testid="exemplar-trace-link"]').first().click();
    await page.waitForURL(new RegExp(`/traces/${SMALL}`));
    await page.locator('[data-testid="span-row"]').first().waitFor();
    await page.goBack();
    await page.locator('[data-testid="service-node"][data-service="payments"]').focus();
    await page.keyboard.press('Enter');
    // Escape closes the service's panel; Enter on the still-focused node opens it again.
    await page.locator('[data-testid="service-panel"]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="service-panel"]').waitFor({ state: 'detached' });
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="service-traces-link"]').click();
    await page.waitForURL(/\/traces\?service=payments/);
    await page.close();
  });

  test('an unknown trace id says it was not found and offers the log search', async () => {
    const page = await ui.newPage();
    await page.goto(`${sextant.url}/traces/${'de'.repeat(16)}`);
    await page.getByText('Trace not found').waitFor();
    assert.ok(await page.locator('[data-testid="trace-log-search"]').isVisible());
    await page.close();
  });
});
