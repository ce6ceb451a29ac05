/**
 * Turns a Prometheus range-query matrix into uPlot's column layout: one shared time axis on the query's
 * step grid, one value column per series, and null where a series has no sample (so lines break at gaps
 * instead of interpolating across them). NaN and infinities cannot be drawn and also become gaps.
 */
import { formatSeriesName, parseSampleValue, type LabelSet } from './format.js';

export interface MatrixInput {
  metric: LabelSet;
  values?: ReadonlyArray<readonly [number, string]>;
}

export interface AlignedSeries {
  /** Seconds since the epoch. */
  times: number[];
  columns: (number | null)[][];
  names: string[];
}

export function alignMatrix(result: readonly MatrixInput[], startSec: number, endSec: number, stepSec: number): AlignedSeries {
  const n = Math.max(1, Math.floor((endSec - startSec) / stepSec + 1e-9) + 1);
  const times = new Array<number>(n);
  for (let i = 0; i < n; i++) times[i] = startSec + i * stepSec;
  const columns = result.map((s) => {
    const col = new Array<number | null>(n).fill(null);
    for (const [t, v] of s.values ?? []) {
      const i = Math.round((t - startSec) / stepSec);
      if (i < 0 || i >= n) continue;
      const x = parseSampleValue(v);
      col[i] = Number.isFinite(x) ? x : null;
    }
    return col;
  });
  return { times, columns, names: result.map((s) => formatSeriesName(s.metric)) };
}

/** Stable colours that read on both light and dark backgrounds. */
export const PALETTE: readonly string[] = [
  '#4f6bed', '#e5843a', '#2fa66a', '#d9486b', '#8c5fd6', '#1fa3b8',
  '#c6a120', '#e0608f', '#5b8c2a', '#6d7fa3', '#b3563a', '#3a9ad9',
];

export function colorFor(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#4f6bed';
}
