/**
 * The embedded log store: a WAL (SegmentLog, append + fdatasync) in front of an in-memory head, flushed in
 * batches to ZSTD-compressed Parquet files that DuckDB reads with the filters pushed into its scan.
 *
 *   append → validate → WAL (durable) → head (queryable)            ack only after the WAL sync
 *   head ≥ maxHeadBytes or older than maxHeadAgeMs → Parquet file   then the covered WAL segments are removed
 *   small files → merged by compaction; whole files dropped by time/size retention
 *
 * DuckDB runs every statement on its own threads (node-api is async), so a long query never blocks the event
 * loop; results stream back chunk by chunk.
 */
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { Labels } from '../../model/labels.js';
import type { Matcher } from '../../model/matcher.js';
import { SegmentLog, syncDir } from '../../lib/wal/segment-log.js';
import type { LogEntry } from '../model.js';
import type { LogAppendResult, LogSelectParams, LogStore, LogStoreStats } from './interface.js';
import { StreamIndex } from './stream-index.js';
import { Head, type HeadEntry, type StreamExtent } from './head.js';
import { gcd, indexPath, readSidecar, removeChunkFiles, seqName, sidecarJson, type ChunkFile } from './chunk-file.js';
import { candidateRowGroups, rowRanges, SkipIndexBuilder, type GramIndex } from './skip-index.js';
import { checkLineFilters, compileLineFilters, lineFiltersToSql } from './line-filter.js';

export interface LogStoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OpenLogStoreOptions {
  dir: string;
  /** Files whose newest entry is older than this are deleted. 0 or absent: keep forever. */
  retentionTimeMs?: number;
  /** Oldest files are deleted while the store is larger than this. 0 or absent: no limit. */
  retentionSizeBytes?: number;
  /** Longest line in bytes (Loki's max_line_size, default 256 KiB). 0: no limit. */
  maxLineBytes?: number;
  /** What to do with a longer line: cut it to maxLineBytes, or refuse it (Loki's default). */
  lineTooLong?: 'truncate' | 'reject';
  /** Entries older than now minus this are refused as too old. 0 or absent: accept any age. */
  rejectOlderThanMs?: number;
  /** Entries newer than now plus this are refused (Loki's creation_grace_period, default 10 min). 0: accept. */
  rejectNewerThanMs?: number;
  logger?: LogStoreLogger;
  now?: () => number;
  /** The head is flushed to a columnar file at this size (default 64 MiB of line text). */
  maxHeadBytes?: number;
  /** ... or at this age (default 5 min), so the WAL stays short. */
  maxHeadAgeMs?: number;
  /**
   * Files smaller than this are merged once there are `compactMinFiles` of them (default 4 MiB, 8): the
   * files of age-triggered flushes, not the ~15 MB of a full 64 MiB head. A full head's file is left alone,
   * because a needle search's scan costs time per row group of the whole file (docs/benchmarks.md).
   */
  compactBelowBytes?: number;
  compactMinFiles?: number;
  /** Parquet ZSTD level (default 9: ~2 % smaller than 7 for ~25 % more write CPU in the engine; docs/benchmarks.md). */
  zstdLevel?: number;
  /** Rows per Parquet row group, the unit the skip index can skip (default 4096). */
  rowGroupRows?: number;
  /** Called once per engine scan with what it reads: for tests and diagnostics. */
  onScan?: (scan: { files: number; rowGroups: number; skippedRowGroups: number }) => void;
}

const DEFAULT_MAX_LINE = 256 * 1024;
/** Measured in docs/benchmarks.md ("Logs"): the smallest store at an affordable write CPU. */
const DEFAULT_ZSTD_LEVEL = 9;
/** Rows per row group, the unit the skip index skips: a needle search decompresses this many lines per hit. */
const DEFAULT_ROW_GROUP_ROWS = 4096;
const BATCH = 1000;
const MS = 1_000_000n;

interface Source {
  kind: 'file' | 'head';
  min: bigint;
  max: bigint;
  file?: ChunkFile;
  head?: Head;
  /** Entries of the head visible to this query (the head may grow while the query runs). */
  headLen?: number;
}

export async function openLogStore(opts: OpenLogStoreOptions): Promise<LogStore> {
  return DuckLogStore.open(opts);
}

class DuckLogStore implements LogStore {
  private head: Head;
  private readonly flushingHeads: Head[] = [];
  private files: ChunkFile[] = [];
  private nextSeq = 0;
  private flushPromise: Promise<void> | undefined;
  private queuedFlush: Promise<void> | undefined;
  private gate: Promise<void> | undefined;
  private inflight = 0;
  private inflightDrained: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly chunkDir: string;
  private readonly now: () => number;

