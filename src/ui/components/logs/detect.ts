/**
 * What the Logs page works out from a line on its own, without a query: the level (for colouring), the
 * fields of a JSON or logfmt line, and a trace id to link to. Pure functions, unit-tested under Node.
 */

export type Level = 'critical' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'unknown';

const LEVEL_WORDS: Record<string, Level> = {
  emerg: 'critical', emergency: 'critical', alert: 'critical', crit: 'critical', critical: 'critical', fatal: 'critical', panic: 'critical',
  err: 'error', error: 'error', eror: 'error',
  warn: 'warn', warning: 'warn',
  info: 'info', informational: 'info', notice: 'info', information: 'info',
  debug: 'debug', dbug: 'debug',
  trace: 'trace',
};

const LEVEL_KEYS = ['level', 'detected_level', 'severity', 'severity_text', 'lvl', 'loglevel', 'log_level'];

export function normaliseLevel(v: string | undefined): Level | undefined {
  if (!v) return undefined;
  return LEVEL_WORDS[v.toLowerCase()];
}

const LEVEL_IN_LINE = /\b(level|lvl|severity)["']?\s*[=:]\s*["']?([A-Za-z]+)|\b(FATAL|PANIC|CRITICAL|ERROR|WARN(?:ING)?|INFO|DEBUG|TRACE)\b/;

/** The level from labels (level, detected_level, severity...), else from the line's text. */
export function detectLevel(labels: Readonly<Record<string, string>>, line: string): Level {
  for (const k of LEVEL_KEYS) {
    const l = normaliseLevel(labels[k]);
    if (l) return l;
  }
  const m = LEVEL_IN_LINE.exec(line);
  if (m) return normaliseLevel(m[2] ?? m[3]) ?? 'unknown';
  return 'unknown';
}

function flatten(prefix: string, v: unknown, out: Record<string, string>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(prefix ? `${prefix}_${k}` : k, x, out);
  } else if (prefix) {
    out[prefix] = typeof v === 'string' ? v : JSON.stringify(v);
  }
}

/** Fields of a JSON object line (nested keys joined with `_`, as LogQL's json parser names them) or a logfmt line. */
export function detectFields(line: string): { format: 'json' | 'logfmt' | 'none'; fields: Record<string, string> } {
  const t = line.trim();
  if (t.startsWith('{')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const fields: Record<string, string> = {};
        flatten('', v, fields);
        return { format: 'json', fields };
      }
    } catch {
      // not JSON: try logfmt
    }
  }
  const fields: Record<string, string> = {};
  const re = /([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g;
  let n = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    let v = m[2];
    if (v.startsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    fields[m[1]] = v;
    n++;
  }
  return n > 0 ? { format: 'logfmt', fields } : { format: 'none', fields: {} };
}

const TRACE_KEYS = ['trace_id', 'traceid', 'traceId', 'traceID', 'trace-id', 'trace.id', 'otelTraceID'];
const HEX_ID = /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{16})$/;

/** A W3C/Jaeger trace id (16 or 32 hex digits) from labels, structured metadata or detected fields. */
export function findTraceId(...sources: Readonly<Record<string, string>>[]): string | undefined {
  return findTraceField(...sources)?.id;
}

function findTraceField(...sources: Readonly<Record<string, string>>[]): { key: string; value: string; id: string } | undefined {
  for (const s of sources) {
    for (const k of TRACE_KEYS) {
      const v = s[k];
      if (v && HEX_ID.test(v)) return { key: k, value: v, id: v.toLowerCase() };
    }
  }
  return undefined;
}

/**
 * A LogQL query for the lines of a trace, from one line that carries its id: a label filter when the id is a
 * label or structured metadata (it is not in the line text then), else a line filter.
 */
export function traceSearchQuery(stream: Readonly<Record<string, string>>, metadata: Readonly<Record<string, string>>, line: string): { id: string; query: string } | undefined {
  const sel = selectorFor(stream);
  const asLabel = findTraceField(metadata, stream);
  if (asLabel && /^[A-Za-z_][A-Za-z0-9_]*$/.test(asLabel.key)) return { id: asLabel.id, query: `${sel} | ${asLabel.key}=${JSON.stringify(asLabel.value)}` };
  const inLine = findTraceField(detectFields(line).fields);
  if (inLine) return { id: inLine.id, query: `${sel} |= ${JSON.stringify(inLine.value)}` };
  return undefined;
}

/** `{a="x", b="y"}` for a label set, as LogQL writes a selector. */
export function selectorFor(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}

/** Nanosecond timestamp string → local date-time with milliseconds. */
export function formatTimestamp(ns: string): string {
  const ms = Number(BigInt(ns) / 1000000n);
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
