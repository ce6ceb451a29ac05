/**
 * The in-process fan-out from ingest to live tails. Ingest publishes entries only after the store
 * acknowledged them (durable), so a tailed line is never one a crash could lose; each subscriber (one per
 * tail WebSocket) filters for its own query. Publishing is synchronous and never waits for a subscriber:
 * a slow tailer's own bounded queue drops what it cannot keep, as Loki's tailer does.
 */
import type { LogEntry } from '../model.js';

export type TailListener = (entries: readonly LogEntry[]) => void;

export class LogTailHub {
  private readonly listeners = new Set<TailListener>();

  /** Registers a listener; returns the function that removes it. */
  subscribe(fn: TailListener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Entries the store has made durable. A listener that throws does not affect the others or the ingest. */
  publish(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    for (const fn of this.listeners) {
      try {
        fn(entries);
      } catch {
        // A tailer's failure is its own: the ingest request that published already succeeded.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
