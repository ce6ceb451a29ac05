/**
 * The positions file: for every tailed path, the inode and the byte offset up to which its lines have been
 * acknowledged by the server (or durably buffered). Written atomically (temp file, fsync, rename) so a crash
 * leaves either the old or the new positions, never a torn file.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from '../../lib/wal/segment-log.js';

export interface Position {
  inode: number;
  offset: number;
}

export class Positions {
  private readonly map = new Map<string, Position>();
  private dirty = false;

  private constructor(private readonly file: string) {}

  static async load(file: string): Promise<Positions> {
    const p = new Positions(file);
    await mkdir(dirname(file), { recursive: true });
    try {
      const obj = JSON.parse(await readFile(file, 'utf8')) as { positions?: Record<string, Position> };
      for (const [path, pos] of Object.entries(obj.positions ?? {})) {
        if (typeof pos?.inode === 'number' && typeof pos?.offset === 'number') p.map.set(path, pos);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`positions file ${file}: ${(e as Error).message}`);
    }
    return p;
  }

  get(path: string): Position | undefined {
    return this.map.get(path);
  }

  set(path: string, pos: Position): void {
    const cur = this.map.get(path);
    if (cur && cur.inode === pos.inode && cur.offset === pos.offset) return;
    this.map.set(path, pos);
    this.dirty = true;
  }

  delete(path: string): void {
    if (this.map.delete(path)) this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const tmp = `${this.file}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ positions: Object.fromEntries(this.map) }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    await syncDir(dirname(this.file));
  }
}
