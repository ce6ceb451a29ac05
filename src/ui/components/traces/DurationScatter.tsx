/**
 * Trace durations over time as a uPlot scatter: one point per search result (errors in the danger colour);
 * clicking a point opens that trace.
 */
import { useRef } from 'react';
import uPlot, { type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { cssVar } from '../../lib/theme.js';
import { useUplot } from '../use-uplot.js';

export interface ScatterPoint {
  traceId: string;
  /** Unix seconds. */
  t: number;
  durationMs: number;
  error: boolean;
}

export function DurationScatter({ points, onOpen, height = 180 }: { points: ScatterPoint[]; onOpen(traceId: string): void; height?: number }) {
  const latest = useRef(onOpen);
  latest.current = onOpen;

  const host = useUplot((el, width) => {
    if (points.length === 0) return null;
    const sorted = [...points].sort((a, b) => a.t - b.t);
    const xs = sorted.map((p) => p.t);
    const ok = sorted.map((p) => (p.error ? null : p.durationMs));
    const bad = sorted.map((p) => (p.error ? p.durationMs : null));
    const dot = (color: string): uPlot.Series => ({
      stroke: color,
      fill: color,
      paths: () => null,
      points: { show: true, size: 8, stroke: color, fill: color },
    });
    const axis = { stroke: cssVar('--text-muted'), grid: { stroke: cssVar('--grid') }, ticks: { stroke: cssVar('--grid') } };
    const opts: Options = {
      width,
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 10 } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [axis, { ...axis, size: 60, values: (_u, ticks) => ticks.map((v) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`)) }],
      series: [{}, { label: 'ok', ...dot(cssVar('--accent')) }, { label: 'error', ...dot(cssVar('--danger')) }],
    };
    const u = new uPlot(opts, [xs, ok, bad], el);
    const onClick = () => {
      const i = u.cursor.idx;
      if (i != null && sorted[i]) latest.current(sorted[i].traceId);
    };
    u.over.addEventListener('click', onClick);
    u.over.style.cursor = 'pointer';
    return u;
  }, height, [points]);

  return <div className="trace-scatter" ref={host} data-testid="trace-scatter" aria-label="Trace duration over time; click a point to open the trace" />;
}

export default DurationScatter;
