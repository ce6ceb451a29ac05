/**
 * The log agent: tails files by glob, batches entries, pushes them to a Loki push URL (protobuf + snappy), and
 * records how far each file has been delivered.
 *
 *   files → tailers → batch (size / age) → push with retries (exponential backoff)
 *                                        ↘ after maxRetries: on-disk buffer (SegmentLog, fsync'ed) → drained
 *                                          in order once the server answers again
 *
 * A file position advances only when its lines are acknowledged by the server or durably in the buffer, so a
 * restart neither loses nor repeats lines. While the buffer is non-empty new batches queue behind it (order is
 * kept); when it is full the agent stops reading files (they are the buffer then).
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import snappy from 'snappy';
import { SegmentLog } from '../../lib/wal/segment-log.js';
import { encodePushProtobuf } from '../ingest/loki-push.js';
import { sanitizeLabelName } from '../ingest/labels.js';
import type { AgentConfig, ScrapeConfig } from './config.js';
import { expandGlob, globToRegExp } from './glob.js';
import { kubernetesLabels } from './formats.js';
import { Positions } from './positions.js';
import { FileTailer, type TailEntry } from './tailer.js';

export interface AgentLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AgentOptions {
  logger?: AgentLogger;
  now?: () => number;
  fetch?: typeof fetch;
}

interface Tracked {
  tailer: FileTailer;
  labels: Record<string, string>;
  scrape: ScrapeConfig;
}

interface Batch {
  entries: (TailEntry & { labels: Record<string, string> })[];
  bytes: number;
  startedAt: number;
}

const SCAN_EVERY_MS = 5000;

export class LogAgent {
  private readonly files = new Map<string, Tracked>();
  private batch: Batch = { entries: [], bytes: 0, startedAt: 0 };
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private lastScan = -Infinity;
  private nextDrainAt = 0;
  private drainBackoff: number;
  private cursor = { seg: 0, idx: -1 };
  private bufferPending = false;
  private readonly now: () => number;
  private readonly log: AgentLogger | undefined;
  private readonly fetchFn: typeof fetch;
  /** Counters for tests and logs. */
  readonly stats = { sentBatches: 0, sentEntries: 0, bufferedBatches: 0, drainedBatches: 0, droppedBatches: 0 };

  private constructor(
    private readonly cfg: AgentConfig,
    private readonly positions: Positions,
    private readonly buffer: SegmentLog,
    opts: AgentOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.log = opts.logger;
    this.fetchFn = opts.fetch ?? fetch;
    this.drainBackoff = cfg.minBackoffMs;
  }

  static async start(cfg: AgentConfig, opts: AgentOptions = {}): Promise<LogAgent> {
    const positions = await Positions.load(cfg.positionsFile);
    await mkdir(cfg.bufferDir, { recursive: true });
    const buffer = await SegmentLog.open(cfg.bufferDir, { segmentSize: 8 * 1024 * 1024, logger: opts.logger });
    const agent = new LogAgent(cfg, positions, buffer, opts);
    await agent.loadCursor();
    agent.bufferPending = buffer.sizeBytes() > 0;
    agent.loopDone = agent.loop();
    return agent;
  }

  /** Stops tailing; what was read but not yet delivered is re-read on the next start (positions did not move). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loopDone;
    for (const t of this.files.values()) await t.tailer.close();
    await this.positions.save();
    await this.buffer.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.tick();
      } catch (err) {
        this.log?.error({ err: String(err) }, 'agent: iteration failed');
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, this.cfg.pollIntervalMs));
    }
  }

  /** One round: discover files, read them, flush the batch when due, drain the buffer. */
  async tick(): Promise<void> {
    if (this.now() - this.lastScan >= Math.min(SCAN_EVERY_MS, this.cfg.pollIntervalMs * 4)) await this.scan();
    const bufferFull = this.buffer.sizeBytes() >= this.cfg.bufferMaxBytes;
    if (!bufferFull) {
      for (const t of this.files.values()) {
        // Read at most one batch's worth per file per round, flushing in between, so memory stays bounded.
        for (;;) {
          const n = await t.tailer.poll((e) => this.add(t, e), this.cfg.batchMaxBytes);
          if (this.batch.bytes >= this.cfg.batchMaxBytes) await this.flush();
          if (n === 0 || this.stopped) break;
        }
        if (t.scrape.multiline) t.tailer.flushMultiline((e) => this.add(t, e), t.scrape.multiline.maxWaitMs);
      }
    }
    if (this.batch.entries.length > 0 && (this.batch.bytes >= this.cfg.batchMaxBytes || this.now() - this.batch.startedAt >= this.cfg.batchMaxWaitMs)) {
      await this.flush();
    }
    if (this.bufferPending && this.now() >= this.nextDrainAt) await this.drain();
  }

  private async scan(): Promise<void> {
    this.lastScan = this.now();
    const seen = new Set<string>();
    for (const sc of this.cfg.scrape) {
      const excludes = sc.exclude.map(globToRegExp);
      for (const glob of sc.paths) {
        for (const path of await expandGlob(glob)) {
          if (excludes.some((re) => re.test(path)) || seen.has(path)) continue;
          seen.add(path);
          if (this.files.has(path)) continue;
          const labels: Record<string, string> = { ...this.cfg.labels, ...sc.labels, ...kubernetesLabels(path) };
          if (!labels.namespace) labels.filename = path;
          this.files.set(path, { tailer: new FileTailer(path, sc.format, sc.multiline, this.positions, this.now), labels: sanitize(labels), scrape: sc });
        }
      }
    }
    // Files that disappeared are closed once read to the end (poll returns 0 for a missing path then).
    for (const [path, t] of this.files) {
      if (seen.has(path)) continue;
      const n = await t.tailer.poll((e) => this.add(t, e), Infinity);
      if (n === 0) {
        await t.tailer.close();
        this.files.delete(path);
      }
    }
  }

  private add(t: Tracked, e: TailEntry): void {
    if (this.batch.entries.length === 0) this.batch.startedAt = this.now();
    const labels = e.stream ? { ...t.labels, stream: e.stream } : t.labels;
    this.batch.entries.push({ ...e, labels });
    this.batch.bytes += e.line.length + 32;
  }

  /** Sends (or buffers) the current batch, then advances the positions of what it carried. */
  async flush(): Promise<void> {
    const batch = this.batch;
    if (batch.entries.length === 0) return;
    this.batch = { entries: [], bytes: 0, startedAt: 0 };
    const body = encodeBatch(batch);
    if (!this.bufferPending) {
      let backoff = this.cfg.minBackoffMs;
      for (let attempt = 0; attempt <= this.cfg.maxRetries; attempt++) {
        const r = await this.send(body);
        if (r === 'ok' || r === 'drop') {
          if (r === 'ok') {
            this.stats.sentBatches++;
            this.stats.sentEntries += batch.entries.length;
          } else this.stats.droppedBatches++;
          await this.advance(batch);
          return;
        }
        if (attempt === this.cfg.maxRetries || this.stopped) break;
        await new Promise((res) => setTimeout(res, backoff));
        backoff = Math.min(backoff * 2, this.cfg.maxBackoffMs);
      }
    }
    await this.buffer.append([body]);
    this.stats.bufferedBatches++;
    if (!this.bufferPending) {
      this.bufferPending = true;
      this.nextDrainAt = this.now() + this.drainBackoff;
      this.log?.warn({ url: this.cfg.pushUrl, bufferBytes: this.buffer.sizeBytes() }, 'agent: server unreachable; buffering on disk');
    }
    await this.advance(batch);
  }

  private async advance(batch: Batch): Promise<void> {
    const last = new Map<string, { inode: number; offset: number }>();
    for (const e of batch.entries) last.set(e.path, { inode: e.inode, offset: e.endOffset });
    for (const [path, pos] of last) {
      const cur = this.positions.get(path);
      // Entries of a rotated-away file must not move the position of the new file now at the same path.
      if (!cur || cur.inode === pos.inode) this.positions.set(path, pos);
    }
    await this.positions.save();
  }

  /** 'ok' acknowledged; 'retry' try again later; 'drop' refused for good (4xx other than 429), as Promtail does. */
  private async send(body: Uint8Array): Promise<'ok' | 'retry' | 'drop'> {
    try {
      const res = await this.fetchFn(this.cfg.pushUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'user-agent': 'sextant-agent', ...this.cfg.headers },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return 'ok';
      if (res.status === 429 || res.status >= 500) return 'retry';
      // Loki answers 400 when some entries were refused (the rest were stored): nothing to gain by resending.
      this.log?.warn({ status: res.status, body: text.slice(0, 500) }, 'agent: server refused entries');
      return 'drop';
    } catch {
      return 'retry';
    }
  }

  private async drain(): Promise<void> {
    const seg = this.cursor.seg;
    const records: Uint8Array[] = [];
    const segs = this.buffer.segments();
    const first = segs.find((s) => s >= seg);
    if (first === undefined) {
      this.bufferPending = false;
      return;
    }
    if (first !== seg) this.cursor = { seg: first, idx: -1 };
    await this.buffer.replay((rec, s) => {
      if (s === first) records.push(rec.slice());
    }, first);
    for (let i = this.cursor.idx + 1; i < records.length; i++) {
      const r = await this.send(records[i]);
      if (r === 'retry') {
        this.nextDrainAt = this.now() + this.drainBackoff;
        this.drainBackoff = Math.min(this.drainBackoff * 2, this.cfg.maxBackoffMs);
        return;
      }
      if (r === 'ok') this.stats.drainedBatches++;
      else this.stats.droppedBatches++;
      this.cursor = { seg: first, idx: i };
      await this.saveCursor();
    }
    this.drainBackoff = this.cfg.minBackoffMs;
    // Segment done: make it non-active if need be, then delete it.
    if (first === this.buffer.activeSegment()) await this.buffer.cut();
    await this.buffer.truncateBefore(first + 1);
    this.cursor = { seg: first + 1, idx: -1 };
    await this.saveCursor();
    if (this.buffer.sizeBytes() === 0 || !this.buffer.segments().some((s) => s > first)) {
      this.bufferPending = this.buffer.sizeBytes() > 0;
    }
  }

  private async loadCursor(): Promise<void> {
    try {
      const c = JSON.parse(await readFile(join(this.cfg.bufferDir, 'cursor.json'), 'utf8')) as { seg: number; idx: number };
      if (typeof c.seg === 'number' && typeof c.idx === 'number') this.cursor = c;
    } catch {
      /* no cursor yet */
    }
  }

  private async saveCursor(): Promise<void> {
    const file = join(this.cfg.bufferDir, 'cursor.json');
    const fh = await open(`${file}.tmp`, 'w');
    try {
      await fh.writeFile(JSON.stringify(this.cursor));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(`${file}.tmp`, file);
  }
}

function sanitize(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (v !== '') out[sanitizeLabelName(k)] = v;
  return out;
}

function labelString(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;
}

function encodeBatch(batch: Batch): Uint8Array {
  const streams = new Map<string, { labels: string; entries: { ts: bigint; line: string }[] }>();
  for (const e of batch.entries) {
    const key = labelString(e.labels);
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { labels: key, entries: [] }));
    s.entries.push({ ts: e.ts, line: e.line });
  }
  return snappy.compressSync(Buffer.from(encodePushProtobuf([...streams.values()])));
}
