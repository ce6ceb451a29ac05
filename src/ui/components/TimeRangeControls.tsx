/** The time-range controls of the query pages: range presets (plus the current custom range) and the end time. */
import { formatDuration } from '../lib/format.js';
import { RANGE_PRESETS, rangeMillis } from '../lib/query-state.js';
import { Icon } from './Icon.js';

export function RangePicker({ range, onChange }: { range: string; onChange(range: string): void }) {
  return (
    <div className="segmented" role="group" aria-label="Time range">
      {RANGE_PRESETS.map((r) => (
        <button key={r} type="button" className={range === r ? 'active' : ''} aria-pressed={range === r} onClick={() => onChange(r)}>
          {r}
        </button>
      ))}
      {/* A zoom or a link can set any range; show it rather than no selection. */}
      {!RANGE_PRESETS.includes(range) && (
        <button type="button" className="active" aria-pressed="true" onClick={() => onChange(range)}>
          {formatDuration(rangeMillis(range))}
        </button>
      )}
    </div>
  );
}

/** "now", or a pinned end time (datetime-local, in local time) with a way back to now. */
export function EndPicker({ endMs, onChange, testId }: { endMs: number | null; onChange(endMs: number | null): void; testId?: string }) {
  return (
    <div className="field end-field">
      <span>End</span>
      {endMs === null ? (
        <button type="button" className="btn btn-small" onClick={() => onChange(Math.floor(Date.now() / 1000) * 1000)} title="The range ends now. Click to pin a fixed end time.">
          <Icon name="clock" size={14} />
          now
        </button>
      ) : (
        <>
          <input
            type="datetime-local"
            step={1}
            value={toLocalInput(endMs)}
            aria-label="End time"
            data-testid={testId}
            onChange={(e) => e.target.value && onChange(new Date(e.target.value).getTime())}
          />
          <button type="button" className="btn btn-small" onClick={() => onChange(null)} title="End the range at the current time again">
            Back to now
          </button>
        </>
      )}
    </div>
  );
}

/** datetime-local works in local time without a zone; convert explicitly. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