  private constructor(
    private readonly opts: OpenLogStoreOptions,
    private readonly wal: SegmentLog,
    private readonly streams: StreamIndex,
    private readonly db: DuckDBInstance,
  ) {
    this.now = opts.now ?? Date.now;
    this.chunkDir = join(opts.dir, 'chunks');
    this.head = new Head(this.now());
  }

  static async open(opts: OpenLogStoreOptions): Promise<DuckLogStore> {
    const chunkDir = join(opts.dir, 'chunks');
    await mkdir(chunkDir, { recursive: true });
    const streams = await StreamIndex.open(opts.dir);
    const wal = await SegmentLog.open(join(opts.dir, 'wal'), { logger: opts.logger });
    // Footers of the files are parsed once, not on every scan: a needle search runs one scan per candidate
    // row-group range, and parsing a large file's footer cost more than decompressing its 4,096 lines.
    // Files are never changed in place (a new sequence number each), so the cache cannot go stale; the cache
    // is DuckDB's object cache, an LRU charged to its buffer pool, so it is bounded by the memory limit.
    const db = await DuckDBInstance.create(':memory:');
    const setup = await db.connect();
    try {
      await setup.run('LOAD parquet');
      await setup.run('SET GLOBAL parquet_metadata_cache = true');
    } finally {
      setup.closeSync();
    }
    const store = new DuckLogStore(opts, wal, streams, db);
    await store.loadFiles();
    await store.replayWal();
    store.timer = setInterval(() => void store.maintain(), 10_000);
    store.timer.unref();
    return store;
  }

  private async loadFiles(): Promise<void> {
    const names = await readdir(this.chunkDir);
    const seqs = new Set<number>();
    const parquet = new Set<number>();
    const indexes = new Set<number>();
    for (const n of names) {
      if (n.endsWith('.tmp')) {
        await rm(join(this.chunkDir, n), { force: true });
        continue;
      }
      const m = /^(\d{8})\.(json|parquet|idx)$/.exec(n);
      if (!m) continue;
      if (m[2] === 'json') seqs.add(Number(m[1]));
      else if (m[2] === 'parquet') parquet.add(Number(m[1]));
      else indexes.add(Number(m[1]));
    }
    // An index whose sidecar was never written belongs to an interrupted flush.
    for (const seq of indexes) if (!seqs.has(seq)) await rm(indexPath(this.chunkDir, seq), { force: true });
    const files: ChunkFile[] = [];
    for (const seq of seqs) {
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
      if (!parquet.has(seq)) {
        await removeChunkFiles(this.chunkDir, seq);
        continue;
      }
      try {
        files.push(
          await readSidecar(this.chunkDir, seq, (err) =>
            this.opts.logger?.warn({ seq, err: String(err) }, 'log store: unreadable skip index; the file is read whole'),
          ),
        );
      } catch (e) {
        this.opts.logger?.error({ seq, err: String(e) }, 'log store: unreadable chunk sidecar; ignoring the file');
      }
    }
    for (const seq of parquet) this.nextSeq = Math.max(this.nextSeq, seq + 1);
    // A compaction that crashed after its output became visible leaves its inputs behind: drop them.
    const replaced = new Set(files.flatMap((f) => f.replaces));
    for (const f of files.filter((x) => replaced.has(x.seq))) await removeChunkFiles(this.chunkDir, f.seq);
    this.files = files.filter((f) => !replaced.has(f.seq)).sort((a, b) => a.seq - b.seq);
  }

  private async replayWal(): Promise<void> {
    const from = this.files.reduce((m, f) => Math.max(m, f.walCut), 0);
    let records = 0;
    await this.wal.replay((rec) => {
      records++;
      for (const e of decodeWalRecord(rec)) this.pushHead(e);
    }, from);
    if (from > 0) await this.wal.truncateBefore(from);
    if (records > 0) this.opts.logger?.info({ records, entries: this.head.entries.length }, 'log store: WAL replayed');
  }

  private pushHead(e: LogEntry): void {
    this.head.push({
      sid: this.streams.idOf(e.stream),
      ts: e.ts,
      line: e.line,
      metadata: e.metadata && Object.keys(e.metadata).length > 0 ? e.metadata : undefined,
      traceId: e.traceId || undefined,
      spanId: e.spanId || undefined,
    });
  }

