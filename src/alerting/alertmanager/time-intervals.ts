/**
 * Alertmanager's time intervals (times, weekdays, days_of_month, months, years, location). An interval
 * contains an instant when every field given matches; an empty field matches everything.
 */
import type { MaybeNode, YamlReader } from '../../config/yaml-reader.js';

interface Range {
  start: number;
  end: number;
}

export interface TimeInterval {
  /** Minutes since midnight, end exclusive. */
  times: Range[];
  weekdays: Range[];
  daysOfMonth: Range[];
  months: Range[];
  years: Range[];
  location: string;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

function parseRanges(r: YamlReader, v: MaybeNode, field: string, parseOne: (s: string) => number, min: number, max: number): Range[] {
  return r.strings(v, field).map((s) => {
    const parts = s.split(':');
    if (parts.length > 2) r.fail(v, field, `couldn't parse ${field}: ${s}`);
    const start = parseOne(parts[0].trim().toLowerCase());
    const end = parts.length === 2 ? parseOne(parts[1].trim().toLowerCase()) : start;
    if (Number.isNaN(start) || Number.isNaN(end) || start < min || end > max) r.fail(v, field, `${field} out of range: ${s}`);
    if (start > end && !(field === 'days_of_month' && (start < 0 || end < 0))) r.fail(v, field, `start day cannot be after end day: ${s}`);
    return { start, end };
  });
}

function parseClock(s: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s);
  if (!m) return NaN;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min !== 0)) return NaN;
  return h * 60 + min;
}

export function parseTimeInterval(r: YamlReader, node: MaybeNode): TimeInterval {
  const ti: TimeInterval = { times: [], weekdays: [], daysOfMonth: [], months: [], years: [], location: 'UTC' };
  r.object(node, 'timeinterval.TimeInterval', 'time_intervals', {
    times: (v) => {
      for (const t of r.list(v, 'times', 'timeinterval.TimeRange')) {
        let start = NaN;
        let end = NaN;
        r.object(t, 'timeinterval.TimeRange', 'times', {
          start_time: (x) => (start = parseClock(r.str(x, 'start_time') ?? '')),
          end_time: (x) => (end = parseClock(r.str(x, 'end_time') ?? '')),
        });
        if (Number.isNaN(start) || Number.isNaN(end)) r.fail(t, 'times', 'couldn\'t parse timestamp, invalid format');
        if (start >= end) r.fail(t, 'times', 'start time cannot be equal or greater than end time');
        ti.times.push({ start, end });
      }
    },
    weekdays: (v) => (ti.weekdays = parseRanges(r, v, 'weekdays', (s) => WEEKDAYS.indexOf(s) === -1 ? NaN : WEEKDAYS.indexOf(s), 0, 6)),
    days_of_month: (v) => (ti.daysOfMonth = parseRanges(r, v, 'days_of_month', (s) => (/^-?\d+$/.test(s) && s !== '0' ? Number(s) : NaN), -31, 31)),
    months: (v) => (ti.months = parseRanges(r, v, 'months', (s) => (/^\d+$/.test(s) ? Number(s) : MONTHS.indexOf(s) + 1 || NaN), 1, 12)),
    years: (v) => (ti.years = parseRanges(r, v, 'years', (s) => (/^\d+$/.test(s) ? Number(s) : NaN), 0, 9999)),
    location: (v) => {
      const loc = r.str(v, 'location') ?? 'UTC';
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: loc === 'Local' ? undefined : loc });
      } catch {
        r.fail(v, 'location', `unknown time zone ${loc}`);
      }
      ti.location = loc;
    },
  });
  return ti;
}

interface Civil {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minutes: number;
  daysInMonth: number;
}

function civil(t: number, zone: string): Civil {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone === 'Local' ? undefined : zone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23', weekday: 'short',
  });
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(t))) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  return {
    year, month, day: Number(parts.day), weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.weekday),
    minutes: Number(parts.hour) * 60 + Number(parts.minute), daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
  };
}

const inAny = (rs: Range[], x: number) => rs.length === 0 || rs.some((r) => x >= r.start && x <= r.end);

export function intervalContains(ti: TimeInterval, t: number): boolean {
  const c = civil(t, ti.location);
  if (ti.times.length > 0 && !ti.times.some((r) => c.minutes >= r.start && c.minutes < r.end)) return false;
  if (!inAny(ti.weekdays, c.weekday)) return false;
  if (ti.daysOfMonth.length > 0) {
    const ok = ti.daysOfMonth.some((r) => {
      const s = r.start < 0 ? c.daysInMonth + r.start + 1 : r.start;
      const e = r.end < 0 ? c.daysInMonth + r.end + 1 : r.end;
      return c.day >= s && c.day <= e;
    });
    if (!ok) return false;
  }
  if (!inAny(ti.months, c.month)) return false;
  return inAny(ti.years, c.year);
}

export function anyIntervalContains(tis: readonly TimeInterval[], t: number): boolean {
  return tis.some((ti) => intervalContains(ti, t));
}
