import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Span } from '../model.js';
import { openTraceStore } from '../store/index.js';
import { parseTraceQL, TraceQLError, parseDurationNs } from './parse.js';
import { matchTrace, searchTraceQL } from './search.js';
import { isExact, narrowings } from './plan.js';

const T0 = 1_700_000_000_000_000_000n;
const MS = 1_000_000n;

function span(traceNo: number, id: number, parent: number | undefined, over: Partial<Span> = {}): Span {
  const svc = over.serviceName ?? 'frontend';
  return {
    traceId: traceNo.toString(16).padStart(32, '0'),
    spanId: (traceNo * 100 + id).toString(16).padStart(16, '0'),
    parentSpanId: parent === undefined ? undefined : (traceNo * 100 + parent).toString(16).padStart(16, '0'),
    name: 'op',
    kind: 'internal',
    startTimeUnixNano: T0 + BigInt(traceNo) * 1000n * MS + BigInt(id) * MS,
    endTimeUnixNano: T0 + BigInt(traceNo) * 1000n * MS + BigInt(id) * MS + 10n * MS,
    attributes: {},
    events: [],
    links: [],
    status: { code: 'unset' },
    resource: { 'service.name': svc },
    scope: { name: 't' },
    serviceName: svc,
    ...over,
  };
}

/** Trace 1: frontend GET /cart (server, 300ms) → cart (client) → cart-svc server span with a 500 error. */
function trace1(): Span[] {
  return [
    span(1, 1, undefined, { name: 'GET /cart', kind: 'server', endTimeUnixNano: T0 + 1000n * MS + 300n * MS, attributes: { 'http.method': 'GET', 'http.status_code': 500 } }),
    span(1, 2, 1, { name: 'call cart', kind: 'client' }),
    span(1, 3, 2, { name: 'cart.get', kind: 'server', serviceName: 'cart', resource: { 'service.name': 'cart', region: 'eu' }, status: { code: 'error', message: 'boom' }, attributes: { 'http.status_code': 500, retry: true, ratio: 0.5 } }),
  ];
}

/** Trace 2: a fast, healthy trace in another service. */
function trace2(): Span[] {
  return [
    span(2, 1, undefined, { name: 'GET /home', kind: 'server', serviceName: 'web', resource: { 'service.name': 'web' }, attributes: { 'http.status_code': 200 } }),
    span(2, 2, 1, { name: 'render', serviceName: 'web', resource: { 'service.name': 'web' } }),
  ];
}

function ids(q: string, spans: Span[]): string[] | undefined {
  const m = matchTrace(parseTraceQL(q), spans[0].traceId, spans);
  return m?.matched.map((s) => s.name);
}

test('parses the common forms into a typed AST', () => {
  const q = parseTraceQL('{ resource.service.name = "x" && duration > 100ms }');
  assert.equal(q.root.type, 'filter');
  assert.deepEqual(narrowings(q.root), [{ serviceName: 'x', minDurationNs: 100_000_001n }]);
  const s = parseTraceQL('{ status = error } >> { span.http.status_code >= 500 } | count() > 2');
  assert.equal(s.root.type, 'pipe');
  assert.equal(isExact(q.root), true);
  assert.equal(isExact(parseTraceQL('{ .a = 1 || .b = 2 }').root), false);
  assert.equal(isExact(parseTraceQL('{ rootName = "x" }').root), false);
  assert.equal(isExact(parseTraceQL('{}').root), true);
  assert.deepEqual(narrowings(parseTraceQL('{ .a = 1 || status = error }').root), [{ conditions: [{ field: '.a', op: '=', value: 1 }] }, { status: 'error' }]);
  assert.deepEqual(narrowings(parseTraceQL('{ .a = 1 || rootName = "x" }').root), [{}]);
  assert.equal(parseDurationNs('1h30m'), 5_400_000_000_000n);
  assert.equal(parseDurationNs('1.5s'), 1_500_000_000n);
  assert.equal(parseDurationNs('abc'), undefined);
});

test('invalid TraceQL is an error with its position', () => {
  assert.throws(() => parseTraceQL('{ .a = }'), (e: unknown) => e instanceof TraceQLError && e.pos >= 2 && /position/.test(e.message));
  assert.throws(() => parseTraceQL('{ .a = 1 } | rate()'), TraceQLError);
  assert.throws(() => parseTraceQL('{ status = bogus }'), TraceQLError);
});

