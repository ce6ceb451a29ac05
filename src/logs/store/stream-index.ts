/**
 * The stream index: every distinct stream label set gets a small integer id that the columnar files store
 * instead of the labels. Matchers are evaluated here, in memory, and reach the engine as `stream_id IN (...)`.
 *
 * Persisted as an append-only NDJSON file (`streams.ndjson`: `[id, [name, value, ...]]` per line) that is
 * fsync'ed before any columnar file referring to new ids becomes visible. Streams only known from the WAL are
 * re-registered on replay, so they need not be persisted until their data is flushed.
 */
import { open, readFile, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { labelsKey, type Labels } from '../../model/labels.js';
import { compileMatcher, type Matcher } from '../../model/matcher.js';

export interface StreamRecord {
  readonly id: number;
  readonly labels: Labels;
  readonly key: string;
}

const FILE = 'streams.ndjson';

export class StreamIndex {
  private readonly byKey = new Map<string, StreamRecord>();
  private readonly byId: StreamRecord[] = [];
  /** Ids registered in memory but not yet written to the file. */
  private unpersisted: StreamRecord[] = [];
  private fh: FileHandle | undefined;

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<StreamIndex> {
    const idx = new StreamIndex(dir);
    let text = '';
    try {
      text = await readFile(join(dir, FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const lastNl = text.lastIndexOf('\n');
    if (lastNl !== text.length - 1) {
      // A torn last line (crash mid-write) was never fsync'ed, so nothing refers to it; cut it off so that the
      // next append starts on a fresh line.
      text = text.slice(0, lastNl + 1);
      await truncate(join(dir, FILE), Buffer.byteLength(text));
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        // A torn last line (crash mid-write) was never fsync'ed, so nothing refers to it.
        continue;
      }
      if (!Array.isArray(parsed) || typeof parsed[0] !== 'number' || !Array.isArray(parsed[1])) continue;
      const flat = parsed[1] as string[];
      const labels: { name: string; value: string }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) labels.push({ name: flat[i], value: flat[i + 1] });
      const rec: StreamRecord = { id: parsed[0], labels, key: labelsKey(labels) };
      idx.byKey.set(rec.key, rec);
      idx.byId[rec.id] = rec;
    }
    idx.fh = await open(join(dir, FILE), 'a');
    return idx;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** The id of a stream, registering it (in memory) when new. */
  idOf(labels: Labels): number {
    const key = labelsKey(labels);
    const found = this.byKey.get(key);
    if (found) return found.id;
    const rec: StreamRecord = { id: this.byId.length, labels, key };
    this.byKey.set(key, rec);
    this.byId.push(rec);
    this.unpersisted.push(rec);
    return rec.id;
  }

  get(id: number): StreamRecord | undefined {
    return this.byId[id];
  }

  /** Ids whose labels satisfy every matcher (a missing label reads as ""). */
  match(matchers: readonly Matcher[]): number[] {
    const compiled = matchers.map(compileMatcher);
    const out: number[] = [];
    for (const rec of this.byId) {
      if (!rec) continue;
      let ok = true;
      for (const m of compiled) {
        let v = '';
        for (const l of rec.labels) if (l.name === m.name) v = l.value;
        if (!m.matches(v)) {
          ok = false;
          break;
        }
      }
      if (ok) out.push(rec.id);
    }
    return out;
  }

  /** Writes and fsyncs the streams registered since the last call. */
  async persist(): Promise<void> {
    if (this.unpersisted.length === 0 || !this.fh) return;
    const recs = this.unpersisted;
    this.unpersisted = [];
    let text = '';
    for (const r of recs) {
      const flat: string[] = [];
      for (const l of r.labels) flat.push(l.name, l.value);
      text += JSON.stringify([r.id, flat]) + '\n';
    }
    try {
      await this.fh.write(text);
      await this.fh.datasync();
    } catch (e) {
      this.unpersisted = recs.concat(this.unpersisted);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}
