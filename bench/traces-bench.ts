/**
 * Trace benchmarks (figures in docs/benchmarks.md, "Traces"):
 *
 *   1. ingest   OTLP/HTTP protobuf into a real Sextant server (store + span metrics + service graph), realistic
 *               spans (10 attributes, 2 events), CONCURRENCY clients, sustained INGEST_SECONDS (default 60);
 *               reports spans/s per 5 s window (median) and overall
 *   2. load     SPANS spans (default 10,000,000; traces of 10 spans, 20 services) through TraceStore.append (WAL,
 *               head, block flushes: the durable path OTLP ingest uses), 1,000 traces per append; --bulk writes
 *               the blocks directly instead (the older, faster set-up)
 *   3. lookup   trace by id: LOOKUPS random stored traces, median / p90 / p99 latency (and after a reopen)
 *   4. search   service=svc-3, minDuration=500ms, limit 20 over the whole range; median of SEARCHES runs
 *   5. queries  the query set of querySet() (attribute searches, TraceQL without indexable parts): one warm-up,
 *               then QUERY_RUNS runs, median, with what each read
 *
 *   npx tsx bench/traces-bench.ts [--ingest-seconds 60] [--spans 10000000] [--phase ingest|store|all]
 *     [--dir D [--load-only | --reuse]] [--query-runs 5] [--query-timeout-s 60]
 *   e.g. load once, measure later:  --phase store --dir /tmp/t10m --load-only,  then  --phase store --dir /tmp/t10m --reuse
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execSync } from 'node:child_process';
import pino from 'pino';
import { startSextant } from '../src/server/sextant.js';
import { openTraceStore } from '../src/traces/store/index.js';
import { writeBlock } from '../src/traces/store/block.js';
import { traceProtoTypes } from '../src/traces/ingest/otlp.js';
import type { Span } from '../src/traces/model.js';
import { newSearchStats, type TraceStore } from '../src/traces/store/interface.js';
import { parseTraceQL } from '../src/traces/query/parse.js';
import { searchTraceQL } from '../src/traces/query/search.js';
import { makeTrace, rng, traceIdOf } from './traces-data.js';

const { values } = parseArgs({
  options: {
    'ingest-seconds': { type: 'string', default: '60' },
    spans: { type: 'string', default: '10000000' },
    phase: { type: 'string', default: 'all' },
    concurrency: { type: 'string', default: '4' },
    lookups: { type: 'string', default: '200' },
    searches: { type: 'string', default: '15' },
    // Build the blocks directly (the same writeBlock the store's flush uses), skipping the WAL: loading 10M spans
    // through append() on a shared 2-core machine takes longer than the queries this phase measures.
    bulk: { type: 'boolean', default: false },
    // Block format to write: 2 (compressed record groups, the default) or 1 (uncompressed JSON, "before").
    format: { type: 'string', default: '2' },
    // Keep the store in this directory (reused by --reuse runs) instead of a temporary one deleted at the end.
    dir: { type: 'string' },
    // Measure the store already in --dir (loaded by an earlier run with the same --spans) without loading.
    reuse: { type: 'boolean', default: false },
    // Runs per query after one warm-up (the queries of the "query set" below), and a cap per run.
    'query-runs': { type: 'string', default: '5' },
    'query-timeout-s': { type: 'string', default: '60' },
    // Load (and keep, with --dir) without measuring: measure later with --reuse, alternating with other stores.
    'load-only': { type: 'boolean', default: false },
  },
});
const INGEST_SECONDS = Number(values['ingest-seconds']);
const SPANS = Number(values.spans);
const CONCURRENCY = Number(values.concurrency);
const LOOKUPS = Number(values.lookups);
const SEARCHES = Number(values.searches);
const FORMAT = values.format === '1' ? 1 : 2;

/** Fixed (not Date.now()) so a --reuse run knows the time layout of a store loaded earlier. */
const BENCH_BASE_NS = BigInt(Date.UTC(2026, 10, 20)) * 1_000_000n;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (n: number, d = 1): string => n.toLocaleString('en-US', { maximumFractionDigits: d });

