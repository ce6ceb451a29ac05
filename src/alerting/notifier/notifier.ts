/**
 * Sends alerts to Alertmanagers as Prometheus's notifier does: external labels added, alert_relabel_configs
 * applied, a queue of 10,000 (oldest dropped on overflow), batches of 64 POSTed as JSON to every
 * discovered Alertmanager's /api/v2/alerts, plus local sinks (the built-in Alertmanager).
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Counter, Gauge, type Metric } from 'prom-client';
import type { Logger } from 'pino';
import type { AlertmanagerConfig, PrometheusConfig, RelabelConfig } from '../../config/types.js';
import { labelsToRecord, sortLabels, type Label, type Labels } from '../../model/labels.js';
import { relabel } from '../../model/relabel.js';
import { selfRegistry } from '../../metrics/collectors/self.js';
import { FileDiscovery, type TargetGroup } from '../../metrics/discovery/file.js';
import { staticTargetGroups } from '../../metrics/discovery/static.js';
import type { NotifierAlert, PostableAlert } from './types.js';

export type { NotifierAlert, PostableAlert } from './types.js';

export const QUEUE_CAPACITY = 10_000;
export const MAX_BATCH_SIZE = 64;

function once<T extends Metric>(name: string, make: () => T): T {
  return (selfRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

const metrics = {
  sent: once('sextant_notifications_sent_total', () => new Counter({ name: 'sextant_notifications_sent_total', help: 'Total number of alerts sent.', labelNames: ['alertmanager'], registers: [selfRegistry] })),
  errors: once('sextant_notifications_errors_total', () => new Counter({ name: 'sextant_notifications_errors_total', help: 'Total number of errors sending alert notifications.', labelNames: ['alertmanager'], registers: [selfRegistry] })),
  dropped: once('sextant_notifications_dropped_total', () => new Counter({ name: 'sextant_notifications_dropped_total', help: 'Total number of alerts dropped due to errors when sending to Alertmanager.', registers: [selfRegistry] })),
  queueLength: once('sextant_notifications_queue_length', () => new Gauge({ name: 'sextant_notifications_queue_length', help: 'The number of alert notifications in the queue.', registers: [selfRegistry] })),
  discovered: once('sextant_notifications_alertmanagers_discovered', () => new Gauge({ name: 'sextant_notifications_alertmanagers_discovered', help: 'The number of alertmanagers discovered and active.', registers: [selfRegistry] })),
};

export interface NotifierOptions {
  logger: Logger;
  now?: () => number;
  /** fetch implementation (tests may inject one). */
  fetch?: typeof fetch;
}

interface AmSet {
  config: AlertmanagerConfig;
  urls: string[];
  discovery?: FileDiscovery;
  staticGroups: TargetGroup[];
  fileGroups: TargetGroup[];
}

export function toPostable(a: NotifierAlert): PostableAlert {
  const iso = (ms: number) => new Date(ms).toISOString();
  const out: PostableAlert = { labels: labelsToRecord(a.labels), annotations: labelsToRecord(a.annotations) };
  out.startsAt = a.startsAt ? iso(a.startsAt) : '0001-01-01T00:00:00.000Z';
  out.endsAt = a.endsAt ? iso(a.endsAt) : '0001-01-01T00:00:00.000Z';
  out.generatorURL = a.generatorURL;
  return out;
}

