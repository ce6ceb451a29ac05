/**
 * What ingest does with spans that are wrong or too large (documented in docs/traces.md):
 *
 *   trace id not 16 bytes / all zero, span id not 8 bytes / all zero, parent id of a wrong length,
 *   start time 0, end before start                                    → the span is rejected (counted)
 *   a string attribute value longer than 64 KiB                       → cut to 64 KiB (counted)
 *   more than 128 attributes, events or links on a span               → the extra ones dropped (counted)
 *
 * End before start is rejected rather than swapped: a swapped span would report a duration no one measured.
 */
import type { AttrValue, Attributes, Span } from '../model.js';
import { droppedItems, truncatedValues } from './metrics.js';

export const MAX_ATTR_VALUE_BYTES = 64 * 1024;
export const MAX_ATTRIBUTES = 128;
export const MAX_EVENTS = 128;
export const MAX_LINKS = 128;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

export function rejectReason(s: Span): string | undefined {
  if (!HEX32.test(s.traceId) || /^0+$/.test(s.traceId)) return `invalid trace id ${JSON.stringify(s.traceId)}`;
  if (!HEX16.test(s.spanId) || /^0+$/.test(s.spanId)) return `invalid span id ${JSON.stringify(s.spanId)}`;
  if (s.parentSpanId !== undefined && !HEX16.test(s.parentSpanId)) return `invalid parent span id ${JSON.stringify(s.parentSpanId)}`;
  if (s.startTimeUnixNano <= 0n) return 'missing start time';
  if (s.endTimeUnixNano < s.startTimeUnixNano) return 'end time before start time';
  return undefined;
}

function capValue(v: AttrValue): AttrValue {
  if (typeof v === 'string') {
    // UTF-16 length bounds the UTF-8 size from below; only long strings pay for an exact check.
    if (v.length > MAX_ATTR_VALUE_BYTES / 3 && Buffer.byteLength(v) > MAX_ATTR_VALUE_BYTES) {
      truncatedValues.inc();
      let cut = Buffer.from(v).subarray(0, MAX_ATTR_VALUE_BYTES).toString('utf8');
      // A cut in the middle of a character leaves U+FFFD at the end; drop it.
      if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
      return cut;
    }
    return v;
  }
  if (Array.isArray(v)) return v.map(capValue);
  return v;
}

/** Applies the size limits to an attribute map, in place. */
export function capAttributes(a: Attributes, what: string): Attributes {
  let n = 0;
  for (const k in a) {
    if (++n > MAX_ATTRIBUTES) {
      delete a[k];
      droppedItems.inc({ what });
      continue;
    }
    const v = a[k];
    if (typeof v === 'string' || Array.isArray(v)) a[k] = capValue(v);
  }
  return a;
}

export function capList<T>(list: T[], max: number, what: string): T[] {
  if (list.length <= max) return list;
  droppedItems.inc({ what }, list.length - max);
  return list.slice(0, max);
}
