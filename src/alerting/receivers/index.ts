export { EmailIntegration } from './email.js';
export { SlackIntegration, slackMessage } from './slack.js';
export { WebhookIntegration, webhookMessage } from './webhook.js';
export { notifyWithRetry, notificationMetrics, NotifyError, DEFAULT_RETRY, type Integration, type RetryOptions } from './integration.js';
export { buildTemplates, templateData, type NotifyAlert, type NotifyData } from './template-data.js';
import type { ReceiverConfig } from '../alertmanager/config.js';
import { EmailIntegration } from './email.js';
import { SlackIntegration } from './slack.js';
import { WebhookIntegration } from './webhook.js';
import type { Integration } from './integration.js';

/** The integrations of one receiver, indexed per kind as Alertmanager names them (slack[0], webhook[1]...). */
export function buildIntegrations(rc: ReceiverConfig): Integration[] {
  return [
    ...rc.emailConfigs.map((c, i) => new EmailIntegration(c, i)),
    ...rc.slackConfigs.map((c, i) => new SlackIntegration(c, i)),
    ...rc.webhookConfigs.map((c, i) => new WebhookIntegration(c, i)),
  ];
}