test('field comparisons: scopes, intrinsics, types, regex, nil, negation', () => {
  const t = trace1();
  assert.deepEqual(ids('{ resource.service.name = "cart" }', t), ['cart.get']);
  assert.deepEqual(ids('{ .service.name = "cart" }', t), ['cart.get']);
  assert.deepEqual(ids('{ span.http.status_code >= 500 }', t), ['GET /cart', 'cart.get']);
  assert.deepEqual(ids('{ .http.status_code = "500" }', t), undefined, 'a string never equals an int attribute');
  assert.deepEqual(ids('{ status = error }', t), ['cart.get']);
  assert.deepEqual(ids('{ status != error && kind = server }', t), ['GET /cart']);
  assert.deepEqual(ids('{ kind = client }', t), ['call cart']);
  assert.deepEqual(ids('{ duration > 100ms }', t), ['GET /cart']);
  assert.deepEqual(ids('{ name =~ "GET.*" }', t), ['GET /cart']);
  assert.deepEqual(ids('{ name =~ "GET" }', t), undefined, 'regex is anchored');
  assert.deepEqual(ids('{ name !~ "GET.*|call.*" }', t), ['cart.get']);
  assert.deepEqual(ids('{ .retry = true && .ratio < 1 }', t), ['cart.get']);
  assert.deepEqual(ids('{ .region = "eu" }', t), ['cart.get']);
  assert.deepEqual(ids('{ .http.method = nil && .http.status_code != nil }', t), ['cart.get']);
  assert.deepEqual(ids('{ .missing != "x" }', t), undefined, '!= needs the attribute');
  assert.deepEqual(ids('{ !(kind = server) && .http.status_code = 500 }', t), undefined);
  assert.deepEqual(ids('{ !(kind = client) && .http.status_code = 500 }', t), ['GET /cart', 'cart.get']);
  assert.deepEqual(ids('{ statusMessage = "boom" }', t), ['cart.get']);
  assert.deepEqual(ids('{ rootName = "GET /cart" && rootServiceName = "frontend" && traceDuration > 250ms && name = "call cart" }', t), ['call cart']);
  assert.deepEqual(ids('{ kind = server || kind = client }', t), ['GET /cart', 'call cart', 'cart.get']);
  assert.deepEqual(ids('{}', t)?.length, 3);
});

test('spanset operators, structure and pipelines', () => {
  const t = trace1();
  assert.deepEqual(ids('{ kind = server } && { status = error }', t), ['GET /cart', 'cart.get']);
  assert.deepEqual(ids('{ name = "nope" } && { status = error }', t), undefined);
  assert.deepEqual(ids('{ name = "nope" } || { status = error }', t), ['cart.get']);
  assert.deepEqual(ids('{ resource.service.name = "frontend" } >> { status = error }', t), ['cart.get']);
  assert.deepEqual(ids('{ name = "GET /cart" } > { status = error }', t), undefined, 'not a direct child');
  assert.deepEqual(ids('{ name = "call cart" } > { status = error }', t), ['cart.get']);
  assert.deepEqual(ids('{ status = error } << { kind = server }', t), ['GET /cart']);
  assert.deepEqual(ids('{ status = error } < { }', t), ['call cart']);
  assert.deepEqual(ids('{ } | count() > 2', t)?.length, 3);
  assert.deepEqual(ids('{ } | count() > 3', t), undefined);
  assert.deepEqual(ids('{ } | max(duration) >= 299ms', t)?.length, 3);
  assert.deepEqual(ids('{ } | avg(duration) > 300ms', t), undefined);
  assert.deepEqual(ids('{ } | { kind = client }', t), ['call cart']);
  // Siblings: add a second child of the root next to "call cart".
  const withSibling = [...t, span(1, 4, 1, { name: 'audit', kind: 'producer' })];
  assert.deepEqual(ids('{ name = "call cart" } ~ { }', withSibling), ['audit']);
  assert.deepEqual(ids('{ ."http.method" = "GET" && .ratio > -1 }', t), undefined);
  assert.deepEqual(ids('{ ."http.method" = "GET" && .http.status_code > -1 }', t), ['GET /cart']);
  assert.throws(() => parseTraceQL('{ status = error } | by(name)'), /not supported at position 22/);
});

test('search against the real store: narrowed, disjunctive and structural queries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'traceql-'));
  const store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
  try {
    await store.append([...trace1(), ...trace2()]);
    await store.flush();
    const range = { start: 0n, end: T0 * 2n, limit: 20 };
    const run = async (q: string): Promise<string[]> => (await searchTraceQL(store, parseTraceQL(q), range)).map((m) => m.rootSpanName);
    assert.deepEqual(await run('{ resource.service.name = "cart" && span.http.status_code >= 500 }'), ['GET /cart']);
    assert.deepEqual(await run('{ .http.status_code = 200 }'), ['GET /home']);
    assert.deepEqual(await run('{ resource.service.name = "web" } || { status = error }'), ['GET /home', 'GET /cart']);
    assert.deepEqual(await run('{ kind = server } >> { status = error }'), ['GET /cart']);
    assert.deepEqual(await run('{}'), ['GET /home', 'GET /cart']);
    const m = await searchTraceQL(store, parseTraceQL('{ status = error }'), range);
    assert.equal(m[0].spanCount, 3);
    assert.equal(m[0].errorCount, 1);
    assert.equal(m[0].durationNs, 299n * MS);
    assert.deepEqual((await searchTraceQL(store, parseTraceQL('{}'), { ...range, minTraceDurationNs: 100n * MS })).map((x) => x.rootSpanName), ['GET /cart']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
