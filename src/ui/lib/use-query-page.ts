/**
 * The run-a-query loop shared by Explore, Logs and Traces: the URL holds what ran (see query-state.ts), the
 * form edits a draft of it, running writes the draft to the URL, and every change of the URL (a run, a range
 * click, back/forward, a pasted link) runs the query again — aborting the one before and keeping its result on
 * screen until the new one arrives, so re-running does not flash an empty panel. Ctrl/⌘+Enter runs the
 * draft from anywhere on the page; the editors handle it themselves and mark the event handled.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { UrlCodec } from './query-state.js';
import { navigate, useLocation } from './router.js';

export type QueryResult<T> = { kind: 'idle' } | { kind: 'error'; message: string; errorType?: string } | { kind: 'ok'; data: T; tookMs: number };

/** Runs `exec` whenever `key` changes; null from exec means "nothing to run" (idle). */
export function useQueryResult<T>(key: string, exec: (signal: AbortSignal) => Promise<T> | null): { result: QueryResult<T>; loading: boolean } {
  const [result, setResult] = useState<QueryResult<T>>({ kind: 'idle' });
  const [loading, setLoading] = useState(false);
  // exec is a fresh closure every render; key says when what it reads has changed.
  const latest = useRef(exec);
  latest.current = exec;
  useEffect(() => {
    const ctl = new AbortController();
    const started = performance.now();
    const pending = latest.current(ctl.signal);
    if (pending === null) {
      setResult({ kind: 'idle' });
      setLoading(false);
      return;
    }
    setLoading(true);
    pending
      .then((data) => {
        if (ctl.signal.aborted) return;
        setResult({ kind: 'ok', data, tookMs: performance.now() - started });
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        setResult(errorResult(err));
        setLoading(false);
      });
    return () => ctl.abort();
  }, [key]);
  return { result, loading };
}

/** The server's own message (and Prometheus errorType where there is one), never a generic "failed". */
export function errorResult(err: unknown): { kind: 'error'; message: string; errorType?: string } {
  const message = err instanceof Error ? err.message : String(err);
  const errorType = err instanceof Error && 'errorType' in err && typeof err.errorType === 'string' ? err.errorType : undefined;
  return { kind: 'error', message, errorType };
}

export interface QueryPage<S, T> {
  /** What the URL holds: the query that ran or is running. */
  state: S;
  /** What the form shows; follows the URL when it changes under the page (back/forward, a link). */
  draft: S;
  setDraft(patch: Partial<S>): void;
  /** Runs the draft with `patch` applied as a new history entry; runs again even when nothing changed. */
  run(patch?: Partial<S>): void;
  /** Like run, for view settings (range, end time, tab, limit): replaces the history entry instead. */
  apply(patch: Partial<S>): void;
  result: QueryResult<T>;
  loading: boolean;
  /** Changes whenever the query runs again; other requests of the page (the log volume) key on it. */
  runKey: string;
}

export function useQueryPage<S, T>(path: string, codec: UrlCodec<S>, exec: (state: S, signal: AbortSignal) => Promise<T> | null): QueryPage<S, T> {
  const { search } = useLocation();
  const state = useMemo(() => codec.parse(search), [codec, search]);
  const [draft, setDraftState] = useState(state);
  const [runCount, setRunCount] = useState(0);
  useEffect(() => setDraftState(state), [state]);

  const setDraft = useCallback((patch: Partial<S>) => setDraftState((d) => ({ ...d, ...patch })), []);
  const go = useCallback(
    (patch: Partial<S>, replace: boolean) => {
      navigate(`${path}?${codec.serialize({ ...draft, ...patch })}`, replace);
      setRunCount((n) => n + 1);
    },
    [path, codec, draft],
  );
  const run = useCallback((patch: Partial<S> = {}) => go(patch, false), [go]);
  const apply = useCallback((patch: Partial<S>) => go(patch, true), [go]);

  useRunShortcut(run);

  const runKey = `${search}#${runCount}`;
  const { result, loading } = useQueryResult<T>(runKey, (signal) => exec(state, signal));
  return { state, draft, setDraft, run, apply, result, loading, runKey };
}

/** Ctrl/⌘+Enter anywhere on the page runs `run`, unless something focused (a query editor) already handled it. */
export function useRunShortcut(run: () => void): void {
  const latest = useRef(run);
  latest.current = run;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey) || e.defaultPrevented || e.isComposing) return;
      e.preventDefault();
      latest.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