/** An OTLP request of `traces` traces whose ids are patched per request (encoding once, not per request). */
function requestTemplate(traces: number): { body: Buffer; idOffsets: number[] } {
  const r = rng(7);
  const base = BigInt(Date.now()) * 1_000_000n;
  const spans: Span[] = [];
  for (let t = 0; t < traces; t++) spans.push(...makeTrace(0xabc000 + t, base, r));
  const kv = (k: string, v: unknown): object => ({
    key: k,
    value: typeof v === 'string' ? { stringValue: v } : typeof v === 'boolean' ? { boolValue: v } : Number.isInteger(v) ? { intValue: v } : { doubleValue: v },
  });
  const byService = new Map<string, Span[]>();
  for (const s of spans) byService.set(s.serviceName, [...(byService.get(s.serviceName) ?? []), s]);
  const msg = {
    resourceSpans: [...byService].map(([, ss]) => ({
      resource: { attributes: Object.entries(ss[0].resource).map(([k, v]) => kv(k, v)) },
      scopeSpans: [
        {
          scope: { name: ss[0].scope.name, version: ss[0].scope.version },
          spans: ss.map((s) => ({
            traceId: Buffer.from(s.traceId, 'hex'),
            spanId: Buffer.from(s.spanId, 'hex'),
            parentSpanId: s.parentSpanId ? Buffer.from(s.parentSpanId, 'hex') : undefined,
            name: s.name,
            kind: ['unspecified', 'internal', 'server', 'client'].indexOf(s.kind),
            startTimeUnixNano: s.startTimeUnixNano.toString(),
            endTimeUnixNano: s.endTimeUnixNano.toString(),
            attributes: Object.entries(s.attributes).map(([k, v]) => kv(k, v)),
            events: s.events.map((e) => ({ timeUnixNano: e.timeUnixNano.toString(), name: e.name, attributes: Object.entries(e.attributes).map(([k, v]) => kv(k, v)) })),
            status: { code: s.status.code === 'error' ? 2 : 0 },
          })),
        },
      ],
    })),
  };
  const t = traceProtoTypes().request;
  const body = Buffer.from(t.encode(t.fromObject(msg)).finish());
  // Every trace id ends in "beefcafe"; patch the 12 bytes before it per request.
  const marker = Buffer.from('beefcafe', 'hex');
  const idOffsets: number[] = [];
  for (let p = body.indexOf(marker); p >= 0; p = body.indexOf(marker, p + 1)) idOffsets.push(p - 12);
  return { body, idOffsets };
}