  async append(entries: readonly LogEntry[]): Promise<LogAppendResult> {
    if (this.closed) throw new Error('log store is closed');
    const result: LogAppendResult = { accepted: 0, rejected: [] };
    const nowNs = BigInt(Math.floor(this.now())) * MS;
    const oldest = this.opts.rejectOlderThanMs ? nowNs - BigInt(this.opts.rejectOlderThanMs) * MS : undefined;
    const newest = this.opts.rejectNewerThanMs ? nowNs + BigInt(this.opts.rejectNewerThanMs) * MS : undefined;
    const maxLine = this.opts.maxLineBytes ?? DEFAULT_MAX_LINE;
    const ok: LogEntry[] = [];
    for (let i = 0; i < entries.length; i++) {
      let e = entries[i];
      if (e.stream.length === 0) {
        result.rejected.push({ index: i, kind: 'invalid_labels', message: 'error at least one label pair is required per stream' });
        continue;
      }
      if (oldest !== undefined && e.ts < oldest) {
        result.rejected.push({
          index: i,
          kind: 'too_old',
          message: `entry for stream '${streamString(e.stream)}' has timestamp too old: ${nsToIso(e.ts)}, oldest acceptable timestamp is: ${nsToIso(oldest)}`,
        });
        continue;
      }
      if (newest !== undefined && e.ts > newest) {
        result.rejected.push({
          index: i,
          kind: 'too_far_in_future',
          message: `entry for stream '${streamString(e.stream)}' has timestamp too new: ${nsToIso(e.ts)}`,
        });
        continue;
      }
      if (maxLine > 0 && e.line.length > maxLine / 4) {
        const bytes = Buffer.byteLength(e.line);
        if (bytes > maxLine) {
          if (this.opts.lineTooLong === 'truncate') {
            e = { ...e, line: truncateUtf8(e.line, maxLine) };
            result.truncated = (result.truncated ?? 0) + 1;
          } else {
            result.rejected.push({
              index: i,
              kind: 'line_too_long',
              message: `max entry size '${maxLine}' bytes exceeded for stream '${streamString(e.stream)}' while adding an entry with length '${bytes}' bytes`,
            });
            continue;
          }
        }
      }
      ok.push(e);
    }
    if (ok.length === 0) return result;
    const rec = encodeWalRecord(ok);
    while (this.gate) await this.gate;
    this.inflight++;
    try {
      await this.wal.append([rec]);
      for (const e of ok) this.pushHead(e);
    } finally {
      this.inflight--;
      if (this.inflight === 0) this.inflightDrained?.();
    }
    result.accepted = ok.length;
    const maxHead = this.opts.maxHeadBytes ?? 64 * 1024 * 1024;
    if (this.head.bytes >= maxHead) {
      // One flush is queued per full head (not one per append). Back-pressure: while one head is still being
      // written, appends to the next full one wait until it is swapped out, so memory stays at about two
      // heads however slow the writes are (a slow machine once grew a head to 6 M lines). The entries are
      // already durable; only the acknowledgement waits, and a failed flush is logged, not returned.
      this.queuedFlush ??= this.flush()
        .catch((e: unknown) => this.opts.logger?.error({ err: String(e) }, 'log store: flush failed'))
        .finally(() => (this.queuedFlush = undefined));
      if (this.flushingHeads.length > 0) await this.queuedFlush;
    }
    return result;
  }