export class Notifier {
  private queue: NotifierAlert[] = [];
  private sets: AmSet[] = [];
  private readonly sinks: ((alerts: PostableAlert[]) => Promise<void>)[] = [];
  private externalLabels: Record<string, string> = {};
  private relabelConfigs: RelabelConfig[] = [];
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly o: NotifierOptions) {
    this.fetchFn = o.fetch ?? fetch;
  }

  applyConfig(cfg: PrometheusConfig): void {
    this.externalLabels = { ...cfg.global.externalLabels };
    this.relabelConfigs = cfg.alerting.alertRelabelConfigs;
    for (const s of this.sets) void s.discovery?.stop();
    const baseDir = cfg.sourceFile ? dirname(cfg.sourceFile) : process.cwd();
    this.sets = cfg.alerting.alertmanagers.map((am) => {
      const set: AmSet = { config: am, urls: [], staticGroups: staticTargetGroups(am.staticConfigs), fileGroups: [] };
      if (am.fileSdConfigs.length > 0) {
        set.discovery = new FileDiscovery(am.fileSdConfigs, baseDir, (groups) => {
          set.fileGroups = groups;
          this.resolve(set);
        }, { logger: this.o.logger });
        void set.discovery.start();
      }
      this.resolve(set);
      return set;
    });
  }

  /** Target groups → Alertmanager URLs (Prometheus's AlertmanagerFromGroup). */
  private resolve(set: AmSet): void {
    const am = set.config;
    const urls: string[] = [];
    for (const g of [...set.staticGroups, ...set.fileGroups]) {
      for (const t of g.targets) {
        const rec: Record<string, string> = { ...g.labels, ...t };
        rec.__scheme__ = am.scheme;
        rec.__alerts_path__ = `${am.pathPrefix.replace(/\/$/, '')}/api/v2/alerts`;
        let lbls: Labels | undefined = sortLabels(Object.entries(rec).map(([name, value]) => ({ name, value })));
        lbls = relabel(lbls, am.relabelConfigs);
        if (!lbls) continue;
        const r = labelsToRecord(lbls);
        let addr = r.__address__ ?? '';
        if (!addr) continue;
        if (!/:\d+$/.test(addr) && !addr.endsWith(']')) addr += r.__scheme__ === 'https' ? ':443' : ':80';
        const path = r.__alerts_path__ ?? '/api/v2/alerts';
        urls.push(`${r.__scheme__ ?? 'http'}://${addr}${path.startsWith('/') ? '' : '/'}${path}`);
      }
    }
    set.urls = [...new Set(urls)];
    metrics.discovered.set(this.sets.reduce((n, s) => n + (s === set ? urls.length : s.urls.length), 0));
  }

  /** Alertmanager URLs currently sent to (like /api/v1/alertmanagers). */
  alertmanagers(): string[] {
    return this.sets.flatMap((s) => s.urls);
  }

  addLocalSink(sink: (alerts: PostableAlert[]) => Promise<void>): void {
    this.sinks.push(sink);
  }

  /** Queues alerts for sending; never blocks. */
  send(alerts: NotifierAlert[]): void {
    if (this.stopped) return;
    const prepared: NotifierAlert[] = [];
    for (const a of alerts) {
      const m = new Map<string, string>();
      for (const l of a.labels) m.set(l.name, l.value);
      for (const [k, v] of Object.entries(this.externalLabels)) if (!m.has(k)) m.set(k, v);
      let lbls: Labels | undefined = sortLabels([...m].map(([name, value]) => ({ name, value }) as Label));
      if (this.relabelConfigs.length > 0) lbls = relabel(lbls, this.relabelConfigs);
      if (!lbls || lbls.length === 0) continue;
      prepared.push({ ...a, labels: lbls });
    }
    let batch = prepared;
    if (batch.length > QUEUE_CAPACITY) {
      metrics.dropped.inc(batch.length - QUEUE_CAPACITY);
      batch = batch.slice(batch.length - QUEUE_CAPACITY);
    }
    const overflow = this.queue.length + batch.length - QUEUE_CAPACITY;
    if (overflow > 0) {
      this.queue = this.queue.slice(overflow);
      metrics.dropped.inc(overflow);
      this.o.logger.warn({ count: overflow }, 'alert notification queue full, dropping alerts');
    }
    this.queue.push(...batch);
    metrics.queueLength.set(this.queue.length);
    if (!this.draining) this.draining = this.drain().finally(() => (this.draining = undefined));
  }

  /** Resolves when everything queued so far has been attempted (tests). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, MAX_BATCH_SIZE);
      metrics.queueLength.set(this.queue.length);
      const payload = batch.map(toPostable);
      const body = JSON.stringify(payload);
      const jobs: Promise<boolean>[] = [];
      for (const set of this.sets) for (const url of set.urls) jobs.push(this.post(set.config, url, body, batch.length));
      for (const sink of this.sinks) {
        jobs.push(
          sink(payload).then(
            () => true,
            (e) => {
              this.o.logger.error({ err: (e as Error).message }, 'local alert sink failed');
              return false;
            },
          ),
        );
      }
      const results = await Promise.all(jobs);
      if (jobs.length > 0 && !results.some(Boolean)) metrics.dropped.inc(batch.length);
    }
  }

  private async post(am: AlertmanagerConfig, url: string, body: string, n: number): Promise<boolean> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Sextant' };
    const auth = authorizationHeader(am);
    if (auth) headers.Authorization = auth;
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), am.timeout || 10_000);
    try {
      const res = await this.fetchFn(url, { method: 'POST', headers, body, signal: ctrl.signal });
      await res.arrayBuffer().catch(() => undefined);
      if (Math.floor(res.status / 100) !== 2) throw new Error(`bad response status ${res.status} ${res.statusText}`);
      metrics.sent.inc({ alertmanager: url }, n);
      return true;
    } catch (e) {
      metrics.errors.inc({ alertmanager: url }, n);
      this.o.logger.error({ alertmanager: url, count: n, err: (e as Error).message }, 'Error sending alert');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.sets) void s.discovery?.stop();
  }
}

function readSecret(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function authorizationHeader(am: AlertmanagerConfig): string | undefined {
  if (am.basicAuth) {
    const pw = am.basicAuth.password ?? readSecret(am.basicAuth.passwordFile) ?? '';
    return 'Basic ' + Buffer.from(`${am.basicAuth.username}:${pw}`).toString('base64');
  }
  if (am.authorization) {
    const cred = am.authorization.credentials ?? readSecret(am.authorization.credentialsFile);
    if (cred) return `${am.authorization.type || 'Bearer'} ${cred}`;
  }
  const bearer = am.bearerToken ?? readSecret(am.bearerTokenFile);
  if (bearer) return `Bearer ${bearer}`;
  return undefined;
}
