/**
 * The notification log: for each (group key, receiver integration) the last successful notification —
 * when, and which alerts were firing and resolved — so a group is not re-sent before repeat_interval, also
 * after a restart. Entries expire after the retention; kept in a snapshot file written atomically.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface NflogEntry {
  groupKey: string;
  receiver: string;
  timestamp: number;
  firingAlerts: string[];
  resolvedAlerts: string[];
  expiresAt: number;
}

export const NFLOG_RETENTION_MS = 120 * 3600_000;

export class NotificationLog {
  private readonly entries = new Map<string, NflogEntry>();

  constructor(
    private readonly file: string | undefined,
    private readonly now: () => number,
  ) {
    if (!file) return;
    try {
      for (const e of JSON.parse(readFileSync(file, 'utf8')) as NflogEntry[]) this.entries.set(key(e.groupKey, e.receiver), e);
    } catch {
      // No snapshot yet (or unreadable): start empty, as Alertmanager does.
    }
  }

  query(groupKey: string, receiver: string): NflogEntry | undefined {
    const e = this.entries.get(key(groupKey, receiver));
    return e && e.expiresAt > this.now() ? e : undefined;
  }

  log(groupKey: string, receiver: string, firing: string[], resolved: string[]): void {
    const now = this.now();
    this.entries.set(key(groupKey, receiver), { groupKey, receiver, timestamp: now, firingAlerts: firing, resolvedAlerts: resolved, expiresAt: now + NFLOG_RETENTION_MS });
    this.persist();
  }

  gc(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
    this.persist();
  }

  private persist(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.entries.values()]));
    renameSync(tmp, this.file);
  }
}

const key = (g: string, r: string) => `${g}\u0000${r}`;
