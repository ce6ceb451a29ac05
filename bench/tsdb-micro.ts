/**
 * TSDB micro-benchmarks. Run: node --expose-gc --import tsx bench/tsdb-micro.ts [phase...]
 * Phases: bytes, append, rss, replay (default: all). REPLAY_SERIES overrides the 1M series of the replay phase.
 */
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TSDB } from '../src/metrics/tsdb/db.js';
import type { Label } from '../src/model/labels.js';

const phases = process.argv.slice(2);
const want = (p: string): boolean => phases.length === 0 || phases.includes(p);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function seriesLabels(n: number, metrics = 100): Label[][] {
  const out: Label[][] = [];
  for (let i = 0; i < n; i++) {
    out.push([
      { name: '__name__', value: `metric_${i % metrics}_total` },
      { name: 'instance', value: `10.0.${(i >> 8) & 255}.${i & 255}:9100` },
      { name: 'job', value: 'node' },
      { name: 'series', value: String(i) },
    ]);
  }
  return out;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const st = await stat(p);
    total += st.isDirectory() ? await dirBytes(p) : st.size;
  }
  return total;
}

async function bytesPerSample(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-bytes-'));
  const R = 2 * 3600 * 1000;
  const db = await TSDB.open({ dir, blockRangeMs: R, now: () => 4 * R });
  const ls = seriesLabels(1000);
  const counters = new Float64Array(1000);
  let t0 = 0;
  // 3.1 block ranges of 15 s scrapes, node_exporter-like: 40% counters with small integer increments,
  // 30% constant gauges, 30% gauges moving in page-sized steps; 10% of scrapes land 1-3 ms late.
  let k = 0;
  for (let t = 0; t <= 3.1 * R; t += 15_000) {
    const a = db.appender();
    for (let i = 0; i < ls.length; i++) {
      const h = (i * 2654435761 + k * 40503) >>> 0;
      const jitter = h % 10 === 0 ? 1 + (h % 3) : 0;
      const kind = i % 10;
      let v: number;
      if (kind < 4) v = counters[i] += (h >>> 8) % 7;
      else if (kind < 7) v = i % 3 === 0 ? 1 : 8_589_934_592;
      else v = counters[i] = (counters[i] || 1_200_000_000) + (((h >>> 4) % 5) - 2) * 4096;
      a.append(ls[i], t + jitter, v);
    }
    await a.commit();
    t0 = t;
    k++;
  }
  await db.compactNow();
  let samples = 0;
  let bytes = 0;
  for (const m of db.blockMetas()) {
    samples += m.stats.numSamples;
    bytes += await dirBytes(join(dir, m.ulid, 'chunks'));
  }
  const blockTotal = db.diskUsage().blockBytes;
  console.log(
    `bytes/sample in blocks: chunks ${(bytes / samples).toFixed(3)}, whole blocks incl. index ${(blockTotal / samples).toFixed(3)} (${samples} samples, last t ${t0})`,
  );
  await db.close();
  await rm(dir, { recursive: true, force: true });
}

async function appendThroughput(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-append-'));
  const db = await TSDB.open({ dir });
  const N = 100_000;
  const ls = seriesLabels(N);
  const batch = 2000; // a typical remote_write request
  const base = Date.now();
  let total = 0;
  let start = 0;
  let cpu0 = process.cpuUsage();
  for (let round = 0; round < 6; round++) {
    if (round === 1) {
      start = performance.now();
      cpu0 = process.cpuUsage();
      total = 0;
    }
    const t = base + round * 15_000;
    // Several concurrent requests in flight, as a remote_write receiver sees them.
    const inflight: Promise<void>[] = [];
    for (let off = 0; off < N; off += batch) {
      const a = db.appender();
      for (let i = off; i < off + batch; i++) a.append(ls[i], t, round * 10 + i);
      inflight.push(a.commit());
      total += batch;
      if (inflight.length >= 8) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
  }
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  console.log(
    `append+commit: ${Math.round(total / secs)} samples/s wall, ${Math.round(total / cpuSecs)} samples per CPU-second (100k series, 2000-sample commits, 8 in flight)`,
  );
  await db.close();
  await rm(dir, { recursive: true, force: true });
}

async function rssPerSeries(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-rss-'));
  const N = 100_000;
  gc();
  const before = process.memoryUsage();
  const db = await TSDB.open({ dir });
  const base = Date.now();
  for (let round = 0; round < 20; round++) {
    // Fresh label objects and strings per round, as a remote_write decoder produces them.
    for (let off = 0; off < N; off += 10_000) {
      const ls = seriesLabels(10_000).map((l, k) => [l[0], l[1], l[2], { name: 'series', value: String(off + k) }]);
      const a = db.appender();
      for (let k = 0; k < ls.length; k++) a.append(ls[k], base + round * 15_000, off + k + round);
      await a.commit();
    }
  }
  gc();
  gc();
  const after = process.memoryUsage();
  const heap = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / N;
  const rss = (after.rss - before.rss) / N;
  console.log(`memory per series (100k series, 20 samples each): heap+buffers ${heap.toFixed(0)} B, RSS delta ${rss.toFixed(0)} B`);
  await db.close();
  await rm(dir, { recursive: true, force: true });
}

async function replayTime(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-replay-'));
  const N = Number(process.env.REPLAY_SERIES ?? 1_000_000);
  const samplesPer = 3;
  let db = await TSDB.open({ dir });
  const base = Date.now();
  const batch = 10_000;
  for (let round = 0; round < samplesPer; round++) {
    for (let off = 0; off < N; off += batch) {
      const a = db.appender();
      const ls = seriesLabels(Math.min(batch, N - off)).map((l, k) => {
        const i = off + k;
        return [l[0], { name: 'instance', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9100` }, l[2], { name: 'series', value: String(i) }];
      });
      for (let k = 0; k < ls.length; k++) a.append(ls[k], base + round * 15_000, off + k);
      await a.commit();
    }
  }
  const walBytes = db.diskUsage().walBytes;
  await db.close();
  db = undefined as unknown as TSDB;
  gc();
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  db = await TSDB.open({ dir });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `WAL replay: ${N} series x ${samplesPer} samples (${(walBytes / 1e6).toFixed(0)} MB WAL) in ${(ms / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU; head series ${db.headStats(1).numSeries}`,
  );
  await db.close();
  await rm(dir, { recursive: true, force: true });
}

if (want('bytes')) await bytesPerSample();
if (want('append')) await appendThroughput();
if (want('rss')) await rssPerSeries();
if (want('replay')) await replayTime();
