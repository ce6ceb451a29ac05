/** Fetches one API endpoint for a page section, exposing loading/error/data and a reload function. */
import { useCallback, useEffect, useState } from 'react';
import { apiGet } from './api.js';

export type Loadable<T> = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; data: T };

export function useApi<T>(path: string, params?: Record<string, string>): [Loadable<T>, () => void] {
  const [value, setValue] = useState<Loadable<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(params ?? {});
  useEffect(() => {
    const ctl = new AbortController();
    apiGet<T>(path, JSON.parse(key) as Record<string, string>, ctl.signal)
      .then((r) => setValue({ state: 'ok', data: r.data }))
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setValue({ state: 'error', message: e instanceof Error ? e.message : String(e) });
      });
    return () => ctl.abort();
  }, [path, key, tick]);
  return [value, useCallback(() => setTick((t) => t + 1), [])];
}

/**
 * useApi, loaded again every `everyMs` so a list page stays current without the user reloading. The third
 * value is when the data on screen arrived, the "now" its "12s ago" texts are relative to.
 */
export function usePolledApi<T>(path: string, params?: Record<string, string>, everyMs = 10_000): [Loadable<T>, () => void, number] {
  const [value, reload] = useApi<T>(path, params);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(reload, everyMs);
    return () => clearInterval(t);
  }, [reload, everyMs]);
  useEffect(() => {
    if (value.state === 'ok') setNow(Date.now());
  }, [value]);
  return [value, reload, now];
}
