/**
 * Start-up recovery of the head: the newest complete checkpoint (series + chunks), then the WAL segments
 * from the checkpoint's number on. Records are decoded in bulk with no per-sample allocation.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentLog } from '../../lib/wal/segment-log.js';
import type { Head } from './head.js';
import { REC_CHUNKS, REC_SAMPLES, REC_SERIES, decodeChunksRecord, decodeSamples, decodeSeries } from './wal-records.js';

export interface WarnLogger {
  warn(obj: object, msg?: string): void;
}

const CHECKPOINT_RE = /^checkpoint\.(\d{8})$/;

/** Lists complete checkpoints (newest last) and removes abandoned temporary ones. */
export async function listCheckpoints(walDir: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir(walDir)) {
    const m = CHECKPOINT_RE.exec(name);
    if (m) out.push(Number(m[1]));
    else if (name.startsWith('checkpoint.') && name.endsWith('.tmp')) await rm(join(walDir, name), { recursive: true, force: true });
  }
  return out.sort((a, b) => a - b);
}

export function checkpointDir(walDir: string, n: number): string {
  return join(walDir, `checkpoint.${String(n).padStart(8, '0')}`);
}

export function applyRecord(head: Head, rec: Uint8Array): void {
  switch (rec[0]) {
    case REC_SERIES:
      decodeSeries(
        rec,
        (s) => s,
        (ref, names, values, n) => head.createWithRef(ref, names, values, n),
      );
      break;
    case REC_SAMPLES: {
      const byRef = head.byRef;
      const minValid = head.minValidTime;
      decodeSamples(rec, (ref, t, hi, lo) => {
        const s = byRef[ref];
        // Older samples are in blocks already, unless they were out-of-order ones that came after the cut.
        if (s !== undefined && (t >= minValid || head.oooWindow > 0)) head.applySample(s, t, hi, lo, true);
      });
      break;
    }
    case REC_CHUNKS: {
      const byRef = head.byRef;
      decodeChunksRecord(rec, (c) => {
        const s = byRef[c.ref];
        if (s !== undefined && c.maxT >= head.minValidTime) head.restoreChunk(s, c);
      });
      break;
    }
    default:
      throw new RangeError(`unknown WAL record type ${rec[0]}`);
  }
}

export async function loadCheckpointAndReplay(
  head: Head,
  wal: SegmentLog,
  walDir: string,
  logger: WarnLogger | undefined,
): Promise<void> {
  head.replaying = true;
  try {
    const cps = await listCheckpoints(walDir);
    let from = 0;
    if (cps.length > 0) {
      const n = cps[cps.length - 1];
      const dir = checkpointDir(walDir, n);
      const cp = await SegmentLog.open(dir, { logger });
      await cp.replay((rec) => safeApply(head, rec, dir, logger));
      await cp.close();
      from = n;
    }
    await wal.replay((rec, seg) => safeApply(head, rec, join(walDir, String(seg).padStart(8, '0')), logger), from);
  } finally {
    head.replaying = false;
  }
}

function safeApply(head: Head, rec: Uint8Array, file: string, logger: WarnLogger | undefined): void {
  try {
    applyRecord(head, rec);
  } catch (e) {
    logger?.warn({ file, err: String(e) }, 'WAL: undecodable record skipped');
  }
}
