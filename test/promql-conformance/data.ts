/**
 * Deterministic synthetic data for the differential suite: counters with resets, gauges (with NaN/±Inf),
 * classic histograms and summaries, series that stop (with and without staleness markers) and restart,
 * many label values, and jittered scrape times. Every series is a list of samples on a 15 s grid.
 */
import { labelsFromRecord, type Labels } from '../../src/model/labels.js';
import { STALE_NAN, type Sample } from '../../src/model/value.js';

export interface GenSeries {
  labels: Labels;
  samples: Sample[];
}

export const STEP_MS = 15_000;
export const POINTS = 241; // one hour

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generate(t0: number): GenSeries[] {
  const out: GenSeries[] = [];
  const r = rng(42);
  const add = (labels: Record<string, string>, f: (i: number) => number | undefined, jitterMs = 0) => {
    const samples: Sample[] = [];
    for (let i = 0; i < POINTS; i++) {
      const v = f(i);
      if (v === undefined) continue;
      samples.push({ t: t0 + i * STEP_MS + (i === 0 ? 0 : jitterMs), v });
    }
    out.push({ labels: labelsFromRecord(labels), samples });
  };

  // Counters with resets.
  for (const job of ['api', 'web', 'db']) {
    for (let inst = 0; inst < 4; inst++) {
      for (const method of ['GET', 'POST']) {
        const rate = 1 + Math.floor(r() * 20);
        const resetAt = Math.floor(r() * POINTS * 2); // about half the series reset once
        let v = Math.floor(r() * 100);
        const vals: number[] = [];
        for (let i = 0; i < POINTS; i++) {
          v += Math.floor(r() * rate * 15);
          if (i === resetAt) v = Math.floor(r() * 5);
          vals.push(v);
        }
        add({ __name__: 'http_requests_total', job, instance: `host-${inst}:9100`, method, status: inst === 3 ? '500' : '200' }, (i) => vals[i], Math.floor(r() * 3000));
      }
    }
  }
  // Gauges.
  for (let inst = 0; inst < 4; inst++) {
    for (const zone of ['cpu', 'gpu']) {
      const base = 20 + r() * 40;
      add({ __name__: 'node_temperature_celsius', instance: `host-${inst}:9100`, zone }, (i) => Math.round((base + 15 * Math.sin(i / 17 + inst) - 8 * r()) * 100) / 100, Math.floor(r() * 1000));
    }
  }
  add({ __name__: 'balance', account: 'a' }, (i) => Math.round(Math.cos(i / 9) * 1000) / 10 - 30);
  add({ __name__: 'balance', account: 'b' }, (i) => -i * 2.5 + 100);
  add({ __name__: 'balance', account: 'c' }, (i) => (i % 7 === 0 ? 0 : 1e-3 * i));
  // Special values.
  add({ __name__: 'special', kind: 'nan' }, (i) => (i % 5 === 0 ? NaN : i));
  add({ __name__: 'special', kind: 'inf' }, (i) => (i % 3 === 0 ? Infinity : i));
  add({ __name__: 'special', kind: 'neginf' }, (i) => (i % 4 === 0 ? -Infinity : -i));
  add({ __name__: 'special', kind: 'big' }, (i) => 1e300 * (i + 1));
  add({ __name__: 'special', kind: 'tiny' }, (i) => 1e-300 * (i + 1));
  add({ __name__: 'special', kind: 'const' }, () => 42);
  // Classic histograms.
  const les = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];
  for (const job of ['api', 'web']) {
    for (let inst = 0; inst < 3; inst++) {
      const counts = les.map(() => 0);
      let sum = 0;
      const rows: { counts: number[]; sum: number }[] = [];
      for (let i = 0; i < POINTS; i++) {
        const n = Math.floor(r() * 30);
        for (let k = 0; k < n; k++) {
          const obs = Math.pow(r(), 2) * 4;
          sum += obs;
          les.forEach((le, b) => {
            if (le === '+Inf' || obs <= Number(le)) counts[b]++;
          });
        }
        rows.push({ counts: [...counts], sum });
      }
      const base = { job, instance: `host-${inst}:9100` };
      les.forEach((le, b) => add({ __name__: 'request_duration_seconds_bucket', ...base, le }, (i) => rows[i].counts[b]));
      add({ __name__: 'request_duration_seconds_sum', ...base }, (i) => Math.round(rows[i].sum * 1000) / 1000);
      add({ __name__: 'request_duration_seconds_count', ...base }, (i) => rows[i].counts[les.length - 1]);
    }
  }
  // A histogram with a non-monotonic bucket and one without +Inf.
  add({ __name__: 'broken_hist_bucket', case: 'nonmono', le: '1' }, (i) => 10 + i);
  add({ __name__: 'broken_hist_bucket', case: 'nonmono', le: '2' }, (i) => 5 + i);
  add({ __name__: 'broken_hist_bucket', case: 'nonmono', le: '+Inf' }, (i) => 20 + 2 * i);
  add({ __name__: 'broken_hist_bucket', case: 'noinf', le: '1' }, (i) => i);
  add({ __name__: 'broken_hist_bucket', case: 'noinf', le: '2' }, (i) => 2 * i);
  add({ __name__: 'broken_hist_bucket', case: 'zero', le: '1' }, () => 0);
  add({ __name__: 'broken_hist_bucket', case: 'zero', le: '+Inf' }, () => 0);
  add({ __name__: 'broken_hist_bucket', case: 'neg', le: '-1' }, (i) => i);
  add({ __name__: 'broken_hist_bucket', case: 'neg', le: '1' }, (i) => 2 * i);
  add({ __name__: 'broken_hist_bucket', case: 'neg', le: '+Inf' }, (i) => 3 * i);
  // Summaries.
  for (const service of ['auth', 'billing']) {
    for (const q of ['0.5', '0.9', '0.99']) {
      add({ __name__: 'rpc_latency_seconds', service, quantile: q }, () => Math.round(Number(q) * (1 + r()) * 1000) / 1000);
    }
    let c = 0;
    let s = 0;
    const cs: number[] = [];
    const ss: number[] = [];
    for (let i = 0; i < POINTS; i++) {
      c += Math.floor(r() * 10);
      s += r() * 3;
      cs.push(c);
      ss.push(Math.round(s * 100) / 100);
    }
    add({ __name__: 'rpc_latency_seconds_count', service }, (i) => cs[i]);
    add({ __name__: 'rpc_latency_seconds_sum', service }, (i) => ss[i]);
  }
  // Series that stop and restart: with staleness markers (as a scrape would write) and without.
  add({ __name__: 'flappy', instance: 'stale-marked' }, (i) => ((i >= 80 && i < 120) || (i >= 200 && i < 215) ? (i === 80 || i === 200 ? STALE_NAN : undefined) : i * 2));
  add({ __name__: 'flappy', instance: 'gap' }, (i) => ((i >= 60 && i < 110) || i >= 230 ? undefined : i * 3));
  add({ __name__: 'flappy', instance: 'late' }, (i) => (i < 150 ? undefined : 1000 - i));
  add({ __name__: 'flappy', instance: 'early' }, (i) => (i > 90 ? (i === 91 ? STALE_NAN : undefined) : i));
  // Many label values.
  for (let id = 0; id < 120; id++) {
    const grp = ['alpha', 'beta', 'gamma', 'delta'][id % 4];
    add({ __name__: 'many_series', id: String(id).padStart(3, '0'), group: grp, shard: String(id % 7) }, (i) => ((id * 7 + i) % 50) + (id % 3) * 0.5, (id * 37) % 2000);
  }
  // up and friends for matching tests.
  for (const job of ['api', 'web', 'db']) {
    for (let inst = 0; inst < 4; inst++) {
      add({ __name__: 'up', job, instance: `host-${inst}:9100` }, (i) => (inst === 2 && i > 100 && i < 140 ? 0 : 1));
      add({ __name__: 'instance_info', job, instance: `host-${inst}:9100`, version: `v1.${inst % 2}`, region: inst < 2 ? 'eu' : 'us' }, () => 1);
    }
  }
  // Same labels under two names (for the "same labelset" errors) and duplicate match groups.
  add({ __name__: 'dup_a', k: 'x' }, (i) => i);
  add({ __name__: 'dup_b', k: 'x' }, (i) => 2 * i);
  add({ __name__: 'dup_a', k: 'y' }, (i) => 3 * i);
  // Timestamps for date functions: a gauge holding unix times.
  add({ __name__: 'unix_time', which: 'leap' }, () => 951782400); // 2000-02-29
  add({ __name__: 'unix_time', which: 'newyear' }, () => 1704067199); // 2023-12-31T23:59:59Z
  add({ __name__: 'unix_time', which: 'neg' }, () => -86400 * 400);
  // Label values for label_replace/label_join.
  add({ __name__: 'labelled', path: '/api/v1/users', host: 'a.example.com:8080', empty: '' }, (i) => i);
  add({ __name__: 'labelled', path: '/static/app.js', host: 'b.example.org', env: 'prod' }, (i) => 2 * i);
  return out;
}

/** Splits everything into remote-write batches in global time order (Prometheus's head rejects samples too far behind). */
export function batches(series: GenSeries[], chunkMs: number): GenSeries[][] {
  let minT = Infinity;
  let maxT = -Infinity;
  for (const s of series) for (const p of s.samples) {
    minT = Math.min(minT, p.t);
    maxT = Math.max(maxT, p.t);
  }
  const out: GenSeries[][] = [];
  for (let from = minT; from <= maxT; from += chunkMs) {
    const batch: GenSeries[] = [];
    for (const s of series) {
      const samples = s.samples.filter((p) => p.t >= from && p.t < from + chunkMs);
      if (samples.length) batch.push({ labels: s.labels, samples });
    }
    out.push(batch);
  }
  return out;
}
