/**
 * An alerting rule with Prometheus 2.42 semantics (rules/alerting.go): pending → firing after `for`,
 * `keep_firing_for`, resolved alerts kept 15 minutes so Alertmanager hears they ended, templated labels
 * and annotations, the ALERTS / ALERTS_FOR_STATE series, and which alerts need (re)sending.
 */
import { labelsKey, sortLabels, type Label, type Labels } from '../../model/labels.js';
import type { VectorSample } from '../../metrics/promql/engine.js';
import { expandAlertTemplate, type TemplateQueryFn } from './template.js';

export type AlertState = 'inactive' | 'pending' | 'firing';

export interface Alert {
  state: AlertState;
  labels: Labels;
  annotations: Labels;
  value: number;
  /** ms; 0 = unset, as Go's zero time */
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  lastSentAt: number;
  validUntil: number;
  keepFiringSince: number;
}

export interface OutputSample {
  labels: Labels;
  v: number;
}

export const RESOLVED_RETENTION_MS = 15 * 60 * 1000;

export interface RuleEvalContext {
  ts: number;
  query: (expr: string, ts: number) => Promise<VectorSample[]>;
  externalLabels: Record<string, string>;
  externalUrl: string;
  limit: number;
  logWarn: (obj: object, msg: string) => void;
}

export type RuleHealth = 'unknown' | 'ok' | 'err';

export abstract class RuleBase {
  health: RuleHealth = 'unknown';
  lastError = '';
  /** ms wall time of the last evaluation, 0 before */
  lastEvaluation = 0;
  /** seconds */
  evaluationTime = 0;
  constructor(
    readonly name: string,
    readonly expr: string,
    readonly labels: Record<string, string>,
  ) {}
  abstract eval(ctx: RuleEvalContext): Promise<OutputSample[]>;
  /** Identity across reloads, so state carries over (Prometheus matches rules by their String()). */
  abstract identity(): string;
}

export class AlertingRule extends RuleBase {
  readonly active = new Map<string, Alert>();
  /** Whether `for` state has been restored (or needs none); ALERTS series are written only then. */
  restored: boolean;

  constructor(
    name: string,
    expr: string,
    readonly holdDuration: number,
    readonly keepFiringFor: number,
    labels: Record<string, string>,
    readonly annotations: Record<string, string>,
    restored: boolean,
  ) {
    super(name, expr, labels);
    this.restored = restored;
  }

  identity(): string {
    return JSON.stringify(['alert', this.name, this.expr, this.holdDuration, this.keepFiringFor, this.labels, this.annotations]);
  }

  state(): AlertState {
    let max: AlertState = 'inactive';
    for (const a of this.active.values()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') max = 'pending';
    }
    return max;
  }