  /** Writes the current head to a columnar file. Concurrent callers share one flush at a time. */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      const prev = this.flushPromise;
      if (prev) await prev.catch(() => undefined);
      await this.flushOnce();
    };
    const p = run().finally(() => {
      if (this.flushPromise === p) this.flushPromise = undefined;
    });
    this.flushPromise = p;
    return p;
  }

  private async flushOnce(): Promise<void> {
    if (this.head.entries.length === 0) return;
    // Swap head and cut the WAL with no append between its WAL write and its head push, so every record in
    // the segments before the cut is in the swapped head and every later record in the new one.
    let release!: () => void;
    this.gate = new Promise<void>((r) => (release = r));
    let head: Head;
    let cut: number;
    try {
      while (this.inflight > 0) await new Promise<void>((r) => (this.inflightDrained = r));
      this.inflightDrained = undefined;
      cut = await this.wal.cut();
      head = this.head;
      this.head = new Head(this.now());
      this.flushingHeads.push(head);
    } finally {
      this.gate = undefined;
      release();
    }
    try {
      await this.streams.persist();
      const file = await this.writeHead(head, cut);
      this.files.push(file);
    } finally {
      this.flushingHeads.splice(this.flushingHeads.indexOf(head), 1);
    }
    await this.wal.truncateBefore(cut);
    await this.compact();
    await this.applyRetention();
  }

  private async writeHead(head: Head, walCut: number): Promise<ChunkFile> {
    const seq = this.nextSeq++;
    const conn = await this.db.connect();
    const table = `flush_${seq}`;
    try {
      await conn.run(
        `CREATE TEMP TABLE ${table} (stream_id UINTEGER, ts BIGINT, line VARCHAR, metadata VARCHAR, trace_id VARCHAR, span_id VARCHAR)`,
      );
      const app = await conn.createAppender(table);
      let n = 0;
      // The timestamps' common step: every ts - first is a multiple of it (see chunk-file.ts).
      const first = head.entries[0].ts;
      let unit = 0n;
      for (const e of head.entries) {
        if (unit !== 1n) {
          const d = e.ts - first;
          if (unit === 0n ? d !== 0n : d % unit !== 0n) unit = gcd(unit, d);
        }
        app.appendUInteger(e.sid);
        app.appendBigInt(e.ts);
        app.appendVarchar(e.line);
        if (e.metadata) app.appendVarchar(JSON.stringify(e.metadata));
        else app.appendNull();
        if (e.traceId) app.appendVarchar(e.traceId);
        else app.appendNull();
        if (e.spanId) app.appendVarchar(e.spanId);
        else app.appendNull();
        app.endRow();
        // Appending is synchronous: yield now and then so a large flush does not stall requests.
        if (++n % 20000 === 0) {
          app.flushSync();
          await new Promise((r) => setImmediate(r));
        }
      }
      app.flushSync();
      app.closeSync();
      return await this.writeParquet(conn, `SELECT * FROM ${table}`, seq, walCut, [], head.entries.length, {
        minTs: head.minTs,
        maxTs: head.maxTs,
        streams: head.streams,
        bytes: head.bytes,
        tsUnit: unit === 0n ? 1n : unit,
      });
    } finally {
      await conn.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      conn.closeSync();
    }
  }

  /**
   * Writes the rows of `selectSql` (columns stream_id, ts in ns, line, metadata, trace_id, span_id) as one
   * Parquet file with its index and sidecar. `ts` is stored as tq = (ts - minTs) / tsUnit, where tsUnit must
   * divide every ts - minTs.
   */
  private async writeParquet(
    conn: DuckDBConnection,
    selectSql: string,
    seq: number,
    walCut: number,
    replaces: number[],
    rows: number,
    extents: { minTs: bigint; maxTs: bigint; streams: ReadonlyMap<number, StreamExtent>; bytes: number; tsUnit: bigint },
  ): Promise<ChunkFile> {
    const path = join(this.chunkDir, `${seqName(seq)}.parquet`);
    const tmp = `${path}.tmp`;
    const level = this.opts.zstdLevel ?? DEFAULT_ZSTD_LEVEL;
    const rgRows = this.opts.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
    const base = extents.minTs;
    const unit = extents.tsUnit > 0n ? extents.tsUnit : 1n;
    await conn.run(
      `COPY (SELECT stream_id, (ts - ${base}) // ${unit} AS tq, line, metadata, trace_id, span_id FROM (${selectSql}) ORDER BY stream_id, tq) ` +
        `TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${level}, ROW_GROUP_SIZE ${rgRows}, PARQUET_VERSION V2)`,
    );
    const skip = await this.buildSkipIndex(conn, tmp);
    await syncFile(tmp);
    const fileBytes = (await stat(tmp)).size;
    const idx = skip.encode();
    const idxPath = indexPath(this.chunkDir, seq);
    await writeFile(`${idxPath}.tmp`, idx);
    await syncFile(`${idxPath}.tmp`);
    await rename(`${idxPath}.tmp`, idxPath);
    const file: ChunkFile = {
      seq,
      path,
      minTs: extents.minTs,
      maxTs: extents.maxTs,
      rows,
      rawBytes: extents.bytes,
      fileBytes,
      walCut,
      replaces,
      streams: extents.streams,
      tsBase: base,
      tsUnit: unit,
      skip,
      indexBytes: idx.length,
      refs: 0,
      deleted: false,
    };
    const sidecar = join(this.chunkDir, `${seqName(seq)}.json`);
    await writeFile(`${sidecar}.tmp`, sidecarJson(file));
    await syncFile(`${sidecar}.tmp`);
    await rename(`${sidecar}.tmp`, sidecar);
    await syncDir(this.chunkDir);
    await rename(tmp, path);
    await syncDir(this.chunkDir);
    return file;
  }

  /** Reads the written file back (its exact row order and row groups) and builds its 3-gram index. */
  private async buildSkipIndex(conn: DuckDBConnection, path: string): Promise<GramIndex> {
    const meta = await conn.runAndReadAll(
      `SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(${sqlString(path)}) GROUP BY row_group_id ORDER BY row_group_id`,
    );
    const rows = meta.getRows().map((r) => Number(r[1] as bigint));
    const builder = new SkipIndexBuilder(rows);
    const result = await conn.stream(`SELECT file_row_number, line FROM read_parquet(${sqlString(path)}, file_row_number = true)`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const cols = chunk.getColumns();
      for (let r = 0; r < chunk.rowCount; r++) builder.add(Number(cols[0][r] as bigint), cols[1][r] as string);
      // Building is synchronous JavaScript: let requests in between chunks.
      await new Promise((res) => setImmediate(res));
    }
    return await builder.build();
  }

  /** Merges small files (many short flushes) into one, so scans open few files. */
  private async compact(): Promise<void> {
    const below = this.opts.compactBelowBytes ?? 4 * 1024 * 1024;
    const minFiles = this.opts.compactMinFiles ?? 8;
    const small = this.files.filter((f) => !f.deleted && f.fileBytes < below);
    if (small.length < minFiles) return;
    const seq = this.nextSeq++;
    const streams = new Map<number, StreamExtent>();
    let minTs = small[0].minTs;
    let maxTs = small[0].maxTs;
    let rows = 0;
    let bytes = 0;
    for (const f of small) {
      if (f.minTs < minTs) minTs = f.minTs;
      if (f.maxTs > maxTs) maxTs = f.maxTs;
      rows += f.rows;
      bytes += f.rawBytes;
      for (const [sid, e] of f.streams) {
        const x = streams.get(sid);
        if (!x) streams.set(sid, { ...e });
        else {
          if (e.min < x.min) x.min = e.min;
          if (e.max > x.max) x.max = e.max;
          x.count += e.count;
          x.bytes += e.bytes;
        }
      }
    }
    const walCut = small.reduce((m, f) => Math.max(m, f.walCut), 0);
    // Every input timestamp is tsBase + k × tsUnit of its file, so this divides every ts - minTs of the merge.
    let unit = 0n;
    for (const f of small) unit = gcd(gcd(unit, f.tsUnit ?? 1n), (f.tsBase ?? minTs) - minTs);
    const conn = await this.db.connect();
    try {
      const union = small
        .map((f) => `SELECT stream_id, ${tsColumn(f)} AS ts, line, metadata, trace_id, span_id FROM read_parquet(${sqlString(f.path)})`)
        .join(' UNION ALL ');
      const merged = await this.writeParquet(conn, union, seq, walCut, small.map((f) => f.seq), rows, {
        minTs,
        maxTs,
        streams,
        bytes,
        tsUnit: unit === 0n ? 1n : unit,
      });
      this.files = this.files.filter((f) => !small.includes(f));
      this.files.push(merged);
      this.files.sort((a, b) => a.seq - b.seq);
      for (const f of small) await this.release(f, true);
    } catch (e) {
      this.opts.logger?.error({ err: String(e) }, 'log store: compaction failed');
    } finally {
      conn.closeSync();
    }
  }

  private async release(f: ChunkFile, del = false): Promise<void> {
    if (del) f.deleted = true;
    if (f.deleted && f.refs === 0) await removeChunkFiles(this.chunkDir, f.seq);
  }

  private async applyRetention(): Promise<void> {
    const drop: ChunkFile[] = [];
    if (this.opts.retentionTimeMs) {
      const cutoff = (BigInt(Math.floor(this.now())) - BigInt(this.opts.retentionTimeMs)) * MS;
      for (const f of this.files) if (f.maxTs < cutoff) drop.push(f);
    }
    if (this.opts.retentionSizeBytes) {
      let total = this.wal.sizeBytes();
      for (const f of this.files) if (!drop.includes(f)) total += f.fileBytes;
      const byAge = this.files.filter((f) => !drop.includes(f)).sort((a, b) => (a.maxTs < b.maxTs ? -1 : a.maxTs > b.maxTs ? 1 : 0));
      for (const f of byAge) {
        if (total <= this.opts.retentionSizeBytes) break;
        drop.push(f);
        total -= f.fileBytes;
      }
    }
    if (drop.length === 0) return;
    this.files = this.files.filter((f) => !drop.includes(f));
    for (const f of drop) await this.release(f, true);
    this.opts.logger?.info({ files: drop.length }, 'log store: retention removed files');
  }

  /** Periodic: flush an old head, apply retention. */
  async maintain(): Promise<void> {
    if (this.closed) return;
    try {
      const age = this.opts.maxHeadAgeMs ?? 5 * 60_000;
      if (this.head.entries.length > 0 && this.now() - this.head.createdAt >= age) await this.flush();
      else await this.applyRetention();
    } catch (e) {
      this.opts.logger?.error({ err: String(e) }, 'log store: maintenance failed');
    }
  }

  // ---- reading ----

  private sources(sids: ReadonlySet<number>, start: bigint, end: bigint): Source[] {
    const out: Source[] = [];
    for (const f of this.files) {
      if (f.maxTs < start || f.minTs >= end) continue;
      let any = false;
      for (const sid of sids) {
        const e = f.streams.get(sid);
        if (e && e.max >= start && e.min < end) {
          any = true;
          break;
        }
      }
      if (any) out.push({ kind: 'file', min: f.minTs, max: f.maxTs, file: f });
    }
    for (const h of [...this.flushingHeads, this.head]) {
      if (h.entries.length === 0 || h.maxTs < start || h.minTs >= end) continue;
      out.push({ kind: 'head', min: h.minTs, max: h.maxTs, head: h, headLen: h.entries.length });
    }
    return out;
  }

  async *select(params: LogSelectParams): AsyncIterable<LogEntry[]> {
    const filters = params.lineFilters ?? [];
    checkLineFilters(filters);
    const sidList = this.streams.match(params.matchers);
    if (sidList.length === 0 || params.start >= params.end) return;
    const sids = new Set(sidList);
    const srcs = this.sources(sids, params.start, params.end);
    for (const s of srcs) if (s.file) s.file.refs++;
    try {
      const forward = params.direction === 'forward';
      let remaining = params.limit > 0 ? params.limit : Infinity;
      for (const w of timeWindows(srcs, params.start, params.end, forward)) {
        const windowParams = { ...params, start: w.start, end: w.end };
        for await (const batch of this.selectGroup(w.sources, sids, windowParams, forward, remaining)) {
          params.signal?.throwIfAborted();
          const out = batch.length > remaining ? batch.slice(0, remaining) : batch;
          remaining -= out.length;
          if (out.length > 0) yield out;
          if (remaining <= 0) return;
        }
      }
    } finally {
      for (const s of srcs) {
        if (s.file) {
          s.file.refs--;
          await this.release(s.file);
        }
      }
    }
  }

  /** One group of sources whose time ranges overlap: engine scan of its files merged with its heads. */
  private async *selectGroup(
    group: Source[],
    sids: ReadonlySet<number>,
    params: LogSelectParams,
    forward: boolean,
    limit: number,
  ): AsyncIterable<LogEntry[]> {
    const filters = params.lineFilters ?? [];
    const headMatches = this.scanHeads(group, sids, params, forward, limit);
    let hi = 0;
    const files = group.filter((s) => s.file).map((s) => s.file as ChunkFile);
    const takeHeadUntil = (ts: bigint | undefined, out: LogEntry[]): void => {
      while (hi < headMatches.length && (ts === undefined || (forward ? headMatches[hi].ts <= ts : headMatches[hi].ts >= ts))) {
        out.push(this.toEntry(headMatches[hi++]));
      }
    };
    if (files.length > 0) {
      const where: string[] = [];
      let allIn = true;
      for (const f of files) for (const sid of f.streams.keys()) if (!sids.has(sid)) allIn = false;
      if (!allIn) where.push(`stream_id IN (${[...sids].join(',')})`);
      const lf = lineFiltersToSql(filters);
      if (lf.sql) where.push(lf.sql);
      const rest = where.map((w) => ` AND ${w}`).join('');
      const cols = 'stream_id, ts, line, metadata, trace_id, span_id';
      // Files without a skip index (written before it existed) and files where every row group may match are
      // read whole; of the rest only the candidate row groups are read, each range as its own scan (the engine
      // skips row groups for one file_row_number range, not for an OR of several). Files in the old timestamp
      // layout (column ts) share one scan; the others each have their own ts encoding, so one scan each.
      const legacyWhole: ChunkFile[] = [];
      const scans: string[] = [];
      const args: string[] = [];
      let rowGroups = 0;
      let skipped = 0;
      let scannedFiles = 0;
      const scan = (f: ChunkFile, rows?: [number, number]): void => {
        const src = rows ? `read_parquet(${sqlString(f.path)}, file_row_number = true)` : `read_parquet(${sqlString(f.path)})`;
        const range = rows ? `file_row_number BETWEEN ${rows[0]} AND ${rows[1]} AND ` : '';
        const tsCols = f.tsUnit === undefined ? cols : `stream_id, ${tsColumn(f)} AS ts, line, metadata, trace_id, span_id`;
        scans.push(`SELECT ${tsCols} FROM ${src} WHERE ${range}${tsRange(f, params.start, params.end)}${rest}`);
        args.push(...lf.params);
      };
      for (const f of files) {
        const cand = f.skip ? candidateRowGroups(f.skip, filters) : undefined;
        if (f.skip && cand) {
          rowGroups += cand.length;
          skipped += f.skip.rowGroups.length - cand.length;
        }
        if (cand && cand.length === 0) continue;
        scannedFiles++;
        if (cand && f.skip && cand.length < f.skip.rowGroups.length) for (const r of rowRanges(cand)) scan(f, r);
        else if (f.tsUnit === undefined) legacyWhole.push(f);
        else scan(f);
      }
      this.opts.onScan?.({ files: scannedFiles, rowGroups, skippedRowGroups: skipped });
      if (legacyWhole.length > 0) {
        scans.push(
          `SELECT ${cols} FROM read_parquet([${legacyWhole.map((f) => sqlString(f.path)).join(', ')}]) WHERE ts >= ${params.start} AND ts < ${params.end}${rest}`,
        );
        args.push(...lf.params);
      }
      const sql =
        scans.length === 0
          ? ''
          : `SELECT ${cols} FROM (${scans.join(' UNION ALL ')}) ORDER BY ts ${forward ? 'ASC' : 'DESC'}` + (Number.isFinite(limit) ? ` LIMIT ${limit}` : '');
      const conn = sql ? await this.db.connect() : undefined;
      try {
        const result = conn ? await conn.stream(sql, args.length > 0 ? (args as DuckDBValue[]) : undefined) : undefined;
        for (;;) {
          params.signal?.throwIfAborted();
          if (!result) break;
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const cols = chunk.getColumns();
          const out: LogEntry[] = [];
          for (let r = 0; r < chunk.rowCount; r++) {
            const ts = cols[1][r] as bigint;
            takeHeadUntil(ts, out);
            const sid = cols[0][r] as number;
            const meta = cols[3][r] as string | null;
            const trace = cols[4][r] as string | null;
            const span = cols[5][r] as string | null;
            const e: { -readonly [K in keyof LogEntry]: LogEntry[K] } = {
              stream: (this.streams.get(sid) as { labels: Labels }).labels,
              ts,
              line: cols[2][r] as string,
            };
            if (meta) e.metadata = JSON.parse(meta) as Record<string, string>;
            if (trace) e.traceId = trace;
            if (span) e.spanId = span;
            out.push(e);
          }
          yield out;
        }
      } finally {
        conn?.closeSync();
      }
    }
    while (hi < headMatches.length) {
      const out: LogEntry[] = [];
      const stop = Math.min(headMatches.length, hi + BATCH);
      while (hi < stop) out.push(this.toEntry(headMatches[hi++]));
      yield out;
    }
  }

  private scanHeads(group: Source[], sids: ReadonlySet<number>, params: LogSelectParams, forward: boolean, limit: number): HeadEntry[] {
    const pass = compileLineFilters(params.lineFilters ?? []);
    const out: HeadEntry[] = [];
    for (const s of group) {
      if (!s.head) continue;
      const entries = s.head.entries;
      const n = s.headLen ?? entries.length;
      for (let i = 0; i < n; i++) {
        const e = entries[i];
        if (e.ts < params.start || e.ts >= params.end || !sids.has(e.sid) || !pass(e.line)) continue;
        out.push(e);
      }
    }
    out.sort(forward ? (a, b) => cmpBig(a.ts, b.ts) : (a, b) => cmpBig(b.ts, a.ts));
    if (Number.isFinite(limit) && out.length > limit) out.length = limit;
    return out;
  }

  private toEntry(h: HeadEntry): LogEntry {
    const e: { -readonly [K in keyof LogEntry]: LogEntry[K] } = {
      stream: (this.streams.get(h.sid) as { labels: Labels }).labels,
      ts: h.ts,
      line: h.line,
    };
    if (h.metadata) e.metadata = h.metadata;
    if (h.traceId) e.traceId = h.traceId;
    if (h.spanId) e.spanId = h.spanId;
    return e;
  }

  /** Streams with at least one entry in [start, end), with their per-source extents. */
  private activeStreams(sids: readonly number[], start: bigint, end: bigint): Map<number, StreamExtent[]> {
    const out = new Map<number, StreamExtent[]>();
    const want = new Set(sids);
    const visit = (streams: ReadonlyMap<number, StreamExtent>): void => {
      for (const [sid, e] of streams) {
        if (!want.has(sid) || e.max < start || e.min >= end) continue;
        const list = out.get(sid);
        if (list) list.push(e);
        else out.set(sid, [e]);
      }
    };
    for (const f of this.files) if (f.maxTs >= start && f.minTs < end) visit(f.streams);
    for (const h of [...this.flushingHeads, this.head]) if (h.entries.length > 0) visit(h.streams);
    return out;
  }

  async series(matchers: readonly Matcher[], start: bigint, end: bigint): Promise<Labels[]> {
    const active = this.activeStreams(this.streams.match(matchers), start, end);
    return [...active.keys()].map((sid) => (this.streams.get(sid) as { labels: Labels }).labels);
  }

  async labelNames(start: bigint, end: bigint): Promise<string[]> {
    const names = new Set<string>();
    for (const ls of await this.series([], start, end)) for (const l of ls) names.add(l.name);
    return [...names].sort();
  }

  async labelValues(name: string, matchers: readonly Matcher[], start: bigint, end: bigint): Promise<string[]> {
    const values = new Set<string>();
    for (const ls of await this.series(matchers, start, end)) for (const l of ls) if (l.name === name) values.add(l.value);
    return [...values].sort();
  }

  /** Like Loki's index stats: whole chunks (here files and heads) that overlap the range are counted. */
  async stats(matchers: readonly Matcher[], start: bigint, end: bigint): Promise<LogStoreStats> {
    const active = this.activeStreams(this.streams.match(matchers), start, end);
    const chunks = new Set<StreamExtent>();
    let entries = 0;
    let bytes = 0;
    for (const list of active.values()) {
      for (const e of list) {
        chunks.add(e);
        entries += e.count;
        bytes += e.bytes;
      }
    }
    return { streams: active.size, chunks: chunks.size, entries, bytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    if (this.flushPromise) await this.flushPromise.catch(() => undefined);
    this.closed = true;
    // The head stays in the WAL; it is replayed on the next open, so closing is quick and loses nothing.
    await this.wal.close();
    await this.streams.close();
    this.db.closeSync();
  }
}