async function ingestPhase(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'traces-bench-ingest-'));
  const sextant = await startSextant({ dataDir, listen: '127.0.0.1:0', logger: pino({ level: 'warn' }), defaultScrapeIntervalMs: 15_000 });
  const TRACES_PER_REQ = 50; // 500 spans per request, a typical exporter batch
  const tpl = requestTemplate(TRACES_PER_REQ);
  const spansPerReq = TRACES_PER_REQ * 10;
  console.log(`ingest: ${spansPerReq} spans/request, ${fmt(tpl.body.length / spansPerReq, 0)} bytes/span protobuf, ${CONCURRENCY} clients, ${INGEST_SECONDS} s`);
  let seq = 0;
  let done = 0;
  let failed = 0;
  const windows: number[] = [];
  let windowStart = performance.now();
  let windowSpans = 0;
  const end = performance.now() + INGEST_SECONDS * 1000;
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      const body = Buffer.from(tpl.body);
      const id = seq++;
      // Each request gets fresh trace ids: (request number, trace index within the request).
      for (let i = 0; i < tpl.idOffsets.length; i++) body.writeUInt32BE(id, tpl.idOffsets[i]);
      const res = await fetch(`${sextant.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
      await res.arrayBuffer();
      if (res.status !== 200) failed++;
      else {
        done += spansPerReq;
        windowSpans += spansPerReq;
      }
      const now = performance.now();
      if (now - windowStart >= 5000) {
        windows.push((windowSpans / (now - windowStart)) * 1000);
        windowStart = now;
        windowSpans = 0;
      }
    }
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  console.log(`ingest: ${fmt(done)} spans in ${fmt(secs)} s = ${fmt(done / secs, 0)} spans/s overall; median of 5 s windows ${fmt(median(windows), 0)} spans/s (min ${fmt(Math.min(...windows), 0)}, max ${fmt(Math.max(...windows), 0)}); failed requests ${failed}`);
  console.log(`ingest: ${fmt((done / secs) * (tpl.body.length / spansPerReq) / 1e6, 2)} MB/s of OTLP protobuf; process CPU ${fmt(cpuSecs)} s (server and load generator together) = ${fmt(done / cpuSecs, 0)} spans per CPU-second`);
  await sextant.stop();
  await rm(dataDir, { recursive: true, force: true });
}

async function storePhase(): Promise<void> {
  const keep = values.dir !== undefined;
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'traces-bench-store-')));
  await (await import('node:fs/promises')).mkdir(dir, { recursive: true });
  if (values.bulk && !values.reuse) {
    const r = rng(42);
    const base = BENCH_BASE_NS;
    const traces = Math.ceil(SPANS / 10);
    const PER_BLOCK = 20_000; // traces = 200,000 spans, the store's own block size
    const t0 = performance.now();
    await (await import('node:fs/promises')).mkdir(join(dir, 'blocks'), { recursive: true });
    for (let t = 0, seq = 0; t < traces; t += PER_BLOCK, seq++) {
      const spans: Span[] = [];
      for (let k = t; k < Math.min(traces, t + PER_BLOCK); k++) spans.push(...makeTrace(k, base, r));
      await writeBlock(join(dir, 'blocks'), seq, spans, 0, [], { format: FORMAT });
      if (seq % 10 === 9) console.log(`bulk: ${fmt((t + PER_BLOCK) * 10)} spans, ${fmt(((t + PER_BLOCK) * 10) / ((performance.now() - t0) / 1000), 0)} spans/s`);
    }
    console.log(`bulk: ${fmt(traces * 10)} spans written as blocks in ${fmt((performance.now() - t0) / 1000)} s`);
  }
  let store = await openTraceStore({ dir, maintenanceIntervalMs: 0, blockFormat: FORMAT });
  const r = rng(42);
  const base = BENCH_BASE_NS;
  const traces = Math.ceil(SPANS / 10);
  const BATCH_TRACES = 1000;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let lastLog = t0;
  for (let t = 0; t < (values.bulk || values.reuse ? 0 : traces); t += BATCH_TRACES) {
    const batch: Span[] = [];
    for (let k = t; k < Math.min(traces, t + BATCH_TRACES); k++) batch.push(...makeTrace(k, base, r));
    await store.append(batch);
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      console.log(`load: ${fmt((t + BATCH_TRACES) * 10)} spans, ${fmt(((t + BATCH_TRACES) * 10) / ((lastLog - t0) / 1000), 0)} spans/s`);
    }
  }
  await store.flush();
  const loadSecs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const st = store.stats();
  if (!values.bulk && !values.reuse) {
    console.log(`load: process CPU ${fmt((cpu.user + cpu.system) / 1e6)} s (span generation included) = ${fmt((traces * 10) / ((cpu.user + cpu.system) / 1e6), 0)} spans per CPU-second`);
    console.log(`load: ${fmt(traces * 10)} spans in ${fmt(loadSecs)} s (${fmt((traces * 10) / loadSecs, 0)} spans/s direct append incl. block writes)`);
  }
  console.log(`store: ${fmt(st.blockSpans + st.headSpans)} spans, ${st.blocks} blocks (format ${FORMAT}), ${fmt(st.bytes / 1e9, 3)} GB = ${fmt(st.bytes / (st.blockSpans + st.headSpans), 1)} bytes/span`);
  console.log(`load: ${execSync(`du -sh ${dir}`).toString().trim()}`);
  if (values['load-only']) {
    await store.close();
    return;
  }

  const lookup = async (label: string): Promise<void> => {
    const rr = rng(99);
    const lat: number[] = [];
    for (let i = 0; i < LOOKUPS; i++) {
      const id = traceIdOf(Math.floor(rr() * traces));
      const a = performance.now();
      const spans = await store.getTrace(id);
      lat.push(performance.now() - a);
      if (spans?.length !== 10) throw new Error(`trace ${id}: ${spans?.length} spans`);
    }
    console.log(`lookup (${label}): ${LOOKUPS} traces by id over ${fmt(traces * 10)} spans: median ${fmt(median(lat), 2)} ms, p90 ${fmt(pct(lat, 90), 2)} ms, p99 ${fmt(pct(lat, 99), 2)} ms`);
  };
  const search = async (label: string): Promise<void> => {
    const lat: number[] = [];
    let found = 0;
    for (let i = 0; i < SEARCHES; i++) {
      const a = performance.now();
      const res = await store.search({ start: 0n, end: 2n ** 62n, serviceName: 'svc-3', minDurationNs: 500_000_000n, limit: 20 });
      lat.push(performance.now() - a);
      found = res.length;
    }
    console.log(`search (${label}): service=svc-3 minDuration=500ms limit=20 over ${fmt(traces * 10)} spans: median ${fmt(median(lat), 1)} ms (min ${fmt(Math.min(...lat), 1)}, max ${fmt(Math.max(...lat), 1)}), ${found} traces`);
    const lat2: number[] = [];
    for (let i = 0; i < Math.max(3, Math.floor(SEARCHES / 3)); i++) {
      const a = performance.now();
      await store.search({ start: 0n, end: 2n ** 62n, serviceName: 'svc-3', minDurationNs: 500_000_000n, conditions: [{ field: 'span.http.status_code', op: '>=', value: 500 }], limit: 20 });
      lat2.push(performance.now() - a);
    }
    console.log(`search (${label}): ... && span.http.status_code >= 500: median ${fmt(median(lat2), 1)} ms`);
  };
  await lookup('warm');
  await search('warm');
  await querySet(store, traces);
  await store.close();
  const r0 = performance.now();
  store = await openTraceStore({ dir, maintenanceIntervalMs: 0 });
  console.log(`reopen: ${fmt(performance.now() - r0, 0)} ms`);
  await lookup('after reopen');
  await search('after reopen');
  await store.close();
  if (!keep) await rm(dir, { recursive: true, force: true });
}

/**
 * The query set of the search-completeness work (docs/benchmarks.md "Traces", 2026-11-21): one warm-up, then
 * QUERY_RUNS runs, median; a run longer than QUERY_TIMEOUT_S is aborted (reported as "> cap") and the query
 * is not repeated. Results count shows whether the query found what it should.
 */
async function querySet(store: TraceStore, traces: number): Promise<void> {
  const runs = Number(values['query-runs']);
  const capMs = Number(values['query-timeout-s']) * 1000;
  const all = { start: 0n, end: 2n ** 62n };
  // What the last run read and whether the store's default budget (20 s) cut it short.
  let stats = newSearchStats();
  const queries: [string, (signal: AbortSignal) => Promise<number>][] = [
    ['store: service=svc-3 minDuration=500ms', async (signal) => (await store.search({ ...all, serviceName: 'svc-3', minDurationNs: 500_000_000n, limit: 20, signal, stats })).length],
    ['store: service=svc-3 minDuration=500ms && span.http.status_code >= 500', async (signal) => (await store.search({ ...all, serviceName: 'svc-3', minDurationNs: 500_000_000n, conditions: [{ field: 'span.http.status_code', op: '>=', value: 500 }], limit: 20, signal, stats })).length],
    ['store: span.http.status_code = 500 (attribute only)', async (signal) => (await store.search({ ...all, conditions: [{ field: 'span.http.status_code', op: '=', value: 500 }], limit: 20, signal, stats })).length],
    ['store: resource.k8s.namespace.name = "shop"', async (signal) => (await store.search({ ...all, conditions: [{ field: 'resource.k8s.namespace.name', op: '=', value: 'shop' }], limit: 20, signal, stats })).length],
    ['store: Jaeger tags {"http.method":"POST"} (no span has it)', async (signal) => (await store.search({ ...all, serviceName: 'svc-3', conditions: [{ field: '.http.method', op: '=', value: 'POST' }], limit: 20, signal, stats })).length],
    ['store: span.user.id = "u-4242" (rare value)', async (signal) => (await store.search({ ...all, conditions: [{ field: 'span.user.id', op: '=', value: 'u-4242' }], limit: 20, signal, stats })).length],
    ['TraceQL { rootServiceName = "svc-3" }', async (signal) => (await searchTraceQL(store, parseTraceQL('{ rootServiceName = "svc-3" }'), { ...all, limit: 20, signal, stats })).length],
    // Only the oldest tenth of the traces has a start before this: a match must come from the oldest blocks.
    ['TraceQL { rootServiceName = "svc-3" } in the oldest 10 % of the time range', async (signal) => (await searchTraceQL(store, parseTraceQL('{ rootServiceName = "svc-3" }'), { start: 0n, end: oldestTenth(traces), limit: 20, signal, stats })).length],
    ['TraceQL { duration > 1s } | count() > 1', async (signal) => (await searchTraceQL(store, parseTraceQL('{ duration > 1s } | count() > 1'), { ...all, limit: 20, signal, stats })).length],
  ];
  for (const [label, run] of queries) {
    const lat: number[] = [];
    let found = 0;
    let capped = false;
    for (let i = 0; i <= runs && !capped; i++) {
      const a = performance.now();
      stats = newSearchStats();
      try {
        found = await run(AbortSignal.timeout(capMs));
      } catch (e) {
        if (!(e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))) throw e;
        capped = true;
      }
      if (i > 0 || capped) lat.push(performance.now() - a);
      if (i === 0 && !capped && performance.now() - a > capMs / 4) {
        // Slow: one more measured run is enough.
        const b = performance.now();
        stats = newSearchStats();
        found = await run(AbortSignal.timeout(capMs)).catch(() => ((capped = true), found));
        lat.push(performance.now() - b);
        break;
      }
    }
    const read = `read ${fmt(stats.inspectedBytes / 1e6, 1)} MB, ${stats.inspectedTraces} traces checked${stats.partial ? `, PARTIAL: ${stats.partial}` : ''}`;
    console.log(`query: ${label}: ${capped ? `> ${fmt(capMs / 1000, 0)} s (aborted)` : `median ${fmt(median(lat), 1)} ms of ${lat.length} (min ${fmt(Math.min(...lat), 1)}, max ${fmt(Math.max(...lat), 1)})`}, ${found} traces; ${read}`);
  }
}

/** The start time bound below which only the oldest 10 % of the generated traces start (traces are 1 ms apart). */
function oldestTenth(traces: number): bigint {
  return BENCH_BASE_NS + BigInt(Math.floor(traces / 10)) * 1_000_000n;
}

console.log(`traces-bench: node ${process.version}, commit ${execSync('git rev-parse --short HEAD').toString().trim()}, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
if (values.phase === 'ingest' || values.phase === 'all') await ingestPhase();
if (values.phase === 'store' || values.phase === 'all') await storePhase();
