/**
 * Container log line formats → entries. Both CRI and Docker split long lines into pieces (`P` tag; a Docker
 * `log` without a trailing newline); the parser joins them back per stream (stdout/stderr) before emitting.
 */
import type { LogFormat } from './config.js';
import { parseTimestamp } from '../ingest/es-bulk.js';

export interface ParsedLine {
  ts: bigint;
  line: string;
  stream?: string;
}

/** Stateful per file: holds unfinished partial lines. */
export class LineParser {
  private readonly partial = new Map<string, { ts: bigint; text: string }>();
  private lastPlainTs = 0n;

  constructor(
    private readonly format: LogFormat,
    private readonly nowNs: () => bigint,
  ) {}

  /** One physical line (without its newline) → a complete entry, or undefined while a partial is pending. */
  push(raw: string): ParsedLine | undefined {
    if (this.format === 'plain') {
      // Lines read in the same millisecond get increasing nanoseconds so their order survives a query.
      let ts = this.nowNs();
      if (ts <= this.lastPlainTs) ts = this.lastPlainTs + 1n;
      this.lastPlainTs = ts;
      return { ts, line: raw };
    }
    if (this.format === 'cri') {
      // <RFC3339Nano> <stdout|stderr> <P|F> <content>
      const a = raw.indexOf(' ');
      const b = a < 0 ? -1 : raw.indexOf(' ', a + 1);
      const c = b < 0 ? -1 : raw.indexOf(' ', b + 1);
      const ts = a > 0 ? parseTimestamp(raw.slice(0, a)) : undefined;
      const tag = b > 0 ? (c < 0 ? raw.slice(b + 1) : raw.slice(b + 1, c)) : '';
      if (ts === undefined || (tag !== 'P' && tag !== 'F')) return { ts: this.nowNs(), line: raw };
      const stream = raw.slice(a + 1, b);
      const content = c < 0 ? '' : raw.slice(c + 1);
      return this.piece(stream, ts, content, tag === 'F');
    }
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch {
      return { ts: this.nowNs(), line: raw };
    }
    const d = doc as { log?: unknown; stream?: unknown; time?: unknown };
    if (!d || typeof d.log !== 'string') return { ts: this.nowNs(), line: raw };
    const stream = typeof d.stream === 'string' ? d.stream : 'stdout';
    const ts = parseTimestamp(d.time) ?? this.nowNs();
    const complete = d.log.endsWith('\n');
    return this.piece(stream, ts, complete ? d.log.slice(0, -1) : d.log, complete);
  }

  private piece(stream: string, ts: bigint, content: string, final: boolean): ParsedLine | undefined {
    const prev = this.partial.get(stream);
    if (!final) {
      if (prev) prev.text += content;
      else this.partial.set(stream, { ts, text: content });
      return undefined;
    }
    if (prev) {
      this.partial.delete(stream);
      return { ts: prev.ts, line: prev.text + content, stream };
    }
    return { ts, line: content, stream };
  }

  hasPartial(): boolean {
    return this.partial.size > 0;
  }
}

/** Labels from Kubernetes log paths (kubelet's /var/log/pods and the /var/log/containers symlinks). */
export function kubernetesLabels(path: string): Record<string, string> {
  let m = /\/var\/log\/pods\/([^_/]+)_([^_/]+)_([^/]+)\/([^/]+)\/[^/]+$/.exec(path);
  if (m) return { namespace: m[1], pod: m[2], container: m[4] };
  m = /\/var\/log\/containers\/([^_/]+)_([^_/]+)_(.+)-[0-9a-f]{64}\.log$/.exec(path);
  if (m) return { namespace: m[2], pod: m[1], container: m[3] };
  return {};
}
