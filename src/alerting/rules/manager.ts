/**
 * The rule manager (Prometheus 2.42 rules/manager.go + group.go): loads `rule_files`, runs each group on
 * its own schedule aligned by a hash offset, writes recording-rule output and the ALERTS /
 * ALERTS_FOR_STATE series through one Appender commit per group evaluation (stale markers for series
 * that went away), restores `for` state after a restart, and hands alerts that need (re)sending to the
 * notifier. A reload whose rule files fail validation throws and leaves the running groups untouched.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { glob } from '../../config/glob.js';
import type { PrometheusConfig } from '../../config/types.js';
import { labelsKey, type Labels } from '../../model/labels.js';
import { STALE_NAN, isStaleNaN } from '../../model/value.js';
import type { Engine, VectorSample } from '../../metrics/promql/engine.js';
import type { Appender, Storage } from '../../metrics/storage/interface.js';
import type { NotifierAlert } from '../notifier/types.js';
import { AlertingRule, RecordingRule, forStateSeriesLabels, type Alert, type AlertState, type RuleBase, type RuleHealth } from './alerting-rule.js';
import { dropGroupMetrics, ruleMetrics } from './metrics.js';
import { loadRuleFile, RuleFileError, type RuleGroupDef } from './rulefmt.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RuleManagerOptions {
  storage: Storage;
  engine: Pick<Engine, 'instantQuery'>;
  notify: (alerts: NotifierAlert[]) => void;
  externalLabels: () => Record<string, string>;
  externalUrl: string;
  logger: Logger;
  /** Clock (ms); evaluation timestamps and alert times come from it. */
  now?: () => number;
  /** Scheduling; tests pass no-op timers and drive evaluation with evalAllNow(). */
  timers?: Timers;
  /** Prometheus's --rules.alert.resend-delay (1m). */
  resendDelayMs?: number;
  /** --rules.alert.for-outage-tolerance (1h). */
  outageToleranceMs?: number;
  /** --rules.alert.for-grace-period (10m). */
  forGracePeriodMs?: number;
}

export interface RuleAlertState {
  labels: Labels;
  annotations: Labels;
  state: AlertState;
  activeAt: number;
  value: number;
  keepFiringSince: number;
}

export interface RuleState {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ms */
  duration: number;
  keepFiringFor: number;
  state: AlertState;
  alerts: RuleAlertState[];
  health: RuleHealth;
  lastError: string;
  /** seconds */
  evaluationTime: number;
  /** ms, 0 = never */
  lastEvaluation: number;
}

export interface RuleGroupState {
  name: string;
  file: string;
  /** ms */
  interval: number;
  limit: number;
  rules: RuleState[];
  /** seconds */
  evaluationTime: number;
  lastEvaluation: number;
}

const DEFAULT_TIMERS: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

class Group {
  readonly key: string;
  seriesInPreviousEval: Map<string, Labels>[];
  /** Series of rules removed by a reload, marked stale at this group's next evaluation. */
  staleSeries: Labels[] = [];
  shouldRestore = false;
  iterations = 0;
  lastEvaluation = 0;
  evaluationTime = 0;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = false;
  private nextEval = 0;

  constructor(
    readonly name: string,
    readonly file: string,
    readonly interval: number,
    readonly limit: number,
    readonly rules: RuleBase[],
    private readonly m: RuleManager,
  ) {
    this.key = `${file};${name}`;
    this.seriesInPreviousEval = rules.map(() => new Map());
  }

  /** Prometheus's EvalTimestamp: groups are spread over the interval by a hash of their key. */
  evalTimestamp(now: number): number {
    const h = createHash('sha256').update(this.key).digest().readUInt32BE(0);
    const offset = h % this.interval;
    const adj = now - offset;
    return adj - (((adj % this.interval) + this.interval) % this.interval) + offset;
  }

