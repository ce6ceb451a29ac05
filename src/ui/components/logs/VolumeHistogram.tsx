/**
 * Log volume over time: stacked bars per level (uPlot). Dragging across the chart selects a time range,
 * which the page applies as its new range (zoom).
 */
import { useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue } from '../../lib/format.js';
import { cssVar } from '../../lib/theme.js';
import { useUplot } from '../use-uplot.js';
import { levelColor } from './level-color.js';

export interface VolumeSeries {
  level: string;
  /** Counts per bucket, aligned with `times`; null where there is nothing. */
  counts: (number | null)[];
}

export interface VolumeHistogramProps {
  times: number[];
  series: VolumeSeries[];
  onZoom(startMs: number, endMs: number): void;
  height?: number;
}

export function VolumeHistogram({ times, series, onZoom, height = 120 }: VolumeHistogramProps) {
  const zoom = useRef(onZoom);
  zoom.current = onZoom;
  const host = useUplot((el, width) => {
    // Stack: each drawn series is the running total up to it, drawn back to front.
    const stacked: (number | null)[][] = [];
    const acc = new Array<number>(times.length).fill(0);
    for (const s of series) {
      stacked.push(s.counts.map((c, i) => (acc[i] += c ?? 0) || null));
    }
    const axisColor = cssVar('--text-muted') || '#666';
    const gridColor = cssVar('--grid') || 'rgba(128,128,128,0.15)';
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1, size: 3 }, font: '11px system-ui, sans-serif' };
    const bars = uPlot.paths.bars!({ size: [0.85, 40] });
    const opts: Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { y: false, drag: { x: true, y: false, setScale: false }, points: { show: false } },
      scales: { x: { time: true } },
      axes: [
        { ...axis, space: 90 },
        { ...axis, size: 44, values: (_u, splits) => splits.map((v) => formatValue(v)) },
      ],
      series: [
        {},
        ...series
          .map((s) => ({ label: s.level, stroke: levelColor(s.level), fill: levelColor(s.level), width: 0, paths: bars, points: { show: false } }))
          .reverse(),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x');
            const to = u.posToVal(u.select.left + u.select.width, 'x');
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            zoom.current(Math.round(from * 1000), Math.round(to * 1000));
          },
        ],
      },
    };
    return new uPlot(opts, [times, ...[...stacked].reverse()] as AlignedData, el);
  }, height, [times, series]);
  return <div className="log-volume" ref={host} data-testid="log-volume" title="Drag across the chart to zoom into that time range" />;
}

export default VolumeHistogram;
