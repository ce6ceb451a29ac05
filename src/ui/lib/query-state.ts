/**
 * The Explore page's state as URL parameters, so a copied link reproduces the query. Parameter names follow
 * Prometheus' own UI (`g0.expr`, `g0.range_input`, `g0.end_input`, `g0.step_input`, `g0.tab`) so links
 * people already have keep working.
 */
import { parseDuration } from './format.js';

export type ExploreTab = 'graph' | 'table';

export interface QueryState {
  expr: string;
  /** Range as a duration string, e.g. "1h". */
  range: string;
  /** Fixed end time in ms since the epoch, or null for "now". */
  endMs: number | null;
  /** Explicit step in seconds, or null for automatic. */
  stepSeconds: number | null;
  tab: ExploreTab;
}

export const RANGE_PRESETS: readonly string[] = ['5m', '15m', '1h', '3h', '6h', '12h', '1d', '2d', '7d'];

export const DEFAULT_STATE: QueryState = { expr: '', range: '1h', endMs: null, stepSeconds: null, tab: 'graph' };

export function parseQueryState(search: string): QueryState {
  const p = new URLSearchParams(search);
  const range = p.get('g0.range_input') ?? DEFAULT_STATE.range;
  const end = p.get('g0.end_input');
  const endMs = end ? Date.parse(end) : NaN;
  const step = Number(p.get('g0.step_input'));
  const tab = p.get('g0.tab');
  return {
    expr: p.get('g0.expr') ?? '',
    range: parseDuration(range) === null ? DEFAULT_STATE.range : range,
    endMs: Number.isFinite(endMs) ? endMs : null,
    stepSeconds: Number.isFinite(step) && step > 0 ? step : null,
    // Prometheus' UI uses tab=0 for graph and tab=1 for table.
    tab: tab === '1' || tab === 'table' ? 'table' : 'graph',
  };
}

export function serializeQueryState(s: QueryState): string {
  const p = new URLSearchParams();
  p.set('g0.expr', s.expr);
  p.set('g0.tab', s.tab === 'table' ? '1' : '0');
  p.set('g0.range_input', s.range);
  if (s.endMs !== null) p.set('g0.end_input', new Date(s.endMs).toISOString());
  if (s.stepSeconds !== null) p.set('g0.step_input', String(s.stepSeconds));
  return p.toString();
}
