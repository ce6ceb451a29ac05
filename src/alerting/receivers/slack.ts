/** Slack incoming webhooks: the one-attachment message Alertmanager 0.25 sends, fields rendered from templates. */
import type { SlackConfig } from '../alertmanager/config.js';
import type { Template } from '../../lib/gotemplate/index.js';
import { postJson, type Integration, type NotifyContext } from './integration.js';
import { renderText, templateData, type NotifyData } from './template-data.js';

export function slackMessage(cfg: SlackConfig, data: NotifyData, tmpl: Template): Record<string, unknown> {
  const d = templateData(data);
  const t = (s: string) => renderText(tmpl, s, d);
  const att: Record<string, unknown> = {};
  const set = (k: string, v: string) => {
    if (v !== '') att[k] = v;
  };
  set('title', t(cfg.title));
  set('title_link', t(cfg.titleLink));
  set('pretext', t(cfg.pretext));
  att.text = t(cfg.text);
  att.fallback = t(cfg.fallback);
  set('callback_id', t(cfg.callbackId));
  set('image_url', t(cfg.imageUrl));
  set('thumb_url', t(cfg.thumbUrl));
  set('footer', t(cfg.footer));
  set('color', t(cfg.color));
  if (cfg.mrkdwnIn.length > 0) att.mrkdwn_in = cfg.mrkdwnIn;
  if (cfg.fields.length > 0) att.fields = cfg.fields.map((f) => ({ title: t(f.title), value: t(f.value), short: f.short ?? cfg.shortFields }));
  const msg: Record<string, unknown> = {};
  const top = (k: string, v: string) => {
    if (v !== '') msg[k] = v;
  };
  top('channel', t(cfg.channel));
  top('username', t(cfg.username));
  top('icon_emoji', t(cfg.iconEmoji));
  top('icon_url', t(cfg.iconUrl));
  if (cfg.linkNames) msg.link_names = true;
  msg.attachments = [att];
  return msg;
}

export class SlackIntegration implements Integration {
  readonly name = 'slack';
  constructor(
    private readonly cfg: SlackConfig,
    readonly index: number,
  ) {}
  get sendResolved(): boolean {
    return this.cfg.sendResolved;
  }
  async notify(data: NotifyData, ctx: NotifyContext): Promise<void> {
    await postJson(this.cfg.apiUrl, slackMessage(this.cfg, data, ctx.templates), ctx.signal, 'slack', this.cfg.httpConfig);
  }
}
