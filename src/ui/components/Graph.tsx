/**
 * The time-series graph, drawn with uPlot (canvas; stays fast with hundreds of series).
 * The legend is uPlot's own live legend (values follow the cursor; click a row to hide/show a series);
 * a small tooltip shows the series nearest the cursor.
 */
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue } from '../lib/format.js';
import { colorFor, type AlignedSeries } from '../lib/series.js';
import { cssVar } from '../lib/theme.js';
import { useUplot } from './use-uplot.js';

export interface GraphProps {
  data: AlignedSeries;
  height?: number;
}

function tooltipPlugin(): uPlot.Plugin {
  let tip: HTMLDivElement | null = null;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'graph-tooltip';
        tip.style.display = 'none';
        u.over.appendChild(tip);
      },
      setCursor: (u) => {
        if (!tip) return;
        const idx = u.cursor.idx;
        const sIdx = nearestSeries(u);
        if (idx == null || sIdx == null || sIdx < 1) {
          tip.style.display = 'none';
          return;
        }
        const v = u.data[sIdx]?.[idx];
        const t = u.data[0][idx];
        if (v == null || t == null) {
          tip.style.display = 'none';
          return;
        }
        const s = u.series[sIdx];
        const label = typeof s?.label === 'string' ? s.label : '';
        tip.replaceChildren();
        const head = document.createElement('div');
        head.className = 'graph-tooltip-time';
        head.textContent = new Date(t * 1000).toLocaleString();
        const row = document.createElement('div');
        row.className = 'graph-tooltip-row';
        const sw = document.createElement('span');
        sw.className = 'swatch';
        // uPlot turns `stroke` into a function after init, so take the colour from the palette directly.
        sw.style.background = colorFor(sIdx - 1);
        const val = document.createElement('strong');
        val.textContent = formatTooltipValue(v);
        row.append(sw, val);
        const name = document.createElement('div');
        name.className = 'graph-tooltip-name';
        name.textContent = label;
        tip.append(head, row, name);
        tip.style.display = 'block';
        const left = u.cursor.left ?? 0;
        const top = u.cursor.top ?? 0;
        const flip = left > u.over.clientWidth / 2;
        tip.style.left = flip ? '' : `${left + 14}px`;
        tip.style.right = flip ? `${u.over.clientWidth - left + 14}px` : '';
        tip.style.top = `${Math.max(0, top - 10)}px`;
      },
    },
  };
}

/** Enough digits to compare values, not the full float noise (the Table tab has exact values). */
function formatTooltipValue(v: number): string {
  const abs = Math.abs(v);
  return abs !== 0 && (abs >= 1e9 || abs < 1e-4) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

/** The series whose value at the cursor is vertically closest to the pointer. */
function nearestSeries(u: uPlot): number | null {
  const idx = u.cursor.idx;
  const top = u.cursor.top;
  if (idx == null || top == null || top < 0) return null;
  let best: number | null = null;
  let bestDist = Infinity;
  for (let i = 1; i < u.series.length; i++) {
    if (!u.series[i]?.show) continue;
    const v = u.data[i]?.[idx];
    if (v == null) continue;
    const y = u.valToPos(v, 'y');
    const d = Math.abs(y - top);
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return bestDist <= 40 ? best : null;
}

/**
 * Above this many series, hovering stops updating every legend value, drawing a cursor point per series and
 * re-fading the lines around the focused one: with hundreds of series each of those costs a frame per mouse
 * move. The tooltip still names the nearest series and its value.
 */
const RICH_HOVER_MAX_SERIES = 50;

function buildOptions(data: AlignedSeries, width: number, height: number): Options {
  const rich = data.names.length <= RICH_HOVER_MAX_SERIES;
  const axisColor = cssVar('--text-muted') || '#666';
  const gridColor = cssVar('--grid') || 'rgba(128,128,128,0.15)';
  const axis = {
    stroke: axisColor,
    grid: { stroke: gridColor, width: 1 },
    ticks: { stroke: gridColor, width: 1, size: 4 },
    font: '12px system-ui, -apple-system, "Segoe UI", sans-serif',
  };
  return {
    width,
    height,
    cursor: { y: false, focus: { prox: rich ? 24 : -1 }, points: { size: 7, show: rich }, drag: { x: false, y: false } },
    focus: { alpha: rich ? 0.35 : 1 },
    legend: { live: rich, markers: { width: 3 } },
    scales: { x: { time: true } },
    axes: [
      { ...axis, space: 80 },
      { ...axis, size: 60, values: (_u, splits) => splits.map((v) => formatValue(v)) },
    ],
    series: [
      { label: 'Time', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleString()) },
      ...data.names.map((name, i) => ({
        label: name,
        stroke: colorFor(i),
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v == null ? '—' : formatValue(v, 4)),
      })),
    ],
    plugins: [tooltipPlugin()],
  };
}

export function Graph({ data, height = 360 }: GraphProps) {
  const host = useUplot((el, width) => new uPlot(buildOptions(data, width, height), [data.times, ...data.columns] as AlignedData, el), height, [data]);
  return <div className="graph" ref={host} data-testid="graph" />;
}

export default Graph;