  start(): void {
    const now = this.m.now();
    this.nextEval = this.evalTimestamp(now) + this.interval;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.nextEval - this.m.now());
    this.timer = this.m.timers.setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const ts = this.nextEval;
    await this.run(ts);
    // Missed iterations: the evaluation took longer than the interval.
    const now = this.m.now();
    let next = ts + this.interval;
    if (now >= next + this.interval) {
      const missed = Math.floor((now - next) / this.interval);
      ruleMetrics.missed.inc({ rule_group: this.key }, missed);
      ruleMetrics.iterations.inc({ rule_group: this.key }, missed);
      next += missed * this.interval;
    }
    this.nextEval = next;
    this.schedule();
  }

  /** One iteration at ts (serialized with any other on this group). */
  async run(ts: number): Promise<void> {
    const prev = this.running ?? Promise.resolve();
    const p = prev.then(() => this.evalOnce(ts));
    this.running = p.catch(() => undefined);
    await p;
  }

  private async evalOnce(ts: number): Promise<void> {
    if (this.stopped) return;
    const start = performance.now();
    ruleMetrics.iterations.inc({ rule_group: this.key });
    const samples = await this.m.evalGroup(this, ts);
    this.evaluationTime = (performance.now() - start) / 1000;
    this.lastEvaluation = this.m.now();
    this.iterations++;
    ruleMetrics.lastDuration.set({ rule_group: this.key }, this.evaluationTime);
    ruleMetrics.lastEvaluation.set({ rule_group: this.key }, ts / 1000);
    ruleMetrics.samples.set({ rule_group: this.key }, samples);
    // After the second evaluation of a group loaded at startup, restore `for` state (Prometheus waits one
    // more iteration so recording rules the alerts depend on have produced data).
    if (this.shouldRestore && this.iterations >= 2) {
      this.shouldRestore = false;
      await this.m.restoreForState(this, this.m.now());
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.m.timers.clearTimeout(this.timer);
    await this.running;
  }
}

export class RuleManager {
  readonly timers: Timers;
  readonly now: () => number;
  private groupsByKey = new Map<string, Group>();
  private restoredOnce = false;
  private readonly resendDelay: number;
  private readonly outageTolerance: number;
  private readonly forGracePeriod: number;
  private stopped = false;
  /** Timers of stale markers waiting to be written for removed groups. */
  private readonly pendingStale = new Set<unknown>();

  constructor(private readonly o: RuleManagerOptions) {
    this.now = o.now ?? Date.now;
    this.timers = o.timers ?? DEFAULT_TIMERS;
    this.resendDelay = o.resendDelayMs ?? 60_000;
    this.outageTolerance = o.outageToleranceMs ?? 3_600_000;
    this.forGracePeriod = o.forGracePeriodMs ?? 600_000;
  }

  /** Loads the rule files of cfg; on any error throws (naming file, group, rule) and keeps the running groups. */
  async applyConfig(cfg: PrometheusConfig): Promise<void> {
    const files: string[] = [];
    for (const pattern of cfg.ruleFiles) {
      let matched: string[];
      try {
        matched = await glob(pattern);
      } catch (e) {
        throw new Error(`error retrieving rule files for ${pattern}: ${(e as Error).message}`);
      }
      for (const f of matched) if (!files.includes(f)) files.push(f);
    }
    const loaded: { file: string; groups: RuleGroupDef[] }[] = [];
    const errors: string[] = [];
    for (const file of files) {
      try {
        loaded.push({ file, groups: await loadRuleFile(file) });
      } catch (e) {
        if (e instanceof RuleFileError) errors.push(...e.errors.map((x) => `${file}: ${x}`));
        else errors.push(`${file}: ${(e as Error).message}`);
      }
    }
    if (errors.length > 0) {
      const err = new Error(`error loading rules, previous rule set restored: ${errors.join('; ')}`);
      this.o.logger.error({ errors }, 'loading rule files failed; keeping the previous rules');
      throw err;
    }
    const restored = this.restoredOnce;
    const next = new Map<string, Group>();
    for (const { file, groups } of loaded) {
      for (const gd of groups) {
        const rules: RuleBase[] = gd.rules.map((r) =>
          r.alert !== undefined
            ? new AlertingRule(r.alert, r.expr, r.for, r.keepFiringFor, r.labels, r.annotations, restored)
            : new RecordingRule(r.record as string, r.expr, r.labels),
        );
        const g = new Group(gd.name, file, gd.interval || cfg.global.evaluationInterval, gd.limit, rules, this);
        g.shouldRestore = !restored;
        next.set(g.key, g);
      }
    }
    // Carry state over from groups that survive the reload; stop the rest.
    const old = this.groupsByKey;
    for (const [key, g] of next) {
      const o = old.get(key);
      if (!o) continue;
      g.shouldRestore = o.shouldRestore;
      g.iterations = o.iterations;
      g.lastEvaluation = o.lastEvaluation;
      g.evaluationTime = o.evaluationTime;
      const byId = new Map<string, { rule: RuleBase; idx: number }[]>();
      o.rules.forEach((r, idx) => {
        const id = r.identity();
        const list = byId.get(id) ?? [];
        list.push({ rule: r, idx });
        byId.set(id, list);
      });
      g.rules.forEach((r, i) => {
        const match = byId.get(r.identity())?.shift();
        if (!match) return;
        if (r instanceof AlertingRule && match.rule instanceof AlertingRule) r.inheritFrom(match.rule);
        else {
          r.health = match.rule.health;
          r.lastError = match.rule.lastError;
          r.lastEvaluation = match.rule.lastEvaluation;
          r.evaluationTime = match.rule.evaluationTime;
        }
        g.seriesInPreviousEval[i] = o.seriesInPreviousEval[match.idx];
        o.seriesInPreviousEval[match.idx] = new Map();
      });
    }
    for (const [key, o] of old) {
      await o.stop();
      const stale: Labels[] = [];
      for (const m of o.seriesInPreviousEval) for (const l of m.values()) stale.push(l);
      const successor = next.get(key);
      if (successor) {
        // As Prometheus's CopyState: series of rules dropped from a surviving group are marked stale by the
        // new group's first evaluation, at its timestamp.
        successor.staleSeries.push(...stale);
        continue;
      }
      dropGroupMetrics(key);
      // As Prometheus for a removed group: markers stamped at the stop time, written two intervals later so
      // that a rule moved to another group (or file) can write its series first; skipped on shutdown.
      if (stale.length > 0) this.scheduleStale(stale, this.now(), 2 * o.interval);
    }
    this.groupsByKey = next;
    this.restoredOnce = true;
    for (const g of next.values()) {
      ruleMetrics.interval.set({ rule_group: g.key }, g.interval / 1000);
      ruleMetrics.rules.set({ rule_group: g.key }, g.rules.length);
      if (!this.stopped) g.start();
    }
    this.o.logger.info({ files: files.length, groups: next.size }, 'rules loaded');
  }

