/**
 * Remote-write receive path without HTTP: snappy uncompress → decode → label checks → append → commit, into a
 * real TSDB (WAL on). Run: node --import tsx bench/remote-receive-micro.ts [series=100000] [rounds=6]
 * Reports samples per CPU-second (process.cpuUsage), which stays meaningful on a loaded machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSDB } from '../src/metrics/tsdb/db.js';
import { appendWriteRequest, ReceiverLabelCache } from '../src/metrics/remote/receive.js';
import { decodeWriteRequest, encodeWriteRequest, snappyCompress, snappyUncompress, type EncodeSeries } from '../src/metrics/remote/codec.js';

const N = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 6);
const BATCH = 2000; // series per request, Prometheus's default max_samples_per_send

const dir = await mkdtemp(join(tmpdir(), 'bench-rw-'));
const db = await TSDB.open({ dir });
const base = Date.now() - 60 * 60 * 1000;
function body(off: number, round: number): Buffer {
  const series: EncodeSeries[] = [];
  for (let i = off; i < Math.min(N, off + BATCH); i++) {
    series.push({
      labels: [
        { name: '__name__', value: `node_metric_${i % 500}_total` },
        { name: 'cpu', value: String(i % 8) },
        { name: 'instance', value: `10.1.${(i >> 8) & 255}.${i & 255}:9100` },
        { name: 'job', value: 'node-exporter' },
        { name: 'series_id', value: `s-${i}` },
      ],
      samples: [{ t: base + round * 15_000, v: round * 3 + i }],
    });
  }
  return snappyCompress(encodeWriteRequest(series));
}
const useCache = process.env.NO_CACHE === undefined;
const labelCache = useCache ? new ReceiverLabelCache((l) => db.canonicalLabels(l)) : undefined;
let total = 0;
let steadyCpu = 0;
for (let round = 0; round < ROUNDS; round++) {
  const bodies: Buffer[] = [];
  for (let off = 0; off < N; off += BATCH) bodies.push(body(off, round));
  if (round === 1) total = 0;
  const c0 = process.cpuUsage();
  const inflight: Promise<unknown>[] = [];
  for (const b of bodies) {
    const series = decodeWriteRequest(snappyUncompress(b), labelCache?.decoded).series;
    for (const s of series) total += s.samples.length;
    inflight.push(appendWriteRequest(db, series, labelCache));
    if (inflight.length >= 8) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  const c = process.cpuUsage(c0);
  const secs = (c.user + c.system) / 1e6;
  if (round === 0) console.log(`round 0 (creates ${N} series): ${secs.toFixed(2)} CPU-s`);
  else steadyCpu += secs;
}
if (labelCache) console.log(`label cache: ${labelCache.decoded.hits} hits, ${labelCache.decoded.misses} misses, ${labelCache.decoded.size} held`);
console.log(`receive (uncompress+decode+append+commit): ${Math.round(total / steadyCpu)} samples per CPU-second, ${N} series, ${ROUNDS - 1} steady rounds`);
await db.close();
await rm(dir, { recursive: true, force: true });
