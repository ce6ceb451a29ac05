/**
 * The log lines, newest first: a windowed list (only the rows in view are in the DOM, so thousands of lines
 * scroll smoothly), level colouring, and rows that expand to show stream labels, structured metadata and the
 * fields detected in the line. A line that carries a trace id links to that trace.
 */
import { memo, useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link } from '../../lib/router.js';
import { Icon } from '../Icon.js';
import { detectFields, detectLevel, formatTimestamp, traceSearchQuery, type Level } from './detect.js';
import { useEscape } from '../../lib/use-escape.js';

export interface LogRow {
  id: string;
  ts: string;
  line: string;
  stream: Record<string, string>;
  metadata: Record<string, string>;
  parsed: Record<string, string>;
}

const ROW_HEIGHT = 24;
const OVERSCAN_PX = 600;

export function LogList({ rows, height = 560 }: { rows: LogRow[]; height?: number }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  // Escape folds the expanded lines away again.
  useEscape(() => setExpanded(new Set()), expanded.size > 0);
  const [scrollTop, setScrollTop] = useState(0);
  const measured = useRef(new Map<string, number>());
  const [version, setVersion] = useState(0);

  const toggle = useCallback((id: string) => {
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const onHeight = useCallback((id: string, h: number) => {
    if (measured.current.get(id) !== h) {
      measured.current.set(id, h);
      setVersion((v) => v + 1);
    }
  }, []);

  // Row tops from measured heights (collapsed rows are one line high until measured).
  const tops = useMemo(() => {
    const t = new Float64Array(rows.length + 1);
    for (let i = 0; i < rows.length; i++) {
      const id = rows[i].id;
      const h = expanded.has(id) ? measured.current.get(id) ?? ROW_HEIGHT * 6 : measured.current.get(id) ?? ROW_HEIGHT;
      t[i + 1] = t[i] + h;
    }
    return t;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, expanded, version]);

  let first = 0;
  let lo = 0;
  let hi = rows.length;
  const from = Math.max(0, scrollTop - OVERSCAN_PX);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tops[mid + 1] <= from) lo = mid + 1;
    else hi = mid;
  }
  first = lo;
  let last = first;
  const to = scrollTop + height + OVERSCAN_PX;
  while (last < rows.length && tops[last] < to) last++;

  return (
    <div className="log-list" style={{ height }} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)} data-testid="log-list" role="list" aria-label="Log lines">
      <div style={{ height: tops[rows.length], position: 'relative' }}>
        {rows.slice(first, last).map((r, i) => (
          <LogLine key={r.id} row={r} top={tops[first + i]} expanded={expanded.has(r.id)} onToggle={toggle} onHeight={onHeight} />
        ))}
      </div>
    </div>
  );
}

const LogLine = memo(function LogLine({
  row,
  top,
  expanded,
  onToggle,
  onHeight,
}: {
  row: LogRow;
  top: number;
  expanded: boolean;
  onToggle(id: string): void;
  onHeight(id: string, h: number): void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const all = useMemo(() => ({ ...row.stream, ...row.metadata, ...row.parsed }), [row]);
  const level: Level = useMemo(() => detectLevel(all, row.line), [all, row.line]);
  const detected = useMemo(() => (expanded ? detectFields(row.line) : null), [expanded, row.line]);
  const trace = useMemo(() => traceSearchQuery(row.stream, { ...row.parsed, ...row.metadata }, row.line), [row]);
  useLayoutEffect(() => {
    const node = el.current;
    if (!node) return;
    onHeight(row.id, node.offsetHeight);
    const ro = new ResizeObserver(() => onHeight(row.id, node.offsetHeight));
    ro.observe(node);
    return () => ro.disconnect();
  }, [row.id, expanded, onHeight]);
  return (
    <div ref={el} className={`log-row level-${level}${expanded ? ' expanded' : ''}`} style={{ top }} role="listitem" data-level={level} data-testid="log-row">
      <div className="log-row-main" onClick={() => onToggle(row.id)} role="button" tabIndex={0} aria-expanded={expanded} onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onToggle(row.id))}>
        <span className="log-level-bar" aria-hidden="true" />
        <span className="log-ts mono">{formatTimestamp(row.ts)}</span>
        <span className={`log-level-tag level-${level}`}>{level === 'unknown' ? '' : level}</span>
        <span className="log-line mono">{row.line}</span>
        {trace && (
          <Link className="log-trace-link" href={`/traces/${trace.id}?q=${encodeURIComponent(trace.query)}`} onClick={(e) => e.stopPropagation()} title={`Open trace ${trace.id}`} data-testid="trace-link">
            <Icon name="traces" size={14} /> trace
          </Link>
        )}
      </div>
      {expanded && (
        <div className="log-details" data-testid="log-details">
          <FieldTable title="Stream labels" fields={row.stream} />
          {Object.keys(row.metadata).length > 0 && <FieldTable title="Structured metadata" fields={row.metadata} />}
          {Object.keys(row.parsed).length > 0 && <FieldTable title="Parsed by the query" fields={row.parsed} />}
          {detected && detected.format !== 'none' && <FieldTable title={`Detected fields (${detected.format})`} fields={detected.fields} />}
          <div className="log-details-actions">
            <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard?.writeText(row.line)}>
              <Icon name="copy" size={14} /> Copy line
            </button>
            <span className="muted small mono">{row.ts} ns</span>
          </div>
        </div>
      )}
    </div>
  );
});

function FieldTable({ title, fields }: { title: string; fields: Record<string, string> }) {
  const keys = Object.keys(fields).sort();
  return (
    <div className="log-fields">
      <div className="log-fields-title">{title}</div>
      <table className="kv-table log-fields-table">
        <tbody>
          {keys.map((k) => (
            <tr key={k}>
              <th className="mono">{k}</th>
              <td className="mono">{fields[k]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default LogList;