  private scheduleStale(series: Labels[], ts: number, delayMs: number): void {
    const handle = this.timers.setTimeout(() => {
      this.pendingStale.delete(handle);
      if (this.stopped) return;
      const app = this.o.storage.appender();
      appendStale(app, series, ts);
      app.commit().catch((e: unknown) => this.o.logger.warn({ err: (e as Error).message }, 'writing stale markers of removed rules failed'));
    }, delayMs);
    this.pendingStale.add(handle);
  }

  groups(): RuleGroupState[] {
    return [...this.groupsByKey.values()].map((g) => ({
      name: g.name,
      file: g.file,
      interval: g.interval,
      limit: g.limit,
      evaluationTime: g.evaluationTime,
      lastEvaluation: g.lastEvaluation,
      rules: g.rules.map((r): RuleState => {
        const base = {
          name: r.name,
          query: r.expr,
          labels: r.labels,
          health: r.health,
          lastError: r.lastError,
          evaluationTime: r.evaluationTime,
          lastEvaluation: r.lastEvaluation,
        };
        if (r instanceof AlertingRule) {
          return {
            ...base,
            type: 'alerting',
            annotations: r.annotations,
            duration: r.holdDuration,
            keepFiringFor: r.keepFiringFor,
            state: r.state(),
            alerts: [...r.active.values()]
              .filter((a) => a.state !== 'inactive')
              .map((a) => ({ labels: a.labels, annotations: a.annotations, state: a.state, activeAt: a.activeAt, value: a.value, keepFiringSince: a.keepFiringSince })),
          };
        }
        return { ...base, type: 'recording', annotations: {}, duration: 0, keepFiringFor: 0, state: 'inactive', alerts: [] };
      }),
    }));
  }

