/**
 * The remote_write load: rounds of one sample per series, 15 s of simulated time apart, sent as batches
 * over several keep-alive connections at once (like Prometheus's remote-write shards). Batches go out in
 * global time order, and a batch never overtakes the same series' batch of the previous round, so no
 * sample is out of order for the receiver. 5xx and connection errors are retried as Prometheus's sender
 * does; 4xx answers are final and counted as refused.
 */
import { Agent, request } from 'node:http';
import { advance, type SeriesSet } from './series.js';
import { fillAndCompress, type CompressedTemplate } from './requests.js';

export const ROUND_MS = 15_000;

export interface LoadOptions {
  /** Base URL of the receiver, e.g. http://127.0.0.1:9090 */
  url: string;
  set: SeriesSet;
  templates: CompressedTemplate[];
  /** Simulated start time of round 0 (ms). */
  startMs: number;
  /** Rounds to send, starting at `firstRound`. */
  rounds: number;
  firstRound?: number;
  concurrency: number;
  /** Rounds excluded from the sustained rate (series creation, JIT warm-up). */
  warmupRounds?: number;
  /** Called after each completed round. */
  onRound?: (round: number, elapsedMs: number) => void;
  /** Monotonic clock in ms; injectable for tests. */
  now?: () => number;
}

export interface LoadResult {
  samplesSent: number;
  samplesRefused: number;
  requests: number;
  retries: number;
  /** First few refusal messages, for diagnosis. */
  refusals: string[];
  /** Wall time of the whole load, ms. */
  totalMs: number;
  /** Wall time of the warm-up rounds, ms. */
  warmupMs: number;
  /** Samples per second after warm-up (whole load when there is no warm-up). */
  sustainedSamplesPerSec: number;
  /** Compressed bytes sent. */
  bytesSent: number;
}

interface HttpAnswer {
  status: number;
  body: string;
}

function post(agent: Agent, url: URL, body: Buffer): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: '/api/v1/write',
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
          'User-Agent': 'sextant-bench/metrics-core',
          'Content-Length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const now = opts.now ?? (() => performance.now());
  const url = new URL(opts.url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const { set, templates } = opts;
  const firstRound = opts.firstRound ?? 0;
  const warmupRounds = Math.min(opts.warmupRounds ?? 0, Math.max(0, opts.rounds - 1));
  const totalJobs = opts.rounds * templates.length;
  const seriesPerRound = set.values.length;
  /** Completion of each batch slot's latest send: the next round of that slot waits for it. */
  const slotDone: Promise<void>[] = templates.map(() => Promise.resolve());
  const roundPending = new Array<number>(opts.rounds).fill(templates.length);
  const res: LoadResult = {
    samplesSent: 0,
    samplesRefused: 0,
    requests: 0,
    retries: 0,
    refusals: [],
    totalMs: 0,
    warmupMs: 0,
    sustainedSamplesPerSec: 0,
    bytesSent: 0,
  };
  const t0 = now();
  let warmupEnd = t0;
  let nextJob = 0;
  let failure: Error | undefined;

  async function send(body: Buffer, samples: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const ans = await post(agent, url, body);
        res.requests++;
        if (ans.status >= 200 && ans.status < 300) {
          res.samplesSent += samples;
          res.bytesSent += body.length;
          return;
        }
        if (ans.status >= 400 && ans.status < 500 && ans.status !== 429) {
          res.samplesRefused += samples;
          if (res.refusals.length < 5) res.refusals.push(`${ans.status}: ${ans.body.slice(0, 300)}`);
          return;
        }
        if (attempt >= 20) throw new Error(`remote write kept failing: ${ans.status} ${ans.body.slice(0, 300)}`);
      } catch (err) {
        if (attempt >= 20) throw err;
      }
      res.retries++;
      await sleep(Math.min(5000, 50 * 2 ** attempt));
    }
  }

  async function worker(): Promise<void> {
    while (!failure && nextJob < totalJobs) {
      const job = nextJob++;
      const r = Math.floor(job / templates.length);
      const slot = job % templates.length;
      const round = firstRound + r;
      // Values move on once per round, before its first batch is encoded; all batches of the previous
      // round were encoded already because jobs are taken (and encoded synchronously) in order.
      if (slot === 0 && r > 0) advance(set);
      const tpl = templates[slot];
      const body = fillAndCompress(set, tpl, opts.startMs + round * ROUND_MS, round);
      const prev = slotDone[slot];
      const done = prev.then(() => send(body, tpl.tpl.end - tpl.tpl.first));
      slotDone[slot] = done.catch(() => undefined);
      try {
        await done;
      } catch (err) {
        failure = err as Error;
        return;
      }
      if (--roundPending[r] === 0) {
        const elapsed = now() - t0;
        if (r === warmupRounds - 1) warmupEnd = now();
        opts.onRound?.(round, elapsed);
      }
    }
  }

  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  agent.destroy();
  if (failure) throw failure;
  const t1 = now();
  res.totalMs = t1 - t0;
  res.warmupMs = warmupEnd - t0;
  const measuredSamples = (opts.rounds - warmupRounds) * seriesPerRound;
  res.sustainedSamplesPerSec = measuredSamples / ((t1 - warmupEnd) / 1000);
  return res;
}

/** Encoding and compression alone, no network: what the generator can produce at most (samples/s). */
export function measureGenerator(set: SeriesSet, templates: CompressedTemplate[], startMs: number, rounds: number): number {
  const t0 = performance.now();
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    if (r > 0) advance(set);
    for (const tpl of templates) bytes += fillAndCompress(set, tpl, startMs + r * ROUND_MS, r).length;
  }
  const secs = (performance.now() - t0) / 1000;
  if (bytes === 0) throw new Error('generator produced nothing');
  return (rounds * set.values.length) / secs;
}
