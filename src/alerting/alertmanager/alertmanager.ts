/**
 * The built-in Alertmanager (0.25 semantics): an alert store with resolve_timeout, a dispatcher routing
 * alerts through the route tree into aggregation groups (group_by / `...`), flushed after group_wait and
 * then every group_interval; the notify pipeline mutes inhibited, silenced and time-muted alerts,
 * deduplicates per integration against the notification log (repeat_interval; survives restarts), and
 * sends with retries. All timing reads the injectable clock; `tick()` runs whatever is due.
 */
import { isAbsolute, join } from 'node:path';
import { glob } from '../../config/glob.js';
import type { Logger } from 'pino';
import type { PostableAlert } from '../notifier/types.js';
import { buildIntegrations, buildTemplates, DEFAULT_RETRY, notifyWithRetry, type Integration, type NotifyAlert, type NotifyData, type RetryOptions } from '../receivers/index.js';
import type { Template } from '../../lib/gotemplate/index.js';
import { defaultAlertmanagerConfig, type AlertmanagerConfig, type RouteConfig } from './config.js';
import { matchesAll } from './matchers.js';
import { matcherString } from './matchers.js';
import { NotificationLog } from './nflog.js';
import { Silences } from './silences.js';
import { anyIntervalContains } from './time-intervals.js';
import { fingerprint, labelSetString, parseTime, resolvedAt, type AmAlert } from './types.js';

export interface AlertmanagerOptions {
  dataDir: string;
  logger: Logger;
  now?: () => number;
  externalUrl: string;
  /** When false, nothing runs by itself: tests call tick() after moving the clock. Default true. */
  autoTick?: boolean;
  retry?: Partial<RetryOptions>;
}

export class AlertValidationError extends Error {}

interface Route {
  cfg: RouteConfig;
  key: string;
  children: Route[];
}

interface AggGroup {
  route: Route;
  labels: Record<string, string>;
  key: string;
  alerts: Map<string, AmAlert>;
  nextFlush: number;
  hasFlushed: boolean;
  flushing: boolean;
}

export interface AlertStatus {
  state: 'active' | 'suppressed' | 'unprocessed';
  silencedBy: string[];
  inhibitedBy: string[];
}

function buildRoute(cfg: RouteConfig, parentKey: string | undefined): Route {
  const own = `{${cfg.matchers.map(matcherString).join(',')}}`;
  const key = parentKey === undefined ? own : `${parentKey}/${own}`;
  const r: Route = { cfg, key, children: [] };
  r.children = cfg.routes.map((c) => buildRoute(c, key));
  return r;
}

/** Alertmanager's Route.Match: the deepest matching routes, honouring `continue`. */
function matchRoutes(r: Route, labels: Record<string, string>): Route[] {
  if (!matchesAll(r.cfg.matchers, labels)) return [];
  const all: Route[] = [];
  for (const c of r.children) {
    const m = matchRoutes(c, labels);
    all.push(...m);
    if (m.length > 0 && !c.cfg.continue) break;
  }
  return all.length === 0 ? [r] : all;
}

export class Alertmanager {
  readonly silences: Silences;
  readonly nflog: NotificationLog;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly retry: RetryOptions;
  private config: AlertmanagerConfig = defaultAlertmanagerConfig();
  private root: Route = buildRoute(this.config.route, undefined);
  private templates: Template = buildTemplates([]);
  private integrations = new Map<string, Integration[]>();
  private readonly alerts = new Map<string, AmAlert>();
  private readonly groups = new Map<string, AggGroup>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastMaintenance = 0;
  private alertsVersion = 0;
  private sourceCache: { version: number; now: number; rules: unknown; sources: AmAlert[][] } | undefined;
  private readonly inflight = new Set<Promise<void>>();
  readonly startedAt: number;

