/**
 * The embedded trace store.
 *
 *   append → validate ids → head (in memory, queryable) → WAL (SegmentLog, fdatasync) → resolve
 *   head ≥ maxHeadSpans or older than maxHeadAgeMs → immutable block (block.ts), then the WAL before it is cut
 *   blocks whose newest span ended before now - retentionTimeMs, or the oldest while over retentionSizeBytes,
 *   are deleted whole
 *
 * Trace by id: the head's map, then a binary search in every block's sorted id file (all in memory, 32 bytes
 * per trace), then one positional read per block holding the trace. Search (see search()): the head, then the
 * blocks newest first; per block the attribute index (group-index.ts) and the column pre-filter (service row
 * range → time range → name/status/duration) give the candidates, read newest first a group at a time and
 * checked span by span, then whole (traceFilter), until `limit` traces matched or a budget ran out.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentLog } from '../../lib/wal/segment-log.js';
import type { Span } from '../model.js';
import { newSearchStats, type SpanAppendResult, type TraceSearchBudget, type TraceSearchParams, type TraceStore, type TraceSummary } from './interface.js';
import { blockMayMatch, usesIndex } from './group-index.js';
import {
  blockName,
  collectTags,
  findTrace,
  openBlock,
  loadGroupIndex,
  MAX_TAG_VALUES,
  openBlockData,
  readAllSpans,
  readTrace,
  readTraceRecords,
  scanBlockTraces,
  traceGroupsOf,
  traceIdAt,
  writeBlock,
  type Block,
  type BlockFormat,
} from './block.js';
import { decodeSpans, encodeSpans } from './span-codec.js';
import { matchSpan, summarize } from './span-match.js';

export interface TraceStoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OpenTraceStoreOptions {
  dir: string;
  /** Blocks whose newest span ended longer ago than this are deleted. 0 or absent: keep forever. */
  retentionTimeMs?: number;
  /** The oldest blocks are deleted while blocks + WAL are larger than this. 0 or absent: no limit. */
  retentionSizeBytes?: number;
  logger?: TraceStoreLogger;
  now?: () => number;
  /** The head becomes a block at this many spans (default 200,000)... */
  maxHeadSpans?: number;
  /** ...or at this age (default 5 min), so the WAL stays short. */
  maxHeadAgeMs?: number;
  /** Blocks with fewer spans than this are merged once there are compactMinBlocks of them (50,000; 8). */
  compactBelowSpans?: number;
  compactMinBlocks?: number;
  /** How often the age and retention checks run (default 10 s; 0 disables the timer, tests call maintain()). */
  maintenanceIntervalMs?: number;
  /** Block format for new blocks (default: the current, compressed one; 1 only for before/after benchmarks). */
  blockFormat?: BlockFormat;
  /** Default caps of one search (20 s, 4 GiB of span records read); a search's own `budget` overrides them. */
  searchBudget?: TraceSearchBudget;
}

export interface EmbeddedTraceStore extends TraceStore {
  /** Flushes the head to a block now (tests, shutdown, benchmarks). */
  flush(): Promise<void>;
  /** Runs the age check, retention and compaction now. */
  maintain(): Promise<void>;
  /** Merges small blocks now (also part of maintain()). */
  compact(): Promise<void>;
  stats(): { blocks: number; headSpans: number; blockSpans: number; bytes: number };
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);
const NS_PER_MS = 1_000_000n;
const DEFAULT_SEARCH_MS = 20_000;
const DEFAULT_SEARCH_BYTES = 4 * 1024 ** 3;
/** Candidate traces read per step of a block search (between abort, budget and early-stop checks). */
const SEARCH_BATCH = 64;

const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r));

function passing(verdict: Uint8Array): number {
  let n = 0;
  for (let g = 0; g < verdict.length; g++) n += verdict[g];
  return n;
}

/** [key, latest start] pairs, newest first. */
function sortByKey<K>(m: Map<K, bigint>): [K, bigint][] {
  return [...m].sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : 0));
}

/** Why a span cannot be stored, or undefined. */
export function invalidSpanReason(s: Span): string | undefined {
  if (!HEX32.test(s.traceId) || s.traceId === ZERO32) return 'invalid trace id';
  if (!HEX16.test(s.spanId) || s.spanId === ZERO16) return 'invalid span id';
  if (s.parentSpanId !== undefined && s.parentSpanId !== '' && !HEX16.test(s.parentSpanId)) return 'invalid parent span id';
  if (s.endTimeUnixNano < s.startTimeUnixNano) return 'end time before start time';
  return undefined;
}

