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