  constructor(private readonly opts: AlertmanagerOptions) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.silences = new Silences(join(opts.dataDir, 'silences.json'), this.now);
    this.nflog = new NotificationLog(join(opts.dataDir, 'nflog.json'), this.now);
    if (this.silences.loadError) this.logger.error(this.silences.loadError);
    this.startedAt = this.now();
    this.lastMaintenance = this.startedAt;
    this.schedule();
  }

  /** The injected clock (the API reports silence states by it). */
  clock(): number {
    return this.now();
  }

  get externalUrl(): string {
    return this.opts.externalUrl;
  }

  /** The URL is known only once the server listens; links in notifications use it. */
  setExternalUrl(url: string): void {
    this.opts.externalUrl = url;
  }

  currentConfig(): AlertmanagerConfig {
    return this.config;
  }

  /** Applies a new configuration: groups are rebuilt from the alerts held (as Alertmanager's reload does). */
  async applyConfig(cfg: AlertmanagerConfig, baseDir = process.cwd()): Promise<void> {
    const files: string[] = [];
    for (const g of cfg.templates) files.push(...(await glob(isAbsolute(g) ? g : join(baseDir, g))));
    const templates = buildTemplates(files);
    for (const w of cfg.warnings) this.logger.warn(w);
    this.config = cfg;
    this.templates = templates;
    this.root = buildRoute(cfg.route, undefined);
    this.integrations = new Map(cfg.receivers.map((r) => [r.name, buildIntegrations(r)]));
    this.groups.clear();
    for (const a of this.alerts.values()) this.route(a);
    this.schedule();
  }

  /** Validates and ingests alerts (POST /api/v2/alerts, the rule engine's local sink). Throws AlertValidationError. */
  async receive(input: PostableAlert[]): Promise<void> {
    const now = this.now();
    const parsed: AmAlert[] = [];
    const errors: string[] = [];
    // As Alertmanager: valid alerts are kept even when others in the batch are rejected.
    for (const p of input) {
      try {
        parsed.push(this.validate(p, now));
      } catch (e) {
        if (!(e instanceof AlertValidationError)) throw e;
        errors.push(e.message);
      }
    }
    for (const a of parsed) {
      const prev = this.alerts.get(a.fingerprint);
      let merged = a;
      // Alertmanager's Merge: an update of a still-open alert keeps the earliest start.
      if (prev && !(resolvedAt(prev, now) && a.startsAt > prev.endsAt)) {
        merged = { ...a, startsAt: Math.min(prev.startsAt, a.startsAt) };
      }
      this.alerts.set(a.fingerprint, merged);
      this.alertsVersion++;
      this.route(merged);
    }
    this.schedule();
    if (errors.length > 0) throw new AlertValidationError(errors.join('; '));
  }

  private validate(p: PostableAlert, now: number): AmAlert {
    if (!p || typeof p !== 'object' || !p.labels || typeof p.labels !== 'object') throw new AlertValidationError('labels: required');
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.labels)) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) throw new AlertValidationError(`invalid label set: invalid name "${k}"`);
      if (typeof v !== 'string') throw new AlertValidationError(`invalid label set: invalid value for "${k}"`);
      if (v !== '') labels[k] = v;
    }
    if (Object.keys(labels).length === 0) throw new AlertValidationError('at least one label pair required');
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.annotations ?? {})) {
      if (typeof v !== 'string') throw new AlertValidationError(`invalid annotations: invalid value for "${k}"`);
      annotations[k] = v;
    }
    const s = parseTime(p.startsAt);
    const e = parseTime(p.endsAt);
    if (s === undefined) throw new AlertValidationError(`startsAt: invalid time ${JSON.stringify(p.startsAt)}`);
    if (e === undefined) throw new AlertValidationError(`endsAt: invalid time ${JSON.stringify(p.endsAt)}`);
    let startsAt = s;
    let endsAt = e;
    let timeout = false;
    if (startsAt === 0) startsAt = endsAt !== 0 && endsAt < now ? endsAt : now;
    if (endsAt === 0) {
      timeout = true;
      endsAt = now + this.config.global.resolveTimeout;
    }
    if (endsAt < startsAt) throw new AlertValidationError('start time must be before end time');
    return { labels, annotations, startsAt, endsAt, generatorURL: p.generatorURL ?? '', updatedAt: now, timeout, fingerprint: fingerprint(labels) };
  }

  private route(a: AmAlert): void {
    const now = this.now();
    for (const r of matchRoutes(this.root, a.labels)) {
      const gl: Record<string, string> = {};
      if (r.cfg.groupByAll) Object.assign(gl, a.labels);
      else for (const n of r.cfg.groupBy) if (a.labels[n] !== undefined) gl[n] = a.labels[n];
      const key = `${r.key}:${labelSetString(gl)}`;
      let g = this.groups.get(key);
      if (!g) {
        g = { route: r, labels: gl, key, alerts: new Map(), nextFlush: now + r.cfg.groupWait, hasFlushed: false, flushing: false };
        this.groups.set(key, g);
      }
      g.alerts.set(a.fingerprint, a);
      // An alert older than group_wait goes out at once (Alertmanager resets the timer to 0).
      if (!g.hasFlushed && a.startsAt + r.cfg.groupWait < now) g.nextFlush = Math.min(g.nextFlush, now);
    }
  }

  private schedule(): void {
    if (this.opts.autoTick === false || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let next = Infinity;
    for (const g of this.groups.values()) next = Math.min(next, g.nextFlush);
    const delay = Math.max(0, Math.min(next - this.now(), 60_000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  /** Flushes every group that is due (and collects garbage); resolves when their notifications are done. */
  async tick(): Promise<void> {
    const now = this.now();
    const due = [...this.groups.values()].filter((g) => g.nextFlush <= now && !g.flushing);
    await Promise.all(due.map((g) => this.flush(g)));
    const grouped = new Set<string>();
    for (const g of this.groups.values()) for (const fp of g.alerts.keys()) grouped.add(fp);
    for (const [fp, a] of this.alerts) {
      if (resolvedAt(a, now) && !grouped.has(fp)) {
        this.alerts.delete(fp);
        this.alertsVersion++;
      }
    }
    // Alertmanager's maintenance interval: expired silences and notification log entries are dropped.
    if (now - this.lastMaintenance >= 15 * 60_000) {
      this.lastMaintenance = now;
      this.silences.gc();
      this.nflog.gc();
    }
  }

  private async flush(g: AggGroup): Promise<void> {
    const now = this.now();
    g.flushing = true;
    g.hasFlushed = true;
    g.nextFlush = now + g.route.cfg.groupInterval;
    const p = this.notifyGroup(g, now).finally(() => {
      g.flushing = false;
    });
    this.inflight.add(p);
    try {
      await p;
    } finally {
      this.inflight.delete(p);
    }
  }

  private mutedByTime(r: RouteConfig, now: number): boolean {
    for (const n of r.muteTimeIntervals) if (anyIntervalContains(this.config.timeIntervals.get(n) ?? [], now)) return true;
    if (r.activeTimeIntervals.length > 0) {
      return !r.activeTimeIntervals.some((n) => anyIntervalContains(this.config.timeIntervals.get(n) ?? [], now));
    }
    return false;
  }

  private async notifyGroup(g: AggGroup, now: number): Promise<void> {
    const snapshot = [...g.alerts.values()];
    if (snapshot.length === 0) {
      this.groups.delete(g.key);
      return;
    }
    const receiver = g.route.cfg.receiver;
    let ok = true;
    if (!this.mutedByTime(g.route.cfg, now)) {
      const visible = snapshot.filter((a) => this.inhibitedBy(a.labels, now).length === 0 && this.silences.mutedBy(a.labels).length === 0);
      if (visible.length > 0) {
        const results = await Promise.all((this.integrations.get(receiver) ?? []).map((i) => this.notifyIntegration(g, i, visible, now)));
        ok = results.every(Boolean);
      }
    }
    if (ok) {
      // Resolved alerts that were notified (or muted) leave the group, unless updated meanwhile.
      for (const a of snapshot) {
        const cur = g.alerts.get(a.fingerprint);
        if (cur === a && resolvedAt(a, now)) g.alerts.delete(a.fingerprint);
      }
      if (g.alerts.size === 0) this.groups.delete(g.key);
    }
  }

  private async notifyIntegration(g: AggGroup, i: Integration, alerts: AmAlert[], now: number): Promise<boolean> {
    const receiverKey = `${g.route.cfg.receiver}/${i.name}/${i.index}`;
    const firing = alerts.filter((a) => !resolvedAt(a, now)).map((a) => a.fingerprint);
    const resolved = alerts.filter((a) => resolvedAt(a, now)).map((a) => a.fingerprint);
    const entry = this.nflog.query(g.key, receiverKey);
    if (!this.needsUpdate(entry, firing, resolved, i.sendResolved, g.route.cfg.repeatInterval, now)) return true;
    const toSend = i.sendResolved ? alerts : alerts.filter((a) => !resolvedAt(a, now));
    if (toSend.length > 0) {
      const data = this.notifyData(g, toSend, now);
      try {
        const attempts = await notifyWithRetry(i, data, this.templates, this.retry, (attempt, err) =>
          this.logger.warn({ receiver: g.route.cfg.receiver, integration: `${i.name}[${i.index}]`, attempt, err: err.message }, 'Notify attempt failed, will retry later'),
        );
        this.logger.debug({ receiver: g.route.cfg.receiver, integration: `${i.name}[${i.index}]`, attempts }, 'Notify success');
      } catch (e) {
        this.logger.error({ receiver: g.route.cfg.receiver, integration: `${i.name}[${i.index}]`, groupKey: g.key, err: (e as Error).message }, 'Notify for alerts failed');
        return false;
      }
    }
    this.nflog.log(g.key, receiverKey, firing, resolved);
    return true;
  }

  /** Alertmanager's DedupStage.needsUpdate. */
  private needsUpdate(entry: { timestamp: number; firingAlerts: string[]; resolvedAlerts: string[] } | undefined, firing: string[], resolved: string[], sendResolved: boolean, repeat: number, now: number): boolean {
    if (!entry) return firing.length > 0;
    const prevFiring = new Set(entry.firingAlerts);
    if (!firing.every((f) => prevFiring.has(f))) return true;
    if (firing.length === 0) return entry.firingAlerts.length > 0;
    const prevResolved = new Set(entry.resolvedAlerts);
    if (sendResolved && !resolved.every((r) => prevResolved.has(r))) return true;
    return entry.timestamp <= now - repeat;
  }

  private notifyData(g: AggGroup, alerts: AmAlert[], now: number): NotifyData {
    const list: NotifyAlert[] = alerts.map((a) => {
      const res = resolvedAt(a, now);
      return { status: res ? 'resolved' : 'firing', labels: a.labels, annotations: a.annotations, startsAt: a.startsAt, endsAt: res ? a.endsAt : 0, generatorURL: a.generatorURL, fingerprint: a.fingerprint };
    });
    const common = (pick: (a: AmAlert) => Record<string, string>) => {
      const out: Record<string, string> = { ...pick(alerts[0]) };
      for (const a of alerts.slice(1)) for (const k of Object.keys(out)) if (pick(a)[k] !== out[k]) delete out[k];
      return out;
    };
    return {
      receiver: g.route.cfg.receiver, status: list.some((a) => a.status === 'firing') ? 'firing' : 'resolved', alerts: list, groupLabels: g.labels,
      commonLabels: common((a) => a.labels), commonAnnotations: common((a) => a.annotations), externalURL: this.opts.externalUrl, groupKey: g.key,
    };
  }

  /** Firing alerts matching each inhibit rule's source side, recomputed only when alerts or the clock change. */
  private inhibitSources(now: number): AmAlert[][] {
    const c = this.sourceCache;
    if (c && c.version === this.alertsVersion && c.now === now && c.rules === this.config.inhibitRules) return c.sources;
    const sources = this.config.inhibitRules.map((rule) => [...this.alerts.values()].filter((a) => !resolvedAt(a, now) && matchesAll(rule.sourceMatchers, a.labels)));
    this.sourceCache = { version: this.alertsVersion, now, rules: this.config.inhibitRules, sources };
    return sources;
  }

  /** Fingerprints of firing alerts that inhibit an alert with these labels. */
  inhibitedBy(labels: Record<string, string>, now = this.now()): string[] {
    const out = new Set<string>();
    if (this.config.inhibitRules.length === 0) return [];
    const sources = this.inhibitSources(now);
    const self = fingerprint(labels);
    for (let i = 0; i < this.config.inhibitRules.length; i++) {
      const rule = this.config.inhibitRules[i];
      if (!matchesAll(rule.targetMatchers, labels)) continue;
      for (const src of sources[i]) {
        // An alert matching both sides does not inhibit itself.
        if (src.fingerprint === self) continue;
        if (rule.equal.every((n) => (src.labels[n] ?? '') === (labels[n] ?? ''))) out.add(src.fingerprint);
      }
    }
    return [...out].sort();
  }

  /** Alerts not yet resolved, as the API lists them. */
  activeAlerts(): AmAlert[] {
    const now = this.now();
    return [...this.alerts.values()].filter((a) => !resolvedAt(a, now));
  }

  status(a: AmAlert): AlertStatus {
    const silencedBy = this.silences.mutedBy(a.labels);
    const inhibitedBy = this.inhibitedBy(a.labels);
    return { state: silencedBy.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active', silencedBy, inhibitedBy };
  }

  /** Receiver names the alert routes to. */
  receiversFor(labels: Record<string, string>): string[] {
    return [...new Set(matchRoutes(this.root, labels).map((r) => r.cfg.receiver))];
  }

  /** The aggregation groups with their current (unresolved) alerts. */
  alertGroups(): { labels: Record<string, string>; receiver: string; alerts: AmAlert[]; routeKey: string }[] {
    const now = this.now();
    return [...this.groups.values()]
      .map((g) => ({ labels: g.labels, receiver: g.route.cfg.receiver, routeKey: g.route.key, alerts: [...g.alerts.values()].filter((a) => !resolvedAt(a, now)) }))
      .filter((g) => g.alerts.length > 0);
  }

  receiverNames(): string[] {
    return this.config.receivers.map((r) => r.name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inflight]);
  }
}
