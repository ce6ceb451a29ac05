/**
 * A notification integration (one slack/webhook/email config of a receiver), and the retry stage with
 * exponential backoff and per-integration metrics on selfRegistry.
 */
import { Counter, Histogram, type Metric } from 'prom-client';
import { selfRegistry } from '../../metrics/collectors/self.js';
import type { Template } from '../../lib/gotemplate/index.js';
import type { NotifyData } from './template-data.js';

export interface NotifyContext {
  templates: Template;
  /** Aborts the request (per-attempt timeout). */
  signal: AbortSignal;
}

/** Thrown by an integration; `retry` says whether trying again may help (5xx, timeouts, network). */
export class NotifyError extends Error {
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message);
  }
}

export interface Integration {
  /** "slack" | "webhook" | "email" */
  readonly name: string;
  readonly index: number;
  readonly sendResolved: boolean;
  notify(data: NotifyData, ctx: NotifyContext): Promise<void>;
}

function once<T extends Metric>(name: string, make: () => T): T {
  return (selfRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const notificationMetrics = {
  total: once('sextant_alertmanager_notifications_total', () => new Counter({ name: 'sextant_alertmanager_notifications_total', help: 'The total number of attempted notifications.', labelNames: ['integration'], registers: [selfRegistry] })),
  failed: once('sextant_alertmanager_notifications_failed_total', () => new Counter({ name: 'sextant_alertmanager_notifications_failed_total', help: 'The total number of failed notifications.', labelNames: ['integration'], registers: [selfRegistry] })),
  latency: once('sextant_alertmanager_notification_latency_seconds', () => new Histogram({ name: 'sextant_alertmanager_notification_latency_seconds', help: 'The latency of notifications in seconds.', labelNames: ['integration'], buckets: [1, 5, 10, 15, 20], registers: [selfRegistry] })),
};

export interface RetryOptions {
  /** First backoff delay; doubles per attempt up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = {
  initialDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 8, timeoutMs: 15_000,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref?.()),
};

/** Sends with retries; throws the last error once attempts are exhausted or the error is not retryable. */
export async function notifyWithRetry(i: Integration, data: NotifyData, templates: Template, opts: RetryOptions, onRetry: (attempt: number, err: Error) => void): Promise<number> {
  let delay = opts.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    notificationMetrics.total.inc({ integration: i.name });
    const end = notificationMetrics.latency.startTimer({ integration: i.name });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`timeout after ${opts.timeoutMs}ms`)), opts.timeoutMs);
    try {
      await i.notify(data, { templates, signal: ac.signal });
      return attempt;
    } catch (e) {
      notificationMetrics.failed.inc({ integration: i.name });
      const err = e instanceof NotifyError ? e : new NotifyError(ac.signal.aborted ? `${(e as Error).message} (${String((ac.signal.reason as Error)?.message)})` : (e as Error).message, true);
      if (!err.retry || attempt >= opts.maxAttempts) throw err;
      onRetry(attempt, err);
      await opts.sleep(delay);
      delay = Math.min(delay * 2, opts.maxDelayMs);
    } finally {
      clearTimeout(timer);
      end();
    }
  }
}

/** What of Alertmanager's http_config is honoured: TLS verification and the Authorization header. */
export interface HttpOptions {
  insecureSkipVerify?: boolean;
  raw?: Record<string, unknown>;
}

function authorization(raw: Record<string, unknown> | undefined): string | undefined {
  if (!raw) return undefined;
  const basic = raw.basic_auth as { username?: string; password?: string } | undefined;
  if (basic?.username !== undefined) return `Basic ${Buffer.from(`${basic.username}:${basic.password ?? ''}`).toString('base64')}`;
  const auth = raw.authorization as { type?: string; credentials?: string } | undefined;
  if (auth?.credentials) return `${auth.type ?? 'Bearer'} ${auth.credentials}`;
  if (typeof raw.bearer_token === 'string') return `Bearer ${raw.bearer_token}`;
  return undefined;
}

/** POSTs JSON; 5xx and 429 are retryable, other non-2xx are not (as Alertmanager's CheckRetry). */
export async function postJson(url: string, body: unknown, signal: AbortSignal, what: string, http: HttpOptions = {}): Promise<void> {
  const payload = Buffer.from(JSON.stringify(body));
  const u = new URL(url);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': payload.length, 'user-agent': 'Alertmanager/0.25.0 (Sextant)' };
  const auth = authorization(http.raw);
  if (auth) headers.authorization = auth;
  const { request } = u.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(u, { method: 'POST', headers, signal, rejectUnauthorized: !http.insecureSkipVerify }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  }).catch((e: unknown) => {
    // Never show the URL: it is a secret (Slack and webhook URLs carry tokens).
    throw new NotifyError(`${what}: request failed: ${(e as Error).name === 'AbortError' ? 'timeout' : (e as Error).message}`, true);
  });
  if (status >= 200 && status < 300) return;
  throw new NotifyError(`${what}: unexpected status code ${status}: ${text.slice(0, 200)}`, status >= 500 || status === 429);
}
