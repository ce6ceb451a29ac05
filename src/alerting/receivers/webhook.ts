/** The generic webhook: Alertmanager's JSON message, version "4". */
import type { WebhookConfig } from '../alertmanager/config.js';
import { goTime } from '../alertmanager/types.js';
import { postJson, type Integration, type NotifyContext } from './integration.js';
import type { NotifyData } from './template-data.js';

export function webhookMessage(data: NotifyData, maxAlerts: number): Record<string, unknown> {
  const alerts = maxAlerts > 0 ? data.alerts.slice(0, maxAlerts) : data.alerts;
  return {
    receiver: data.receiver,
    status: data.status,
    alerts: alerts.map((a) => ({
      status: a.status, labels: a.labels, annotations: a.annotations, startsAt: goTime(a.startsAt), endsAt: goTime(a.endsAt),
      generatorURL: a.generatorURL, fingerprint: a.fingerprint,
    })),
    groupLabels: data.groupLabels,
    commonLabels: data.commonLabels,
    commonAnnotations: data.commonAnnotations,
    externalURL: data.externalURL,
    version: '4',
    groupKey: data.groupKey,
    truncatedAlerts: data.alerts.length - alerts.length,
  };
}

export class WebhookIntegration implements Integration {
  readonly name = 'webhook';
  constructor(
    private readonly cfg: WebhookConfig,
    readonly index: number,
  ) {}
  get sendResolved(): boolean {
    return this.cfg.sendResolved;
  }
  async notify(data: NotifyData, ctx: NotifyContext): Promise<void> {
    await postJson(this.cfg.url, webhookMessage(data, this.cfg.maxAlerts), ctx.signal, 'webhook', this.cfg.httpConfig);
  }
}
