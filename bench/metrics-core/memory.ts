/**
 * Where the memory per active series goes, in one process: the benchmark's series (bench/metrics-core/series.ts)
 * pushed through the same receive path the server uses (snappy → ingestWriteRequest with the receiver's label
 * cache → TSDB head with its WAL), without HTTP, then a breakdown after a full GC.
 *
 *   node --expose-gc --import tsx bench/metrics-core/memory.ts [--series 100000] [--rounds 40] [--snapshot FILE]
 *
 * Prints, per series: V8 heap used, heap committed, external + array buffers, RSS growth; and the same with
 * the receiver state (label cache) dropped, so its share is visible. A heap snapshot (--snapshot) can be
 * opened in Chrome DevTools to see which constructors hold the rest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { TSDB } from '../../src/metrics/tsdb/db.js';
import { ingestWriteRequest, ReceiverLabelCache } from '../../src/metrics/remote/receive.js';
import { snappyUncompress } from '../../src/metrics/remote/codec.js';
import { ROUND_MS } from './load.js';
import { buildTemplates, fillAndCompress } from './requests.js';
import { advance, generateSeries } from './series.js';

const { values } = parseArgs({
  options: { series: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '40' }, snapshot: { type: 'string' } },
});
const N = Number(values.series);
const ROUNDS = Number(values.rounds);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

interface Mem {
  rss: number;
  heapUsed: number;
  heapCommitted: number;
  external: number;
  arrayBuffers: number;
}

function measure(): Mem {
  gc!();
  gc!();
  const m = process.memoryUsage();
  const h = v8.getHeapStatistics();
  return { rss: m.rss, heapUsed: m.heapUsed, heapCommitted: h.total_physical_size, external: m.external, arrayBuffers: m.arrayBuffers };
}

function perSeries(a: Mem, b: Mem): string {
  const f = (k: keyof Mem): string => `${k} ${Math.round((b[k] - a[k]) / N)}`;
  return (['rss', 'heapUsed', 'heapCommitted', 'external', 'arrayBuffers'] as const).map(f).join(', ');
}

function spaces(): string {
  return v8
    .getHeapSpaceStatistics()
    .filter((s) => s.space_used_size > 1 << 20)
    .map((s) => `${s.space_name} ${(s.space_used_size / 2 ** 20).toFixed(1)}/${(s.physical_space_size / 2 ** 20).toFixed(1)} MiB`)
    .join(', ');
}

const set = generateSeries(N, 1);
const templates = buildTemplates(set, 2000);
set.labels.length = 0;
const dir = mkdtempSync(join(tmpdir(), 'sextant-mem-'));
const db = await TSDB.open({ dir });
function createIngest() {
  // As registerRemoteWriteRoutes sets it up for a TSDB.
  const cache = new ReceiverLabelCache((l) => db.canonicalLabels(l));
  return { write: (buf: Uint8Array) => ingestWriteRequest(db, buf, cache) };
}
let ingest: ReturnType<typeof createIngest> | undefined = createIngest();
const base = measure();
const startMs = Math.floor((Date.now() - ROUNDS * ROUND_MS - 3_600_000) / ROUND_MS) * ROUND_MS;
const c0 = process.cpuUsage();
for (let r = 0; r < ROUNDS; r++) {
  if (r > 0) advance(set);
  const inflight: Promise<unknown>[] = [];
  for (const tpl of templates) {
    const body = fillAndCompress(set, tpl, startMs + r * ROUND_MS, r);
    inflight.push(ingest.write(snappyUncompress(body)));
    if (inflight.length >= 4) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
}
const cpu = process.cpuUsage(c0);
const after = measure();
console.log(`${N} series × ${ROUNDS} rounds: ${((cpu.user + cpu.system) / 1e6 / ((N * ROUNDS) / 1e6)).toFixed(2)} CPU-s per million samples`);
console.log(`per series: ${perSeries(base, after)}`);
console.log(`heap spaces: ${spaces()}`);
{
  let finished = 0;
  const bufSizes = new Map<number, number>();
  for (const s of db.head.byRef) {
    if (s === undefined) continue;
    finished += s.chunks?.length ?? 0;
    bufSizes.set(s.buf.length, (bufSizes.get(s.buf.length) ?? 0) + 1);
  }
  const sizes = [...bufSizes].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k} B × ${v}`).join(', ');
  console.log(`head: ${db.head.numSeries} series, ${finished} finished chunks in memory; open chunk buffers: ${sizes}`);
}
ingest = undefined;
const noRecv = measure();
console.log(`without the receiver's state, per series: ${perSeries(base, noRecv)}`);
if (values.snapshot) {
  v8.writeHeapSnapshot(values.snapshot);
  console.log(`heap snapshot: ${values.snapshot}`);
}
await db.close();
rmSync(dir, { recursive: true, force: true });