/**
 * Splits [start, end) into windows at the sources' start times and lists the sources overlapping each, in scan
 * order. Each window is sorted by the engine on its own, so a scan over many files never sorts more than about
 * one file's rows at a time (flushes follow time, so files overlap only at their edges), and `limit` stops
 * after the first windows.
 */
function timeWindows(srcs: Source[], start: bigint, end: bigint, forward: boolean): { start: bigint; end: bigint; sources: Source[] }[] {
  const cuts = new Set<bigint>([start]);
  for (const s of srcs) if (s.min > start && s.min < end) cuts.add(s.min);
  const points = [...cuts].sort(cmpBig);
  const out: { start: bigint; end: bigint; sources: Source[] }[] = [];
  for (let i = 0; i < points.length; i++) {
    const w0 = points[i];
    const w1 = i + 1 < points.length ? points[i + 1] : end;
    const sources = srcs.filter((s) => s.min < w1 && s.max >= w0);
    if (sources.length > 0) out.push({ start: w0, end: w1, sources });
  }
  return forward ? out : out.reverse();
}

/** SQL for a file's nanosecond timestamp (see chunk-file.ts: `tq` files store (ts - tsBase) / tsUnit). */
function tsColumn(f: ChunkFile): string {
  return f.tsUnit === undefined ? 'ts' : `(${f.tsBase}::BIGINT + tq * ${f.tsUnit}::BIGINT)`;
}

