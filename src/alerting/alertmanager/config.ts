/**
 * The Alertmanager 0.25 configuration format: global, route tree, inhibit_rules, receivers (slack, webhook,
 * email; the other integrations are accepted and ignored with a warning), time_intervals and templates.
 * Strict like Alertmanager: unknown fields are errors naming file and line.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments, parseDocument, stringify, isScalar, type Node } from 'yaml';
import { ConfigError } from '../../config/types.js';
import { YamlReader, type MaybeNode } from '../../config/yaml-reader.js';
import { makeMatcher, parseMatchers, type AmMatcher } from './matchers.js';
import { parseTimeInterval, type TimeInterval } from './time-intervals.js';

export interface HttpConfig {
  /** Only TLS verification and a proxy are honoured; other fields are accepted. */
  insecureSkipVerify: boolean;
  raw: Record<string, unknown>;
}

export interface GlobalConfig {
  resolveTimeout: number;
  smtpFrom: string;
  smtpHello: string;
  smtpSmarthost: string;
  smtpAuthUsername: string;
  smtpAuthPassword: string;
  smtpAuthSecret: string;
  smtpAuthIdentity: string;
  smtpRequireTls: boolean;
  slackApiUrl: string;
  httpConfig: HttpConfig;
}

export interface RouteConfig {
  receiver: string;
  groupBy: string[];
  /** group_by: ['...'] — every label is a grouping label. */
  groupByAll: boolean;
  groupWait: number;
  groupInterval: number;
  repeatInterval: number;
  matchers: AmMatcher[];
  continue: boolean;
  routes: RouteConfig[];
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
}

export interface InhibitRule {
  sourceMatchers: AmMatcher[];
  targetMatchers: AmMatcher[];
  equal: string[];
}

export interface SlackField {
  title: string;
  value: string;
  short?: boolean;
}

export interface SlackConfig {
  sendResolved: boolean;
  apiUrl: string;
  channel: string;
  username: string;
  color: string;
  title: string;
  titleLink: string;
  pretext: string;
  text: string;
  fallback: string;
  callbackId: string;
  iconEmoji: string;
  iconUrl: string;
  footer: string;
  imageUrl: string;
  thumbUrl: string;
  linkNames: boolean;
  shortFields: boolean;
  mrkdwnIn: string[];
  fields: SlackField[];
  httpConfig: HttpConfig;
}

export interface WebhookConfig {
  sendResolved: boolean;
  url: string;
  maxAlerts: number;
  httpConfig: HttpConfig;
}

export interface EmailConfig {
  sendResolved: boolean;
  to: string;
  from: string;
  hello: string;
  smarthost: string;
  authUsername: string;
  authPassword: string;
  authSecret: string;
  authIdentity: string;
  headers: Record<string, string>;
  html: string;
  text: string;
  requireTls: boolean;
  tlsInsecureSkipVerify: boolean;
}

export interface ReceiverConfig {
  name: string;
  slackConfigs: SlackConfig[];
  webhookConfigs: WebhookConfig[];
  emailConfigs: EmailConfig[];
}

export interface AlertmanagerConfig {
  global: GlobalConfig;
  route: RouteConfig;
  inhibitRules: InhibitRule[];
  receivers: ReceiverConfig[];
  timeIntervals: Map<string, TimeInterval[]>;
  /** Template file globs, resolved against the config file's directory. */
  templates: string[];
  /** The YAML as written, with secrets replaced by `<secret>` (what /api/v2/status shows). */
  original: string;
  /** Non-fatal remarks (ignored integrations). */
  warnings: string[];
}

const SECRET = '<secret>';
const SECRET_KEYS = new Set(['api_url', 'slack_api_url', 'auth_password', 'auth_secret', 'smtp_auth_password', 'smtp_auth_secret', 'password', 'bearer_token', 'credentials', 'client_secret', 'url', 'service_key', 'routing_key', 'api_key', 'token', 'bot_token', 'webhook_url', 'api_secret', 'user_key', 'opsgenie_api_key', 'victorops_api_key', 'pagerduty_url', 'wechat_api_secret', 'telegram_api_url']);

