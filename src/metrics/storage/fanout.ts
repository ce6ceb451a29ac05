/**
 * A Storage wrapper that lets other parts (remote_write queues, later span-metrics or recording taps) see
 * every committed sample without the writers knowing. Samples are delivered per commit, after the inner
 * storage has made them durable, so a tap never sees data that was rolled back or refused.
 *
 * A subscriber may return a promise; commit() then resolves only after it settles. The remote-write
 * manager uses that to have samples durably queued on disk before the writer is acknowledged. A failing
 * subscriber is logged and never fails the commit: the inner storage already has the data.
 */
import type { Labels } from '../../model/labels.js';
import type { Appender, HeadStats, Querier, Storage } from './interface.js';

export interface CommittedSample {
  labels: Labels;
  t: number;
  v: number;
}

export type CommitSubscriber = (batch: CommittedSample[]) => void | Promise<void>;

export interface TappedStorageOptions {
  onSubscriberError?: (err: unknown) => void;
}

export class TappedStorage implements Storage {
  private readonly subscribers = new Set<CommitSubscriber>();

  constructor(
    readonly inner: Storage,
    private readonly opts: TappedStorageOptions = {},
  ) {}

  /** Registers fn for every future committed batch; returns the unsubscribe function. */
  subscribe(fn: CommitSubscriber): () => void {
    this.subscribers.add(fn);
    return () => {
      this.subscribers.delete(fn);
    };
  }

  appender(): Appender {
    const inner = this.inner.appender();
    // Recording costs an object per sample; skip it entirely while nobody listens.
    let batch: CommittedSample[] | undefined = this.subscribers.size > 0 ? [] : undefined;
    return {
      append: (labels, t, v) => {
        inner.append(labels, t, v);
        // Only samples the inner appender accepted (it throws on refusal) are recorded.
        batch?.push({ labels, t, v });
      },
      commit: async () => {
        await inner.commit();
        const done = batch;
        batch = this.subscribers.size > 0 ? [] : undefined;
        if (!done || done.length === 0) return;
        await this.deliver(done);
      },
      rollback: () => {
        inner.rollback();
        if (batch) batch = [];
      },
    };
  }

  private async deliver(batch: CommittedSample[]): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const fn of this.subscribers) {
      try {
        const r = fn(batch);
        if (r && typeof (r as Promise<void>).then === 'function') pending.push((r as Promise<void>).catch((e) => this.report(e)));
      } catch (err) {
        this.report(err);
      }
    }
    if (pending.length) await Promise.all(pending);
  }

  private report(err: unknown): void {
    this.opts.onSubscriberError?.(err);
  }

  querier(): Querier {
    return this.inner.querier();
  }

  headStats(limit?: number): HeadStats {
    return this.inner.headStats(limit);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