function dedupe(spans: readonly Span[]): Span[] {
  const seen = new Set<string>();
  const out: Span[] = [];
  for (const s of spans) {
    const k = `${s.traceId}${s.spanId}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(s);
  }
  return out;
}

class Head {
  readonly spans: Span[] = [];
  readonly traces = new Map<string, Span[]>();
  constructor(readonly createdAt: number) {}
  add(s: Span): void {
    this.spans.push(s);
    const l = this.traces.get(s.traceId);
    if (l) l.push(s);
    else this.traces.set(s.traceId, [s]);
  }
}

export async function openTraceStore(opts: OpenTraceStoreOptions): Promise<EmbeddedTraceStore> {
  return EmbeddedStore.open(opts);
}

class EmbeddedStore implements EmbeddedTraceStore {
  private head: Head;
  private flushingHead: Head | undefined;
  private blocks: Block[] = [];
  private nextSeq = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private flushQueued = false;
  private readonly serviceOps = new Map<string, Map<string, string>>();
  private readonly tags = { resource: new Map<string, Set<string>>(), span: new Map<string, Set<string>>() };

  private constructor(
    private readonly opts: OpenTraceStoreOptions,
    private readonly wal: SegmentLog,
    private readonly blockDir: string,
    private readonly now: () => number,
  ) {
    this.head = new Head(now());
  }

  static async open(opts: OpenTraceStoreOptions): Promise<EmbeddedStore> {
    const now = opts.now ?? Date.now;
    const blockDir = join(opts.dir, 'blocks');
    await mkdir(blockDir, { recursive: true });
    const wal = await SegmentLog.open(join(opts.dir, 'wal'), { segmentSize: 64 * 1024 * 1024, logger: opts.logger });
    const store = new EmbeddedStore(opts, wal, blockDir, now);
    let walCut = 0;
    const replaced = new Set<number>();
    for (const name of (await readdir(blockDir)).sort()) {
      const path = join(blockDir, name);
      if (!/^\d{8}$/.test(name)) {
        // An interrupted block write: its spans are still in the WAL.
        await rm(path, { recursive: true, force: true });
        continue;
      }
      try {
        const b = await openBlock(path);
        store.blocks.push(b);
        walCut = Math.max(walCut, b.meta.walCut);
        store.nextSeq = Math.max(store.nextSeq, b.meta.seq + 1);
        for (const r of b.meta.replaces ?? []) replaced.add(r);
      } catch (e) {
        opts.logger?.error({ block: path, err: String(e) }, 'trace store: unreadable block; skipping it');
      }
    }
    // A compaction that crashed before deleting its inputs leaves them next to the merged block.
    for (const b of store.blocks.filter((x) => replaced.has(x.meta.seq))) await rm(b.dir, { recursive: true, force: true });
    store.blocks = store.blocks.filter((x) => !replaced.has(x.meta.seq));
    for (const b of store.blocks) store.indexBlock(b);
    let replayed = 0;
    await wal.replay((rec) => {
      try {
        for (const s of decodeSpans(rec)) {
          store.addToHead(s);
          replayed++;
        }
      } catch (e) {
        opts.logger?.warn({ err: String(e) }, 'trace store: undecodable WAL record; skipping it');
      }
    }, walCut);
    if (walCut > 0) await wal.truncateBefore(walCut);
    if (replayed > 0) opts.logger?.info({ spans: replayed, blocks: store.blocks.length }, 'trace store: WAL replayed');
    const every = opts.maintenanceIntervalMs ?? 10_000;
    if (every > 0) {
      store.timer = setInterval(() => void store.maintain().catch(() => undefined), every);
      store.timer.unref();
    }
    return store;
  }

  private indexBlock(b: Block): void {
    for (const svc of b.meta.services) {
      let ops = this.serviceOps.get(svc.name);
      if (!ops) this.serviceOps.set(svc.name, (ops = new Map()));
      for (const [n, k] of svc.ops) if (!ops.has(n)) ops.set(n, k);
    }
    for (const scope of ['resource', 'span'] as const) {
      for (const [k, vals] of Object.entries(b.meta.tags[scope])) {
        let set = this.tags[scope].get(k);
        if (!set) this.tags[scope].set(k, (set = new Set()));
        for (const v of vals) if (set.size < 1000) set.add(v);
      }
    }
  }

  private addToHead(s: Span): void {
    this.head.add(s);
    let ops = this.serviceOps.get(s.serviceName);
    if (!ops) this.serviceOps.set(s.serviceName, (ops = new Map()));
    if (!ops.has(s.name)) ops.set(s.name, s.kind);
    collectTags(s, this.tags);
  }

  async append(spans: readonly Span[]): Promise<SpanAppendResult> {
    if (this.closed) throw new Error('trace store is closed');
    const rejected: { index: number; reason: string }[] = [];
    const ok: Span[] = [];
    for (let i = 0; i < spans.length; i++) {
      const why = invalidSpanReason(spans[i]);
      if (why) rejected.push({ index: i, reason: why });
      else ok.push(spans[i]);
    }
    if (ok.length === 0) return { accepted: 0, rejected };
    // Into the head in the same tick as the WAL append is queued: a head swap (flush) then always sees each
    // span's record in the segments it keeps or in later ones, never in ones it deletes.
    const record = encodeSpans(ok);
    for (const s of ok) this.addToHead(s);
    await this.wal.append([record]);
    if (this.head.spans.length >= (this.opts.maxHeadSpans ?? 200_000) && !this.flushQueued) {
      // One size-triggered flush at a time: while a block is being written the head keeps filling, and
      // queuing a flush per append would cut it into many tiny blocks.
      this.flushQueued = true;
      void this.flush()
        .catch(() => undefined)
        .finally(() => {
          this.flushQueued = false;
        });
    }
    return { accepted: ok.length, rejected };
  }

  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.flushNow());
    this.flushChain = run.catch((e: unknown) => {
      this.opts.logger?.error({ err: String(e) }, 'trace store: block write failed; spans stay in the WAL');
    });
    return run;
  }

  private async flushNow(): Promise<void> {
    const head = this.head;
    if (head.spans.length === 0) return;
    this.head = new Head(this.now());
    this.flushingHead = head;
    // Called in the same tick as the swap: every span of the new head is written at or after the cut.
    const cut = await this.wal.cut();
    const seq = this.nextSeq++;
    try {
      const b = await writeBlock(this.blockDir, seq, head.spans, cut, [], { format: this.opts.blockFormat });
      this.blocks.push(b);
    } catch (e) {
      // Keep the spans queryable: merge them back into the current head (the WAL still holds them).
      for (const s of head.spans) this.head.add(s);
      throw e;
    } finally {
      this.flushingHead = undefined;
    }
    await this.wal.truncateBefore(cut);
  }

  async maintain(): Promise<void> {
    if (this.closed) return;
    const age = this.opts.maxHeadAgeMs ?? 5 * 60_000;
    if (this.head.spans.length > 0 && this.now() - this.head.createdAt >= age) await this.flush();
    await this.applyRetention();
    await this.compact();
  }

  /**
   * Merges small blocks (age-triggered flushes of a quiet system) so searches open few files. Runs in the
   * flush chain, so it never overlaps a flush; the merged block is durable before its inputs are deleted.
   */
  compact(): Promise<void> {
    const run = this.flushChain.then(async () => {
      const below = this.opts.compactBelowSpans ?? 50_000;
      const minBlocks = this.opts.compactMinBlocks ?? 8;
      const small = this.blocks.filter((b) => b.meta.spans < below);
      if (small.length < minBlocks) return;
      const spans: Span[] = [];
      for (const b of small) for (const s of await readAllSpans(b)) spans.push(s);
      const seq = this.nextSeq++;
      const walCut = Math.max(...this.blocks.map((b) => b.meta.walCut));
      const merged = await writeBlock(this.blockDir, seq, dedupe(spans), walCut, small.map((b) => b.meta.seq), {
        format: this.opts.blockFormat,
      });
      this.blocks = [...this.blocks.filter((b) => !small.includes(b)), merged].sort((a, b) => a.meta.seq - b.meta.seq);
      for (const b of small) {
        b.deleted = true;
        await rm(b.dir, { recursive: true, force: true });
      }
    });
    this.flushChain = run.catch((e: unknown) => {
      this.opts.logger?.error({ err: String(e) }, 'trace store: compaction failed');
    });
    return run;
  }

  private async applyRetention(): Promise<void> {
    const doomed = new Set<Block>();
    const rt = this.opts.retentionTimeMs ?? 0;
    if (rt > 0) {
      const cutoff = BigInt(this.now() - rt) * NS_PER_MS;
      for (const b of this.blocks) if (b.maxEnd < cutoff) doomed.add(b);
    }
    const rs = this.opts.retentionSizeBytes ?? 0;
    if (rs > 0) {
      let size = this.wal.sizeBytes();
      for (const b of this.blocks) if (!doomed.has(b)) size += b.meta.bytes;
      for (const b of [...this.blocks].sort((a, c) => (a.maxEnd < c.maxEnd ? -1 : 1))) {
        if (size <= rs) break;
        if (doomed.has(b)) continue;
        doomed.add(b);
        size -= b.meta.bytes;
      }
    }
    if (doomed.size === 0) return;
    this.blocks = this.blocks.filter((b) => !doomed.has(b));
    for (const b of doomed) {
      b.deleted = true;
      this.opts.logger?.info({ block: blockName(b.meta.seq), spans: b.meta.spans }, 'trace store: retention deleted block');
      await rm(b.dir, { recursive: true, force: true });
    }
    this.rebuildCatalog();
  }

  private rebuildCatalog(): void {
    this.serviceOps.clear();
    this.tags.resource.clear();
    this.tags.span.clear();
    for (const b of this.blocks) this.indexBlock(b);
    for (const h of [this.flushingHead, this.head]) if (h) for (const s of h.spans) collectTagsAndOps(this, s);
    function collectTagsAndOps(self: EmbeddedStore, s: Span): void {
      let ops = self.serviceOps.get(s.serviceName);
      if (!ops) self.serviceOps.set(s.serviceName, (ops = new Map()));
      if (!ops.has(s.name)) ops.set(s.name, s.kind);
      collectTags(s, self.tags);
    }
  }

  async getTrace(traceId: string, start?: bigint, end?: bigint): Promise<Span[] | undefined> {
    const id = traceId.toLowerCase().padStart(32, '0');
    if (!HEX32.test(id)) return undefined;
    const key = Buffer.from(id, 'hex');
    const found: Span[] = [];
    for (const h of [this.head, this.flushingHead]) {
      const l = h?.traces.get(id);
      if (l) found.push(...l);
    }
    // A block can hold spans of the trace only if its time range overlaps the hint (spans may arrive late,
    // so the hint is widened by an hour either side).
    const slack = 3_600_000n * NS_PER_MS;
    const reads: Promise<Span[]>[] = [];
    for (const b of this.blocks) {
      if (start !== undefined && b.maxEnd < start - slack) continue;
      if (end !== undefined && b.minStart > end + slack) continue;
      const i = findTrace(b, key);
      if (i >= 0) reads.push(readTrace(b, i).catch(() => []));
    }
    for (const l of await Promise.all(reads)) found.push(...l);
    if (found.length === 0) return undefined;
    // Replay after a crash mid-flush can store a span twice; keep the first copy.
    const out = dedupe(found);
    out.sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0));
    return out;
  }

  /**
   * Newest matches first over the whole range: the head, then the blocks by descending newest span, each
   * block's column candidates newest first (groups the attribute index rules out are not read), each group
   * read and inflated once; stops when `limit` traces matched and nothing unread can be newer than the
   * limit-th, or when a budget runs out (then `stats.partial` says so and the matches so far are returned).
   */
  async search(p: TraceSearchParams): Promise<TraceSummary[]> {
    const limit = Math.max(1, p.limit);
    const stats = p.stats ?? newSearchStats();
    const maxMs = p.budget?.maxDurationMs ?? this.opts.searchBudget?.maxDurationMs ?? DEFAULT_SEARCH_MS;
    const maxBytes = p.budget?.maxBytes ?? this.opts.searchBudget?.maxBytes ?? DEFAULT_SEARCH_BYTES;
    const deadline = performance.now() + maxMs;
    const bytesAtStart = stats.inspectedBytes;
    const accepted = new Map<string, TraceSummary>();
    /** Traces already decided (accepted or refused by traceFilter): never read twice. */
    const decided = new Set<string>();
    const heads = [this.head, this.flushingHead].filter((h): h is Head => h !== undefined);
    const blocks = this.blocks
      .filter((b) => b.maxEnd >= p.start && b.minStart <= p.end)
      .sort((a, b) => (a.maxEnd > b.maxEnd ? -1 : a.maxEnd < b.maxEnd ? 1 : b.meta.seq - a.meta.seq));
    stats.blocksTotal += blocks.length;

    // The limit-th newest accepted start: nothing starting before it can enter the answer any more.
    let barCache: bigint | undefined | null = null;
    const bar = (): bigint | undefined => {
      if (barCache !== null) return barCache;
      if (accepted.size < limit) return (barCache = undefined);
      const starts = [...accepted.values()].map((t) => t.startTimeUnixNano).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
      return (barCache = starts[limit - 1]);
    };
    const overBudget = (): string | undefined => {
      if (performance.now() > deadline) return `search time limit of ${maxMs} ms reached`;
      if (stats.inspectedBytes - bytesAtStart > maxBytes) return `search byte limit of ${maxBytes} bytes reached`;
      return undefined;
    };
    /** Decides one trace whose own spans (`local`, from one block or the head) hold a match. */
    const decide = async (id: string, local: readonly Span[], from: Block | undefined): Promise<void> => {
      if (decided.has(id)) return;
      decided.add(id);
      stats.inspectedTraces++;
      const spans = this.elsewhere(id, from) ? ((await this.getTrace(id)) ?? [...local]) : local;
      const sum = summarize(id, spans, p);
      if (!sum) return;
      if (p.traceFilter && !p.traceFilter(id, spans)) return;
      accepted.set(id, sum);
      barCache = null;
    };

    // The head: spans in memory, checked directly.
    const headHits = new Map<string, bigint>();
    let n = 0;
    for (const h of heads) {
      for (const s of h.spans) {
        if (matchSpan(s, p)) {
          const prev = headHits.get(s.traceId);
          if (prev === undefined || s.startTimeUnixNano > prev) headHits.set(s.traceId, s.startTimeUnixNano);
        }
        if (++n % 50_000 === 0) {
          await yieldNow();
          p.signal?.throwIfAborted();
        }
      }
    }
    for (const [id, key] of sortByKey(headHits)) {
      p.signal?.throwIfAborted();
      const b0 = bar();
      if (b0 !== undefined && key < b0) break;
      const local: Span[] = [];
      for (const h of heads) local.push(...(h.traces.get(id) ?? []));
      await decide(id, local, undefined);
    }

    const filter = {
      start: p.start,
      end: p.end,
      serviceName: p.serviceName,
      spanName: p.spanName,
      status: p.status,
      minDurationNs: p.minDurationNs !== undefined ? Number(p.minDurationNs) : undefined,
      maxDurationNs: p.maxDurationNs !== undefined ? Number(p.maxDurationNs) : undefined,
    };
    const indexable = usesIndex(p.conditions);
    const columnFree =
      p.serviceName === undefined && p.spanName === undefined && p.status === undefined && p.minDurationNs === undefined && p.maxDurationNs === undefined;
    blocks: for (const b of blocks) {
      p.signal?.throwIfAborted();
      const b0 = bar();
      if (b0 !== undefined && b.maxEnd < b0) break;
      const why = overBudget();
      if (why) {
        stats.partial = why;
        break;
      }
      try {
        // The block's value catalog, then the attribute index: when no group of the block can match, its columns
        // are not even read.
        const ai = b.meta.attrIndex;
        if (indexable && ai && ai.version >= 2 && !blockMayMatch(b.meta.tags, ai.unindexedKeys ?? [], MAX_TAG_VALUES, p.conditions!)) {
          stats.blocksSearched++;
          continue;
        }
        const gi = indexable ? await loadGroupIndex(b) : null;
        let verdict: Uint8Array | undefined;
        if (gi) {
          verdict = new Uint8Array(gi.groupCount);
          let any = false;
          for (let g = 0; g < verdict.length; g++) if ((verdict[g] = gi.mayMatch(g, p.conditions!) ? 1 : 0)) any = true;
          if (!any) {
            stats.blocksSearched++;
            continue;
          }
        }
        let cands: [number, bigint][];
        if (verdict && columnFree && b.minStart >= p.start && b.maxEnd <= p.end && passing(verdict) * 8 < verdict.length) {
          // Attribute conditions only, over a block wholly inside the range, few groups left: their traces are
          // the candidates, without reading the columns (all of them would be). Their start is not known before
          // reading, so all are read (the block's newest end bounds them for the early stop).
          const groups = traceGroupsOf(b).of;
          cands = [];
          for (let i = 0; i < groups.length; i++) if (verdict[groups[i]] === 1) cands.push([i, b.maxEnd]);
        } else {
          cands = sortByKey(await scanBlockTraces(b, filter));
          if (verdict) {
            const groups = traceGroupsOf(b).of;
            const v = verdict;
            cands = cands.filter(([i]) => v[groups[i]] === 1);
          }
        }
        if (cands.length === 0) {
          stats.blocksSearched++;
          continue;
        }
        const fh = await openBlockData(b);
        try {
          for (let i = 0; i < cands.length; i += SEARCH_BATCH) {
            p.signal?.throwIfAborted();
            const b1 = bar();
            if (b1 !== undefined && cands[i][1] < b1) break;
            const why2 = overBudget();
            if (why2) {
              stats.partial = why2;
              break blocks;
            }
            const batch = cands.slice(i, i + SEARCH_BATCH).filter(([t]) => !decided.has(traceIdAt(b, t)));
            const { spans, bytes, failed } = await readTraceRecords(b, fh, batch.map(([t]) => t));
            stats.inspectedBytes += bytes;
            if (failed > 0) this.opts.logger?.warn({ block: b.dir, groups: failed }, 'trace store: search skipped unreadable span groups');
            for (const [t] of batch) {
              const local = spans.get(t) ?? [];
              // Only a span of this block can be this block's match; other blocks' spans are checked there.
              if (!local.some((s) => matchSpan(s, p))) continue;
              await decide(traceIdAt(b, t), local, b);
            }
          }
        } finally {
          await fh.close();
        }
        stats.blocksSearched++;
      } catch (e) {
        // Compaction or retention may delete a block under a running search; its spans are elsewhere or gone.
        if (!b.deleted) throw e;
      }
    }
    return [...accepted.values()]
      .sort((a, b) => (a.startTimeUnixNano > b.startTimeUnixNano ? -1 : a.startTimeUnixNano < b.startTimeUnixNano ? 1 : 0))
      .slice(0, limit);
  }

  /** Whether spans of the trace live outside `block` (in the head or another block). */
  private elsewhere(traceId: string, block: Block | undefined): boolean {
    // Asked about a head trace (block undefined), only blocks can add spans: the head lists are complete.
    if (block !== undefined && (this.head.traces.has(traceId) || this.flushingHead?.traces.has(traceId))) return true;
    const key = Buffer.from(traceId, 'hex');
    for (const b of this.blocks) if (b !== block && findTrace(b, key) >= 0) return true;
    return false;
  }

  async services(): Promise<string[]> {
    return [...this.serviceOps.keys()].sort();
  }

  async operations(service: string): Promise<{ name: string; kind: string }[]> {
    const ops = this.serviceOps.get(service);
    if (!ops) return [];
    return [...ops].map(([name, kind]) => ({ name, kind })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async tagNames(scope?: 'resource' | 'span' | 'intrinsic'): Promise<string[]> {
    if (scope === 'intrinsic') return ['duration', 'kind', 'name', 'status', 'statusMessage'];
    const names = new Set<string>();
    if (scope !== 'span') for (const k of this.tags.resource.keys()) names.add(k);
    if (scope !== 'resource') for (const k of this.tags.span.keys()) names.add(k);
    return [...names].sort();
  }

  async tagValues(name: string): Promise<string[]> {
    const vals = new Set<string>();
    const add = (set: Set<string> | undefined): void => {
      if (set) for (const v of set) vals.add(v);
    };
    switch (name) {
      case 'name':
        for (const ops of this.serviceOps.values()) for (const n of ops.keys()) vals.add(n);
        break;
      case 'status':
        return ['error', 'ok', 'unset'];
      case 'kind':
        return ['client', 'consumer', 'internal', 'producer', 'server', 'unspecified'];
      default:
        if (name.startsWith('resource.')) add(this.tags.resource.get(name.slice(9)));
        else if (name.startsWith('span.')) add(this.tags.span.get(name.slice(5)));
        else {
          const k = name.startsWith('.') ? name.slice(1) : name;
          add(this.tags.resource.get(k));
          add(this.tags.span.get(k));
        }
    }
    return [...vals].sort();
  }

  stats(): { blocks: number; headSpans: number; blockSpans: number; bytes: number } {
    let blockSpans = 0;
    let bytes = this.wal.sizeBytes();
    for (const b of this.blocks) {
      blockSpans += b.meta.spans;
      bytes += b.meta.bytes;
    }
    return { blocks: this.blocks.length, headSpans: this.head.spans.length, blockSpans, bytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flushChain;
    await this.wal.close();
  }
}
