/**
 * `sextant agent --config FILE`: a Promtail-like YAML file.
 *
 *   server_url: http://sextant:9090          # a Sextant or Loki base URL, or a full .../loki/api/v1/push URL
 *   positions_file: /var/lib/sextant-agent/positions.json
 *   buffer_dir: /var/lib/sextant-agent/buffer   # on-disk buffer while the server is unreachable
 *   buffer_max_bytes: 268435456
 *   batch_max_bytes: 1048576
 *   batch_max_wait: 1s
 *   poll_interval: 250ms
 *   labels: { cluster: prod }                # added to every stream
 *   headers: { X-Scope-OrgID: tenant-1 }     # extra HTTP headers (e.g. Loki tenant)
 *   scrape:
 *     - paths: ["/var/log/pods/*\/*\/*.log"]
 *       exclude: ["**\/*.gz"]
 *       format: cri                          # cri | docker | plain
 *       labels: { job: kubernetes-pods }
 *       multiline: { firstline: '^\d{4}-', max_wait: 3s, max_lines: 500 }
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

export type LogFormat = 'cri' | 'docker' | 'plain';

export interface MultilineConfig {
  firstline: RegExp;
  maxWaitMs: number;
  maxLines: number;
}

export interface ScrapeConfig {
  paths: string[];
  exclude: string[];
  format: LogFormat;
  labels: Record<string, string>;
  multiline?: MultilineConfig;
}

export interface AgentConfig {
  pushUrl: string;
  positionsFile: string;
  bufferDir: string;
  bufferMaxBytes: number;
  batchMaxBytes: number;
  batchMaxWaitMs: number;
  pollIntervalMs: number;
  /** Backoff between retries of one batch (doubling from min to max); after maxRetries it goes to the buffer. */
  minBackoffMs: number;
  maxBackoffMs: number;
  maxRetries: number;
  labels: Record<string, string>;
  headers: Record<string, string>;
  scrape: ScrapeConfig[];
}

export class AgentConfigError extends Error {}

export function parseDurationMs(v: unknown, field: string, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v === 'number') return v * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(v).trim());
  if (!m) throw new AgentConfigError(`${field}: invalid duration ${JSON.stringify(v)} (use e.g. 500ms, 1s, 2m)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] as 'ms'];
}

function strMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new AgentConfigError(`${field} must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

function pushUrlOf(serverUrl: string): string {
  const u = new URL(serverUrl);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/loki/api/v1/push';
  return u.toString();
}

export function parseAgentConfig(text: string): AgentConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new AgentConfigError(`invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!raw || typeof raw !== 'object') throw new AgentConfigError('config must be a YAML map');
  const c = raw as Record<string, unknown>;
  if (typeof c.server_url !== 'string') throw new AgentConfigError('server_url is required');
  let pushUrl: string;
  try {
    pushUrl = pushUrlOf(c.server_url);
  } catch {
    throw new AgentConfigError(`server_url: invalid URL ${JSON.stringify(c.server_url)}`);
  }
  if (!Array.isArray(c.scrape) || c.scrape.length === 0) throw new AgentConfigError('scrape must list at least one entry');
  const scrape = c.scrape.map((s: unknown, i): ScrapeConfig => {
    const f = `scrape[${i}]`;
    if (!s || typeof s !== 'object') throw new AgentConfigError(`${f} must be a map`);
    const sc = s as Record<string, unknown>;
    const paths = Array.isArray(sc.paths) ? sc.paths.map(String) : typeof sc.paths === 'string' ? [sc.paths] : [];
    if (paths.length === 0) throw new AgentConfigError(`${f}.paths must list at least one glob`);
    const format = (sc.format ?? 'plain') as LogFormat;
    if (!['cri', 'docker', 'plain'].includes(format)) throw new AgentConfigError(`${f}.format must be cri, docker or plain`);
    const out: ScrapeConfig = { paths, exclude: Array.isArray(sc.exclude) ? sc.exclude.map(String) : [], format, labels: strMap(sc.labels, `${f}.labels`) };
    if (sc.multiline) {
      const ml = sc.multiline as Record<string, unknown>;
      if (typeof ml.firstline !== 'string') throw new AgentConfigError(`${f}.multiline.firstline must be a regex string`);
      let re: RegExp;
      try {
        re = new RegExp(ml.firstline);
      } catch (err) {
        throw new AgentConfigError(`${f}.multiline.firstline: ${err instanceof Error ? err.message : String(err)}`);
      }
      out.multiline = { firstline: re, maxWaitMs: parseDurationMs(ml.max_wait, `${f}.multiline.max_wait`, 3000), maxLines: Number(ml.max_lines ?? 128) };
    }
    return out;
  });
  return {
    pushUrl,
    positionsFile: String(c.positions_file ?? '/var/lib/sextant-agent/positions.json'),
    bufferDir: String(c.buffer_dir ?? '/var/lib/sextant-agent/buffer'),
    bufferMaxBytes: Number(c.buffer_max_bytes ?? 256 * 1024 * 1024),
    batchMaxBytes: Number(c.batch_max_bytes ?? 1024 * 1024),
    batchMaxWaitMs: parseDurationMs(c.batch_max_wait, 'batch_max_wait', 1000),
    pollIntervalMs: parseDurationMs(c.poll_interval, 'poll_interval', 250),
    minBackoffMs: parseDurationMs(c.min_backoff, 'min_backoff', 500),
    maxBackoffMs: parseDurationMs(c.max_backoff, 'max_backoff', 30000),
    maxRetries: Number(c.max_retries ?? 3),
    labels: strMap(c.labels, 'labels'),
    headers: strMap(c.headers, 'headers'),
    scrape,
  };
}

export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  return parseAgentConfig(await readFile(file, 'utf8'));
}