/** SQL condition for start ≤ ts < end on a file's stored column, so the engine can prune by its statistics. */
function tsRange(f: ChunkFile, start: bigint, end: bigint): string {
  if (f.tsUnit === undefined || f.tsBase === undefined) return `ts >= ${start} AND ts < ${end}`;
  // base + tq·u ≥ start ⇔ tq ≥ ⌈(start − base) / u⌉, and base + tq·u < end ⇔ tq < ⌈(end − base) / u⌉.
  return `tq >= ${ceilDiv(start - f.tsBase, f.tsUnit)} AND tq < ${ceilDiv(end - f.tsBase, f.tsUnit)}`;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b - 1n) / b : -(-a / b);
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export function streamString(labels: Labels): string {
  return `{${labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
}

function nsToIso(ns: bigint): string {
  return new Date(Number(ns / MS)).toISOString();
}

function truncateUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s);
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes so no character is cut in half.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString();
}

// ---- WAL records: one per append, JSON: [[flatLabels, [[ts, line, metadata|0, trace|0, span|0], ...]], ...]

function encodeWalRecord(entries: readonly LogEntry[]): Uint8Array {
  const groups = new Map<Labels, unknown[][]>();
  for (const e of entries) {
    let g = groups.get(e.stream);
    if (!g) groups.set(e.stream, (g = []));
    g.push([String(e.ts), e.line, e.metadata ?? 0, e.traceId ?? 0, e.spanId ?? 0]);
  }
  const out: unknown[] = [];
  for (const [labels, rows] of groups) {
    const flat: string[] = [];
    for (const l of labels) flat.push(l.name, l.value);
    out.push([flat, rows]);
  }
  return Buffer.from(JSON.stringify(out));
}

function decodeWalRecord(rec: Uint8Array): LogEntry[] {
  const groups = JSON.parse(Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength).toString()) as [string[], [string, string, Record<string, string> | 0, string | 0, string | 0][]][];
  const out: LogEntry[] = [];
  for (const [flat, rows] of groups) {
    const stream: { name: string; value: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) stream.push({ name: flat[i], value: flat[i + 1] });
    for (const [ts, line, meta, trace, span] of rows) {
      const e: { -readonly [K in keyof LogEntry]: LogEntry[K] } = { stream, ts: BigInt(ts), line };
      if (meta) e.metadata = meta;
      if (trace) e.traceId = trace;
      if (span) e.spanId = span;
      out.push(e);
    }
  }
  return out;
}