/** Replaces every secret value (webhook URLs, passwords, API URLs and keys) by `<secret>`. */
export function redactSecrets(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => redactSecrets(x, key));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      // A route or global URL that is not a secret in Alertmanager (resolve base URLs) stays; receivers' URLs go.
      out[k] = SECRET_KEYS.has(k) && x !== null && x !== '' && typeof x !== 'object' ? SECRET : redactSecrets(x, k);
    }
    return out;
  }
  return v;
}

const IGNORED_INTEGRATIONS = ['pagerduty_configs', 'opsgenie_configs', 'wechat_configs', 'pushover_configs', 'victorops_configs', 'sns_configs', 'telegram_configs', 'discord_configs', 'webex_configs', 'msteams_configs'];

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

class AmParser {
  readonly warnings: string[] = [];
  constructor(private readonly r: YamlReader) {}

  httpConfig(node: MaybeNode): HttpConfig {
    const raw = (this.r.plain(node) ?? {}) as Record<string, unknown>;
    const tls = (raw.tls_config ?? {}) as Record<string, unknown>;
    return { insecureSkipVerify: tls.insecure_skip_verify === true, raw };
  }

  global(node: MaybeNode): GlobalConfig {
    const r = this.r;
    const g: GlobalConfig = {
      resolveTimeout: 5 * 60_000, smtpFrom: '', smtpHello: 'localhost', smtpSmarthost: '', smtpAuthUsername: '', smtpAuthPassword: '',
      smtpAuthSecret: '', smtpAuthIdentity: '', smtpRequireTls: true, slackApiUrl: '', httpConfig: { insecureSkipVerify: false, raw: {} },
    };
    const ignore = () => undefined;
    r.object(node, 'config.GlobalConfig', 'global', {
      resolve_timeout: (v) => (g.resolveTimeout = r.duration(v, 'resolve_timeout') ?? g.resolveTimeout),
      smtp_from: (v) => (g.smtpFrom = r.str(v, 'smtp_from') ?? ''),
      smtp_hello: (v) => (g.smtpHello = r.str(v, 'smtp_hello') ?? 'localhost'),
      smtp_smarthost: (v) => (g.smtpSmarthost = r.str(v, 'smtp_smarthost') ?? ''),
      smtp_auth_username: (v) => (g.smtpAuthUsername = r.str(v, 'smtp_auth_username') ?? ''),
      smtp_auth_password: (v) => (g.smtpAuthPassword = r.str(v, 'smtp_auth_password') ?? ''),
      smtp_auth_password_file: (v) => (g.smtpAuthPassword = readSecretFile(r, v, 'smtp_auth_password_file')),
      smtp_auth_secret: (v) => (g.smtpAuthSecret = r.str(v, 'smtp_auth_secret') ?? ''),
      smtp_auth_identity: (v) => (g.smtpAuthIdentity = r.str(v, 'smtp_auth_identity') ?? ''),
      smtp_require_tls: (v) => (g.smtpRequireTls = r.bool(v, 'smtp_require_tls') ?? true),
      slack_api_url: (v) => (g.slackApiUrl = this.url(v, 'slack_api_url')),
      slack_api_url_file: (v) => (g.slackApiUrl = readSecretFile(r, v, 'slack_api_url_file')),
      http_config: (v) => (g.httpConfig = this.httpConfig(v)),
      pagerduty_url: ignore, opsgenie_api_url: ignore, opsgenie_api_key: ignore, opsgenie_api_key_file: ignore, wechat_api_url: ignore,
      wechat_api_secret: ignore, wechat_api_corp_id: ignore, victorops_api_url: ignore, victorops_api_key: ignore, victorops_api_key_file: ignore,
      telegram_api_url: ignore, webex_api_url: ignore,
    });
    return g;
  }

