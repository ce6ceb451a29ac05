/**
 * The span waterfall: one row per visible span (name indented by depth, service colour, a bar placed on the
 * trace's time axis), virtualised so a trace of thousands of spans renders only the rows on screen. Subtrees
 * collapse; spans on the critical path are outlined. Keyboard: ↑/↓ move, ←/→ collapse/expand, Home/End.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { formatMicros, serviceColor, visibleRows, type UiSpan, type UiTrace } from './trace-model.js';

export const ROW_HEIGHT = 28;
const OVERSCAN = 12;

export interface WaterfallProps {
  trace: UiTrace;
  selected?: string;
  onSelect(id: string): void;
  height?: number;
}

export function Waterfall({ trace, selected, onSelect, height = 560 }: WaterfallProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const rows = useMemo(() => visibleRows(trace, collapsed), [trace, collapsed]);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(height);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setViewH(el.clientHeight || height);
    const ro = new ResizeObserver(() => setViewH(el.clientHeight || height));
    ro.observe(el);
    return () => ro.disconnect();
  }, [height]);

  const toggle = useCallback((id: string) => {
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const index = selected ? rows.findIndex((r) => r.id === selected) : -1;

  // Keep the selected row on screen when the keyboard moves it.
  useEffect(() => {
    const el = scroller.current;
    if (!el || index < 0) return;
    const top = index * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }, [index]);

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const cur = index < 0 ? 0 : index;
    const span = rows[cur];
    let next = -1;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(rows.length - 1, index < 0 ? 0 : cur + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, cur - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = rows.length - 1;
        break;
      case 'PageDown':
        next = Math.min(rows.length - 1, cur + Math.floor(viewH / ROW_HEIGHT));
        break;
      case 'PageUp':
        next = Math.max(0, cur - Math.floor(viewH / ROW_HEIGHT));
        break;
      case 'ArrowLeft':
        if (span && span.children.length && !collapsed.has(span.id)) toggle(span.id);
        else if (span?.parentId && trace.byId.has(span.parentId)) onSelect(span.parentId);
        e.preventDefault();
        return;
      case 'ArrowRight':
        if (span && collapsed.has(span.id)) toggle(span.id);
        e.preventDefault();
        return;
      default:
        return;
    }
    e.preventDefault();
    if (rows[next]) onSelect(rows[next].id);
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewH) / ROW_HEIGHT) + OVERSCAN);
  const total = trace.duration || 1;
  const ticks = [0, 0.25, 0.5, 0.75, 1];

  return (
    <div className="waterfall" data-testid="waterfall">
      <div className="waterfall-header" aria-hidden="true">
        <div className="wf-name-col">Service &amp; operation</div>
        <div className="wf-timeline-col wf-ruler">
          {ticks.map((f) => (
            <span key={f} className="wf-tick" style={{ left: `${f * 100}%` }}>
              {formatMicros(total * f)}
            </span>
          ))}
        </div>
      </div>
      <div
        className="waterfall-body"
        ref={scroller}
        // Small traces take the room they need; big ones scroll (rows are windowed).
        style={{ maxHeight: height }}
        tabIndex={0}
        role="tree"
        aria-label={`Spans of trace ${trace.traceId}: arrow keys move, left/right collapse and expand`}
        aria-activedescendant={selected ? `span-row-${selected}` : undefined}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKey}
        data-testid="waterfall-body"
      >
        <div style={{ height: rows.length * ROW_HEIGHT, position: 'relative' }}>
          {ticks.slice(1, -1).map((f) => (
            <div key={f} className="wf-gridline" style={{ left: `calc(var(--wf-name-width) + (100% - var(--wf-name-width)) * ${f})` }} />
          ))}
          {rows.slice(first, last).map((s, i) => (
            <Row
              key={s.id}
              span={s}
              top={(first + i) * ROW_HEIGHT}
              total={total}
              selected={s.id === selected}
              critical={trace.critical.has(s.id)}
              collapsed={collapsed.has(s.id)}
              onToggle={toggle}
              onSelect={onSelect}
            />
          ))}
        </div>
      </div>
      <div className="waterfall-legend">
        {trace.services.map((svc) => (
          <span key={svc}>
            <span className="swatch" style={{ background: serviceColor(svc) }} />
            {svc}
          </span>
        ))}
        <span>
          <span className="swatch wf-critical-swatch" /> critical path
        </span>
      </div>
    </div>
  );
}

interface RowProps {
  span: UiSpan;
  top: number;
  total: number;
  selected: boolean;
  critical: boolean;
  collapsed: boolean;
  onToggle(id: string): void;
  onSelect(id: string): void;
}

function Row({ span: s, top, total, selected, critical, collapsed, onToggle, onSelect }: RowProps) {
  const left = (s.start / total) * 100;
  const width = Math.max((s.duration / total) * 100, 0.2);
  const color = serviceColor(s.service);
  // The duration goes after the bar; before it when the bar reaches the right edge; inside it when it fills the row.
  const inside = left + width > 80 && left < 15;
  const labelAt = left + width <= 80 ? { left: `calc(${left + width}% + 4px)` } : inside ? { right: `calc(${100 - left - width}% + 4px)` } : { right: `${100 - left + 0.5}%` };
  return (
    <div
      id={`span-row-${s.id}`}
      className={`wf-row${selected ? ' selected' : ''}${s.error ? ' error' : ''}`}
      style={{ top, height: ROW_HEIGHT }}
      role="treeitem"
      aria-level={s.depth + 1}
      aria-selected={selected}
      aria-expanded={s.children.length ? !collapsed : undefined}
      data-testid="span-row"
      data-span-id={s.id}
      onClick={() => onSelect(s.id)}
    >
      <div className="wf-name-col" style={{ paddingLeft: 8 + Math.min(s.depth, 40) * 14 }}>
        {s.children.length > 0 ? (
          <button
            type="button"
            className={`wf-toggle${collapsed ? ' collapsed' : ''}`}
            tabIndex={-1}
            aria-label={collapsed ? `Expand ${s.children.length} child spans` : 'Collapse child spans'}
            onClick={(e) => {
              e.stopPropagation();
              onToggle(s.id);
            }}
          >
            ▾
          </button>
        ) : (
          <span className="wf-toggle-spacer" />
        )}
        <span className="wf-service-bar" style={{ background: color }} />
        <span className="wf-service">{s.service}</span>
        <span className="wf-op" title={s.name}>
          {s.name}
        </span>
        {s.error && <span className="wf-error-dot" title="error" aria-label="error" />}
      </div>
      <div className="wf-timeline-col">
        <div className={`wf-bar${critical ? ' critical' : ''}`} style={{ left: `${left}%`, width: `${width}%`, background: color }} title={`${s.name}: ${formatMicros(s.duration)}`} />
        <span className={`wf-duration${inside ? ' inside' : ''}`} style={labelAt}>
          {formatMicros(s.duration)}
        </span>
      </div>
    </div>
  );
}

export default Waterfall;