  async eval(ctx: RuleEvalContext): Promise<OutputSample[]> {
    const res = await ctx.query(this.expr, ctx.ts);
    const resultFPs = new Set<string>();
    const alerts = new Map<string, Alert>();
    const tmplName = `__alert_${this.name}`;
    for (const smpl of res) {
      const l: Record<string, string> = {};
      for (const x of smpl.metric) l[x.name] = x.value;
      const data = { labels: l, externalLabels: ctx.externalLabels, externalUrl: ctx.externalUrl, value: smpl.v };
      const tctx = {
        externalUrl: ctx.externalUrl,
        query: (async (q: string) =>
          (await ctx.query(q, ctx.ts)).map((s) => ({ Labels: Object.fromEntries(s.metric.map((x) => [x.name, x.value])), Value: s.v }))) as TemplateQueryFn,
      };
      const expand = async (text: string): Promise<string> => {
        try {
          return await expandAlertTemplate(tmplName, text, data, tctx);
        } catch (e) {
          ctx.logWarn({ err: (e as Error).message, alert: this.name }, 'Expanding alert template failed');
          return `<error expanding template: ${(e as Error).message}>`;
        }
      };
      const lb = new Map<string, string>();
      for (const x of smpl.metric) if (x.name !== '__name__') lb.set(x.name, x.value);
      for (const [k, v] of Object.entries(this.labels)) {
        const ev = await expand(v);
        if (ev === '') lb.delete(k);
        else lb.set(k, ev);
      }
      lb.set('alertname', this.name);
      const annotations: Label[] = [];
      for (const [k, v] of Object.entries(this.annotations)) annotations.push({ name: k, value: await expand(v) });
      const lbs = sortLabels([...lb].map(([name, value]) => ({ name, value })));
      const h = labelsKey(lbs);
      resultFPs.add(h);
      if (alerts.has(h)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      alerts.set(h, {
        labels: lbs,
        annotations: sortLabels(annotations),
        activeAt: ctx.ts,
        state: 'pending',
        value: smpl.v,
        firedAt: 0,
        resolvedAt: 0,
        lastSentAt: 0,
        validUntil: 0,
        keepFiringSince: 0,
      });
    }
    for (const [h, a] of alerts) {
      const prev = this.active.get(h);
      if (prev && prev.state !== 'inactive') {
        prev.value = a.value;
        prev.annotations = a.annotations;
        continue;
      }
      this.active.set(h, a);
    }
    const vec: OutputSample[] = [];
    let numActivePending = 0;
    for (const [fp, a] of this.active) {
      if (!resultFPs.has(fp)) {
        let keepFiring = false;
        if (a.state === 'firing' && this.keepFiringFor > 0) {
          if (a.keepFiringSince === 0) a.keepFiringSince = ctx.ts;
          if (ctx.ts - a.keepFiringSince < this.keepFiringFor) keepFiring = true;
        }
        if (a.state === 'pending' || (a.resolvedAt !== 0 && ctx.ts - a.resolvedAt > RESOLVED_RETENTION_MS)) this.active.delete(fp);
        if (a.state !== 'inactive' && !keepFiring) {
          a.state = 'inactive';
          a.resolvedAt = ctx.ts;
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSince = 0;
      }
      numActivePending++;
      if (a.state === 'pending' && ctx.ts - a.activeAt >= this.holdDuration) {
        a.state = 'firing';
        a.firedAt = ctx.ts;
      }
      if (this.restored) {
        vec.push({ labels: alertsSeriesLabels(a.labels, a.state), v: 1 });
        vec.push({ labels: forStateSeriesLabels(a.labels), v: Math.floor(a.activeAt / 1000) });
      }
    }
    if (ctx.limit > 0 && numActivePending > ctx.limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${ctx.limit} with ${numActivePending} alerts`);
    }
    return vec;
  }

  /** Alerts to hand to the notifier at ts (Prometheus's sendAlerts + needsSending). */
  alertsToSend(ts: number, resendDelay: number, interval: number): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (!needsSending(a, ts, resendDelay)) continue;
      a.lastSentAt = ts;
      const delta = Math.max(resendDelay, interval);
      a.validUntil = ts + 4 * delta;
      out.push({ ...a });
    }
    return out;
  }

  /** Copies runtime state from the rule this one replaces on reload. */
  inheritFrom(old: AlertingRule): void {
    for (const [k, a] of old.active) this.active.set(k, a);
    this.restored = old.restored || this.restored;
    this.health = old.health;
    this.lastError = old.lastError;
    this.lastEvaluation = old.lastEvaluation;
    this.evaluationTime = old.evaluationTime;
  }
}

function needsSending(a: Alert, ts: number, resendDelay: number): boolean {
  if (a.state === 'pending') return false;
  if (a.resolvedAt > a.lastSentAt) return true;
  return a.lastSentAt + resendDelay < ts;
}

export function alertsSeriesLabels(labels: Labels, state: AlertState): Labels {
  const out: Label[] = labels.filter((l) => l.name !== '__name__' && l.name !== 'alertstate');
  out.push({ name: '__name__', value: 'ALERTS' }, { name: 'alertstate', value: state });
  return sortLabels(out);
}

export function forStateSeriesLabels(labels: Labels): Labels {
  const out: Label[] = labels.filter((l) => l.name !== '__name__');
  out.push({ name: '__name__', value: 'ALERTS_FOR_STATE' });
  return sortLabels(out);
}

export class RecordingRule extends RuleBase {
  identity(): string {
    return JSON.stringify(['record', this.name, this.expr, this.labels]);
  }

  async eval(ctx: RuleEvalContext): Promise<OutputSample[]> {
    const res = await ctx.query(this.expr, ctx.ts);
    const out: OutputSample[] = [];
    const seen = new Set<string>();
    for (const s of res) {
      const m = new Map<string, string>();
      for (const l of s.metric) m.set(l.name, l.value);
      m.set('__name__', this.name);
      for (const [k, v] of Object.entries(this.labels)) {
        if (v === '') m.delete(k);
        else m.set(k, v);
      }
      const labels = sortLabels([...m].map(([name, value]) => ({ name, value })));
      const key = labelsKey(labels);
      if (seen.has(key)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(key);
      out.push({ labels, v: s.v });
    }
    if (ctx.limit > 0 && out.length > ctx.limit) throw new Error(`exceeded limit of ${ctx.limit} with ${out.length} series`);
    return out;
  }
}