  url(v: MaybeNode, field: string): string {
    const s = this.r.str(v, field) ?? '';
    if (s === '') return s;
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return this.r.fail(v, field, `unsupported scheme "" for URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') this.r.fail(v, field, `unsupported scheme ${JSON.stringify(u.protocol.replace(':', ''))} for URL`);
    return s;
  }

  matcherList(v: MaybeNode, field: string): AmMatcher[] {
    const out: AmMatcher[] = [];
    for (const n of this.r.list(v, field, 'string')) {
      const s = this.r.str(n, field) ?? '';
      try {
        out.push(...parseMatchers(s));
      } catch (e) {
        this.r.fail(n, field, (e as Error).message);
      }
    }
    return out;
  }

  legacyMatch(v: MaybeNode, field: string, regex: boolean): AmMatcher[] {
    const out: AmMatcher[] = [];
    for (const [k, val, keyNode] of this.r.entries(v, field, 'map[string]string')) {
      if (!LABEL_NAME.test(k)) this.r.fail(keyNode, field, `invalid label name ${JSON.stringify(k)}`);
      const s = this.r.str(val, field) ?? '';
      try {
        out.push(makeMatcher(regex ? '=~' : '=', k, s));
      } catch (e) {
        this.r.fail(val, field, `error parsing regexp: ${(e as Error).message}`);
      }
    }
    return out;
  }

  route(node: MaybeNode, parent: RouteConfig | undefined): RouteConfig {
    const r = this.r;
    const rt: RouteConfig = parent
      ? { ...parent, matchers: [], continue: false, routes: [], muteTimeIntervals: [], activeTimeIntervals: [] }
      : { receiver: '', groupBy: [], groupByAll: false, groupWait: 30_000, groupInterval: 5 * 60_000, repeatInterval: 4 * 3600_000, matchers: [], continue: false, routes: [], muteTimeIntervals: [], activeTimeIntervals: [] };
    let childNodes: MaybeNode[] = [];
    let groupBySet = false;
    r.object(node, 'config.Route', 'route', {
      receiver: (v) => (rt.receiver = r.str(v, 'receiver') ?? ''),
      group_by: (v) => {
        groupBySet = true;
        const names = r.strings(v, 'group_by');
        rt.groupByAll = false;
        rt.groupBy = [];
        for (const n of names) {
          if (n === '...') {
            if (names.length > 1) r.fail(v, 'group_by', 'cannot have wildcard group_by (`...`) and other other labels at the same time');
            rt.groupByAll = true;
          } else {
            if (!LABEL_NAME.test(n)) r.fail(v, 'group_by', `invalid label name ${JSON.stringify(n)} in group_by list`);
            if (rt.groupBy.includes(n)) r.fail(v, 'group_by', `duplicated label ${JSON.stringify(n)} in group_by`);
            rt.groupBy.push(n);
          }
        }
      },
      group_wait: (v) => (rt.groupWait = r.duration(v, 'group_wait') ?? rt.groupWait),
      group_interval: (v) => {
        rt.groupInterval = r.duration(v, 'group_interval') ?? rt.groupInterval;
        if (rt.groupInterval === 0) r.fail(v, 'group_interval', 'group_interval cannot be zero');
      },
      repeat_interval: (v) => {
        rt.repeatInterval = r.duration(v, 'repeat_interval') ?? rt.repeatInterval;
        if (rt.repeatInterval === 0) r.fail(v, 'repeat_interval', 'repeat_interval cannot be zero');
      },
      matchers: (v) => rt.matchers.push(...this.matcherList(v, 'matchers')),
      match: (v) => rt.matchers.push(...this.legacyMatch(v, 'match', false)),
      match_re: (v) => rt.matchers.push(...this.legacyMatch(v, 'match_re', true)),
      continue: (v) => (rt.continue = r.bool(v, 'continue') ?? false),
      routes: (v) => (childNodes = r.list(v, 'routes', '*config.Route')),
      mute_time_intervals: (v) => (rt.muteTimeIntervals = r.strings(v, 'mute_time_intervals')),
      active_time_intervals: (v) => (rt.activeTimeIntervals = r.strings(v, 'active_time_intervals')),
    });
    if (!groupBySet && parent) {
      rt.groupBy = parent.groupBy;
      rt.groupByAll = parent.groupByAll;
    }
    rt.routes = childNodes.map((n) => this.route(n, rt));
    return rt;
  }

  inhibit(node: MaybeNode): InhibitRule {
    const r = this.r;
    const ir: InhibitRule = { sourceMatchers: [], targetMatchers: [], equal: [] };
    r.object(node, 'config.InhibitRule', 'inhibit_rules', {
      source_matchers: (v) => ir.sourceMatchers.push(...this.matcherList(v, 'source_matchers')),
      target_matchers: (v) => ir.targetMatchers.push(...this.matcherList(v, 'target_matchers')),
      source_match: (v) => ir.sourceMatchers.push(...this.legacyMatch(v, 'source_match', false)),
      source_match_re: (v) => ir.sourceMatchers.push(...this.legacyMatch(v, 'source_match_re', true)),
      target_match: (v) => ir.targetMatchers.push(...this.legacyMatch(v, 'target_match', false)),
      target_match_re: (v) => ir.targetMatchers.push(...this.legacyMatch(v, 'target_match_re', true)),
      equal: (v) => (ir.equal = r.strings(v, 'equal')),
    });
    return ir;
  }

  slack(node: MaybeNode, g: GlobalConfig): SlackConfig {
    const r = this.r;
    const s: SlackConfig = {
      sendResolved: false, apiUrl: '', channel: '', username: '{{ template "slack.default.username" . }}',
      color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}', title: '{{ template "slack.default.title" . }}',
      titleLink: '{{ template "slack.default.titlelink" . }}', pretext: '{{ template "slack.default.pretext" . }}',
      text: '{{ template "slack.default.text" . }}', fallback: '{{ template "slack.default.fallback" . }}',
      callbackId: '{{ template "slack.default.callbackid" . }}', iconEmoji: '{{ template "slack.default.iconemoji" . }}',
      iconUrl: '{{ template "slack.default.iconurl" . }}', footer: '{{ template "slack.default.footer" . }}', imageUrl: '', thumbUrl: '',
      linkNames: false, shortFields: false, mrkdwnIn: ['fallback', 'pretext', 'text'], fields: [], httpConfig: g.httpConfig,
    };
    const str = (f: string, set: (x: string) => void) => (v: MaybeNode) => set(r.str(v, f) ?? '');
    const ignore = () => undefined;
    r.object(node, 'config.SlackConfig', 'slack_configs', {
      send_resolved: (v) => (s.sendResolved = r.bool(v, 'send_resolved') ?? false),
      api_url: (v) => (s.apiUrl = this.url(v, 'api_url')),
      api_url_file: (v) => (s.apiUrl = readSecretFile(r, v, 'api_url_file')),
      channel: str('channel', (x) => (s.channel = x)), username: str('username', (x) => (s.username = x)),
      color: str('color', (x) => (s.color = x)), title: str('title', (x) => (s.title = x)), title_link: str('title_link', (x) => (s.titleLink = x)),
      pretext: str('pretext', (x) => (s.pretext = x)), text: str('text', (x) => (s.text = x)), fallback: str('fallback', (x) => (s.fallback = x)),
      callback_id: str('callback_id', (x) => (s.callbackId = x)), icon_emoji: str('icon_emoji', (x) => (s.iconEmoji = x)),
      icon_url: str('icon_url', (x) => (s.iconUrl = x)), footer: str('footer', (x) => (s.footer = x)),
      image_url: str('image_url', (x) => (s.imageUrl = x)), thumb_url: str('thumb_url', (x) => (s.thumbUrl = x)),
      link_names: (v) => (s.linkNames = r.bool(v, 'link_names') ?? false),
      short_fields: (v) => (s.shortFields = r.bool(v, 'short_fields') ?? false),
      mrkdwn_in: (v) => (s.mrkdwnIn = r.strings(v, 'mrkdwn_in')),
      fields: (v) => {
        for (const f of r.list(v, 'fields', '*config.SlackField')) {
          const fld: SlackField = { title: '', value: '' };
          r.object(f, 'config.SlackField', 'fields', {
            title: (x) => (fld.title = r.str(x, 'title') ?? ''),
            value: (x) => (fld.value = r.str(x, 'value') ?? ''),
            short: (x) => (fld.short = r.bool(x, 'short')),
          });
          if (fld.title === '') r.fail(f, 'fields', 'missing title in Slack field configuration');
          if (fld.value === '') r.fail(f, 'fields', 'missing value in Slack field configuration');
          s.fields.push(fld);
        }
      },
      actions: ignore,
      http_config: (v) => (s.httpConfig = this.httpConfig(v)),
    });
    if (s.apiUrl === '') s.apiUrl = g.slackApiUrl;
    if (s.apiUrl === '') r.fail(node, 'slack_configs', 'no global Slack API URL set either inline or in a file');
    return s;
  }

  webhook(node: MaybeNode, g: GlobalConfig): WebhookConfig {
    const r = this.r;
    const w: WebhookConfig = { sendResolved: true, url: '', maxAlerts: 0, httpConfig: g.httpConfig };
    r.object(node, 'config.WebhookConfig', 'webhook_configs', {
      send_resolved: (v) => (w.sendResolved = r.bool(v, 'send_resolved') ?? true),
      url: (v) => (w.url = this.url(v, 'url')),
      url_file: (v) => (w.url = readSecretFile(r, v, 'url_file')),
      max_alerts: (v) => (w.maxAlerts = r.uint(v, 'max_alerts') ?? 0),
      http_config: (v) => (w.httpConfig = this.httpConfig(v)),
    });
    if (w.url === '') r.fail(node, 'webhook_configs', 'one of url or url_file must be configured');
    return w;
  }

  email(node: MaybeNode, g: GlobalConfig): EmailConfig {
    const r = this.r;
    const e: EmailConfig = {
      sendResolved: false, to: '', from: g.smtpFrom, hello: g.smtpHello, smarthost: g.smtpSmarthost, authUsername: g.smtpAuthUsername,
      authPassword: g.smtpAuthPassword, authSecret: g.smtpAuthSecret, authIdentity: g.smtpAuthIdentity, headers: {},
      html: '{{ template "email.default.html" . }}', text: '', requireTls: g.smtpRequireTls, tlsInsecureSkipVerify: false,
    };
    const str = (f: string, set: (x: string) => void) => (v: MaybeNode) => set(r.str(v, f) ?? '');
    r.object(node, 'config.EmailConfig', 'email_configs', {
      send_resolved: (v) => (e.sendResolved = r.bool(v, 'send_resolved') ?? false),
      to: str('to', (x) => (e.to = x)), from: str('from', (x) => (e.from = x)), hello: str('hello', (x) => (e.hello = x)),
      smarthost: str('smarthost', (x) => (e.smarthost = x)), auth_username: str('auth_username', (x) => (e.authUsername = x)),
      auth_password: str('auth_password', (x) => (e.authPassword = x)),
      auth_password_file: (v) => (e.authPassword = readSecretFile(r, v, 'auth_password_file')),
      auth_secret: str('auth_secret', (x) => (e.authSecret = x)), auth_identity: str('auth_identity', (x) => (e.authIdentity = x)),
      headers: (v) => {
        for (const [k, val] of r.entries(v, 'headers', 'map[string]string')) {
          const canon = k.toLowerCase().replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
          if (Object.prototype.hasOwnProperty.call(e.headers, canon)) r.fail(v, 'headers', `duplicate header ${JSON.stringify(canon)} in email config`);
          e.headers[canon] = r.str(val, 'headers') ?? '';
        }
      },
      html: str('html', (x) => (e.html = x)), text: str('text', (x) => (e.text = x)),
      require_tls: (v) => (e.requireTls = r.bool(v, 'require_tls') ?? true),
      tls_config: (v) => {
        const t = (r.plain(v) ?? {}) as Record<string, unknown>;
        e.tlsInsecureSkipVerify = t.insecure_skip_verify === true;
      },
    });
    if (e.to === '') r.fail(node, 'email_configs', 'missing to address in email config');
    if (e.smarthost === '') r.fail(node, 'email_configs', 'no global SMTP smarthost set');
    if (e.from === '') r.fail(node, 'email_configs', 'no global SMTP from set');
    if (!/:\d+$/.test(e.smarthost)) r.fail(node, 'smarthost', `address ${e.smarthost}: missing port in address`);
    e.headers.Subject ??= '{{ template "email.default.subject" . }}';
    e.headers.To ??= e.to;
    e.headers.From ??= e.from;
    return e;
  }

  receiver(node: MaybeNode, g: GlobalConfig): ReceiverConfig {
    const r = this.r;
    const rc: ReceiverConfig = { name: '', slackConfigs: [], webhookConfigs: [], emailConfigs: [] };
    const handlers: Record<string, (v: MaybeNode) => void> = {
      name: (v) => (rc.name = r.str(v, 'name') ?? ''),
      slack_configs: (v) => (rc.slackConfigs = r.list(v, 'slack_configs', '*config.SlackConfig').map((n) => this.slack(n, g))),
      webhook_configs: (v) => (rc.webhookConfigs = r.list(v, 'webhook_configs', '*config.WebhookConfig').map((n) => this.webhook(n, g))),
      email_configs: (v) => (rc.emailConfigs = r.list(v, 'email_configs', '*config.EmailConfig').map((n) => this.email(n, g))),
    };
    for (const k of IGNORED_INTEGRATIONS) {
      handlers[k] = (v) => {
        if (r.list(v, k, 'config').length > 0) this.warnings.push(`receiver ${JSON.stringify(rc.name)}: ${k} are accepted but not sent by Sextant`);
      };
    }
    r.object(node, 'config.Receiver', 'receivers', handlers);
    if (rc.name === '') r.fail(node, 'name', 'missing name in receiver');
    return rc;
  }
}

function readSecretFile(r: YamlReader, v: MaybeNode, field: string): string {
  const path = r.str(v, field) ?? '';
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    return r.fail(v, field, `unable to read ${field} ${path}: ${(e as Error).message}`);
  }
}

function checkRoutes(r: YamlReader, root: MaybeNode, route: RouteConfig, receivers: Set<string>, intervals: Map<string, TimeInterval[]>): void {
  const walk = (rt: RouteConfig) => {
    if (rt.receiver !== '' && !receivers.has(rt.receiver)) r.fail(root, 'route', `undefined receiver ${JSON.stringify(rt.receiver)} used in route`);
    for (const n of [...rt.muteTimeIntervals, ...rt.activeTimeIntervals]) {
      if (!intervals.has(n)) r.fail(root, 'route', `undefined time interval ${JSON.stringify(n)} used in route`);
    }
    rt.routes.forEach(walk);
  };
  walk(route);
}

/** Parses Alertmanager YAML. `firstLine` offsets reported lines when the text is a section of a larger file. */
export function parseAlertmanagerConfig(text: string, file?: string, firstLine = 1): AlertmanagerConfig {
  const lineCounter = new LineCounter();
  const pad = '\n'.repeat(Math.max(0, firstLine - 1));
  const src = pad + text;
  const docs = parseAllDocuments(src, { lineCounter, version: '1.1', merge: true, prettyErrors: false, uniqueKeys: false });
  const doc = (Array.isArray(docs) ? docs[0] : undefined) ?? parseDocument('', { lineCounter: new LineCounter() });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    throw new ConfigError(`${file ?? '<alertmanager config>'}:${line}: yaml: ${e.message.split('\n')[0]}`, file, line, undefined);
  }
  const r = new YamlReader(file, doc, lineCounter);
  const root = r.resolve(doc.contents as Node | null);
  if (root && isScalar(root)) r.fail(root, undefined, `cannot unmarshal ${r.kind(root)} into config.plain`);
  const p = new AmParser(r);
  let global = p.global(null);
  let routeNode: MaybeNode;
  let inhibitNodes: MaybeNode[] = [];
  let receiverNodes: MaybeNode[] = [];
  const intervalNodes: MaybeNode[] = [];
  let templates: string[] = [];
  r.object(root, 'config.plain', '', {
    global: (v) => (global = p.global(v)),
    route: (v) => (routeNode = v),
    inhibit_rules: (v) => (inhibitNodes = r.list(v, 'inhibit_rules', '*config.InhibitRule')),
    receivers: (v) => (receiverNodes = r.list(v, 'receivers', '*config.Receiver')),
    templates: (v) => (templates = r.strings(v, 'templates')),
    time_intervals: (v) => intervalNodes.push(...r.list(v, 'time_intervals', 'config.TimeInterval')),
    mute_time_intervals: (v) => intervalNodes.push(...r.list(v, 'mute_time_intervals', 'config.MuteTimeInterval')),
  });
  if (!routeNode) r.fail(root, 'route', 'no routes provided');
  const receivers = receiverNodes.map((n) => p.receiver(n, global));
  const names = new Set<string>();
  for (let i = 0; i < receivers.length; i++) {
    if (names.has(receivers[i].name)) r.fail(receiverNodes[i], 'name', `notification config name ${JSON.stringify(receivers[i].name)} is not unique`);
    names.add(receivers[i].name);
  }
  const timeIntervals = new Map<string, TimeInterval[]>();
  for (const n of intervalNodes) {
    let name = '';
    let specs: TimeInterval[] = [];
    r.object(n, 'config.TimeInterval', 'time_intervals', {
      name: (v) => (name = r.str(v, 'name') ?? ''),
      time_intervals: (v) => (specs = r.list(v, 'time_intervals', 'timeinterval.TimeInterval').map((x) => parseTimeInterval(r, x))),
    });
    if (name === '') r.fail(n, 'name', 'missing name in time interval');
    if (timeIntervals.has(name)) r.fail(n, 'name', `time interval ${JSON.stringify(name)} is not unique`);
    timeIntervals.set(name, specs);
  }
  const route = p.route(routeNode, undefined);
  if (route.receiver === '') r.fail(routeNode, 'receiver', 'root route must specify a default receiver');
  if (route.matchers.length > 0) r.fail(routeNode, 'matchers', 'root route must not have any matchers');
  if (route.muteTimeIntervals.length > 0) r.fail(routeNode, 'mute_time_intervals', 'root route must not have any mute time intervals');
  if (route.activeTimeIntervals.length > 0) r.fail(routeNode, 'active_time_intervals', 'root route must not have any active time intervals');
  checkRoutes(r, routeNode, route, names, timeIntervals);
  const inhibitRules = inhibitNodes.map((n) => p.inhibit(n));
  const redacted = redactSecrets(r.plain(root) ?? {});
  return { global, route, inhibitRules, receivers, timeIntervals, templates, original: stringify(redacted), warnings: p.warnings };
}

export function loadAlertmanagerConfigFile(path: string): AlertmanagerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: ${(e as Error).message}`, path, undefined, undefined);
  }
  return parseAlertmanagerConfig(text, path);
}

/** The configuration used when none is given: everything to one receiver that sends nowhere. */
export function defaultAlertmanagerConfig(): AlertmanagerConfig {
  return parseAlertmanagerConfig('route:\n  receiver: default\nreceivers:\n  - name: default\n');
}