  /**
   * Evaluates every group once at t (default now()); for tests and benchmarks. Groups run concurrently
   * unless `sequential` (as the scheduler spreads them over the interval, so per-group durations are
   * not inflated by interleaving).
   */
  async evalAllNow(t?: number, opts: { sequential?: boolean } = {}): Promise<void> {
    const ts = t ?? this.now();
    if (opts.sequential) {
      for (const g of this.groupsByKey.values()) await g.run(ts);
      return;
    }
    await Promise.all([...this.groupsByKey.values()].map((g) => g.run(ts)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const h of this.pendingStale) this.timers.clearTimeout(h);
    this.pendingStale.clear();
    await Promise.all([...this.groupsByKey.values()].map((g) => g.stop()));
  }

  private async query(expr: string, ts: number): Promise<VectorSample[]> {
    const r = await this.o.engine.instantQuery(this.o.storage.querier(), expr, ts);
    if (r.resultType === 'vector') return r.result;
    if (r.resultType === 'scalar') return [{ metric: [], t: r.result.t, v: r.result.v }];
    throw new Error('rule result is not a vector or scalar');
  }

  /** One evaluation of all rules of a group at ts; returns the number of samples written. */
  async evalGroup(g: Group, ts: number): Promise<number> {
    const app = this.o.storage.appender();
    let total = 0;
    const externalLabels = this.o.externalLabels();
    for (let i = 0; i < g.rules.length; i++) {
      const rule = g.rules[i];
      const t0 = performance.now();
      ruleMetrics.evaluations.inc({ rule_group: g.key });
      let vec;
      try {
        vec = await rule.eval({
          ts,
          query: (e, t) => this.query(e, t),
          externalLabels,
          externalUrl: this.o.externalUrl,
          limit: g.limit,
          logWarn: (obj, msg) => this.o.logger.warn({ group: g.name, ...obj }, msg),
        });
      } catch (e) {
        rule.health = 'err';
        rule.lastError = (e as Error).message;
        rule.evaluationTime = (performance.now() - t0) / 1000;
        rule.lastEvaluation = this.now();
        ruleMetrics.failures.inc({ rule_group: g.key });
        this.o.logger.warn({ group: g.name, rule: rule.name, err: rule.lastError }, 'evaluating rule failed');
        continue;
      }
      rule.health = 'ok';
      rule.lastError = '';
      if (rule instanceof AlertingRule) this.sendAlerts(rule, ts, g.interval);
      const returned = new Map<string, Labels>();
      for (const s of vec) {
        const key = labelsKey(s.labels);
        returned.set(key, s.labels);
        try {
          app.append(s.labels, ts, s.v);
          total++;
        } catch (e) {
          this.o.logger.warn({ group: g.name, rule: rule.name, err: (e as Error).message }, 'rule sample appending failed');
        }
      }
      const gone: Labels[] = [];
      for (const [key, l] of g.seriesInPreviousEval[i]) if (!returned.has(key)) gone.push(l);
      appendStale(app, gone, ts);
      g.seriesInPreviousEval[i] = returned;
      rule.evaluationTime = (performance.now() - t0) / 1000;
      rule.lastEvaluation = this.now();
    }
    // After the rules, so that a series a moved rule wrote at ts keeps its value (the marker is refused).
    appendStale(app, g.staleSeries, ts);
    g.staleSeries = [];
    try {
      await app.commit();
    } catch (e) {
      this.o.logger.error({ group: g.name, err: (e as Error).message }, 'committing rule results failed');
    }
    return total;
  }

  private sendAlerts(rule: AlertingRule, ts: number, interval: number): void {
    const alerts = rule.alertsToSend(ts, this.resendDelay, interval);
    if (alerts.length === 0) return;
    const link = `${this.o.externalUrl.replace(/\/$/, '')}/graph?g0.expr=${queryEscape(rule.expr)}&g0.tab=1`;
    this.o.notify(alerts.map((a: Alert) => ({ labels: a.labels, annotations: a.annotations, startsAt: a.firedAt, endsAt: a.resolvedAt !== 0 ? a.resolvedAt : a.validUntil, generatorURL: link })));
  }

  /** Prometheus's RestoreForState: resumes `for` timers from ALERTS_FOR_STATE written before a restart. */
  async restoreForState(g: Group, ts: number): Promise<void> {
    const q = this.o.storage.querier();
    for (const rule of g.rules) {
      if (!(rule instanceof AlertingRule)) continue;
      const hold = rule.holdDuration;
      if (hold < this.forGracePeriod) {
        rule.restored = true;
        continue;
      }
      for (const a of rule.active.values()) {
        const lbls = forStateSeriesLabels(a.labels);
        let series;
        try {
          series = await q.select(
            lbls.map((l) => ({ type: '=' as const, name: l.name, value: l.value })),
            ts - this.outageTolerance,
            ts,
          );
        } catch (e) {
          this.o.logger.error({ err: (e as Error).message }, 'failed to restore for state');
          continue;
        }
        const s = series.find((x) => x.labels.length === lbls.length);
        if (!s || s.values.length === 0) continue;
        const n = s.values.length;
        const t = s.timestamps[n - 1];
        const v = s.values[n - 1];
        if (isStaleNaN(v)) continue;
        const downAt = Math.floor(t / 1000) * 1000;
        let restoredActiveAt = Math.trunc(v) * 1000;
        const timeSpentPending = downAt - restoredActiveAt;
        const remaining = hold - timeSpentPending;
        if (remaining <= 0) {
          // Was firing when we went down; the next evaluation fires it again if still true.
        } else if (remaining < this.forGracePeriod) {
          restoredActiveAt = ts + this.forGracePeriod - hold;
        } else {
          restoredActiveAt += ts - downAt;
        }
        a.activeAt = restoredActiveAt;
      }
      rule.restored = true;
    }
  }
}

function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Stale markers at ts; a series that already has a sample at or after ts keeps it (nothing to mark). */
function appendStale(app: Appender, series: readonly Labels[], ts: number): void {
  for (const l of series) {
    try {
      app.append(l, ts, STALE_NAN);
    } catch {
      // out of order or duplicate: the series is not gone at ts
    }
  }
}
