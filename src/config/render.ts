/**
 * The effective configuration as YAML, the way Prometheus 2.42 shows it on /api/v1/status/config: defaults
 * filled in, fields in Prometheus's order, and secrets (passwords, credentials, bearer tokens, OAuth2 client
 * secrets) replaced by `<secret>`, so the page never leaks them.
 */
import { Document, YAMLSeq } from 'yaml';
import { formatDuration } from './duration.js';
import type {
  AlertmanagerConfig,
  FileSDConfig,
  HTTPClientConfig,
  PrometheusConfig,
  RelabelConfig,
  RemoteReadConfig,
  RemoteWriteConfig,
  ScrapeConfig,
  StaticConfig,
  TLSConfig,
} from './types.js';

const SECRET = '<secret>';
type Obj = Record<string, unknown>;

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  while (u < units.length - 1 && n % 1024 === 0 && n >= 1024) {
    n /= 1024;
    u++;
  }
  return `${n}${units[u]}`;
}

class Renderer {
  /** Paths print joined with the config file's directory, as Prometheus prints them after SetDirectory. */
  private path(p: string | undefined): string | undefined {
    return p;
  }

  relabel(r: RelabelConfig): Obj {
    const o: Obj = {};
    if (r.sourceLabels.length > 0) {
      const seq = new YAMLSeq();
      seq.items = [...r.sourceLabels];
      seq.flow = true;
      o.source_labels = seq;
    }
    if (r.separator !== '') o.separator = r.separator;
    if (r.regex !== '') o.regex = r.regex;
    if (r.modulus !== 0) o.modulus = r.modulus;
    if (r.targetLabel !== '') o.target_label = r.targetLabel;
    if (r.replacement !== '') o.replacement = r.replacement;
    o.action = r.action;
    return o;
  }

  tls(t: TLSConfig | undefined): Obj | undefined {
    if (!t) return undefined;
    const o: Obj = {};
    if (t.caFile) o.ca_file = this.path(t.caFile);
    if (t.certFile) o.cert_file = this.path(t.certFile);
    if (t.keyFile) o.key_file = this.path(t.keyFile);
    if (t.serverName) o.server_name = t.serverName;
    o.insecure_skip_verify = t.insecureSkipVerify;
    return t.caFile || t.certFile || t.keyFile || t.serverName || t.insecureSkipVerify ? o : undefined;
  }

  http(c: HTTPClientConfig): Obj {
    const o: Obj = {};
    if (c.basicAuth) {
      const b: Obj = { username: c.basicAuth.username };
      if (c.basicAuth.password) b.password = SECRET;
      if (c.basicAuth.passwordFile) b.password_file = this.path(c.basicAuth.passwordFile);
      o.basic_auth = b;
    }
    if (c.authorization) {
      const a: Obj = { type: c.authorization.type };
      if (c.authorization.credentials) a.credentials = SECRET;
      if (c.authorization.credentialsFile) a.credentials_file = this.path(c.authorization.credentialsFile);
      o.authorization = a;
    }
    if (c.oauth2) {
      const src = c.oauth2;
      const a: Obj = { client_id: src.client_id, client_secret: src.client_secret ? SECRET : '' };
      if (src.client_secret_file) a.client_secret_file = this.path(String(src.client_secret_file));
      if (src.scopes) a.scopes = src.scopes;
      a.token_url = src.token_url;
      if (src.endpoint_params) a.endpoint_params = src.endpoint_params;
      o.oauth2 = a;
    }
    if (c.proxyUrl) o.proxy_url = c.proxyUrl;
    const tls = this.tls(c.tlsConfig);
    if (tls) o.tls_config = tls;
    o.follow_redirects = c.followRedirects ?? true;
    o.enable_http2 = c.enableHttp2 ?? true;
    return o;
  }

  static(s: StaticConfig): Obj {
    const o: Obj = { targets: s.targets };
    if (Object.keys(s.labels).length > 0) o.labels = s.labels;
    return o;
  }

  fileSd(f: FileSDConfig): Obj {
    return { files: f.files.map((p) => this.path(p)), refresh_interval: formatDuration(f.refreshInterval) };
  }

  sd(c: { staticConfigs: StaticConfig[]; fileSdConfigs: FileSDConfig[]; otherSdConfigs?: Record<string, unknown[]> }, o: Obj): void {
    if (c.fileSdConfigs.length > 0) o.file_sd_configs = c.fileSdConfigs.map((f) => this.fileSd(f));
    for (const [k, v] of Object.entries(c.otherSdConfigs ?? {})) o[k] = v;
    if (c.staticConfigs.length > 0) o.static_configs = c.staticConfigs.map((s) => this.static(s));
  }

  scrape(sc: ScrapeConfig): Obj {
    const o: Obj = { job_name: sc.jobName };
    if (sc.honorLabels) o.honor_labels = true;
    o.honor_timestamps = sc.honorTimestamps;
    if (Object.keys(sc.params).length > 0) o.params = sc.params;
    o.scrape_interval = formatDuration(sc.scrapeInterval);
    o.scrape_timeout = formatDuration(sc.scrapeTimeout);
    o.metrics_path = sc.metricsPath;
    o.scheme = sc.scheme;
    if (sc.bodySizeLimit) o.body_size_limit = bytes(sc.bodySizeLimit);
    if (sc.sampleLimit) o.sample_limit = sc.sampleLimit;
    if (sc.targetLimit) o.target_limit = sc.targetLimit;
    if (sc.labelLimit) o.label_limit = sc.labelLimit;
    if (sc.labelNameLengthLimit) o.label_name_length_limit = sc.labelNameLengthLimit;
    if (sc.labelValueLengthLimit) o.label_value_length_limit = sc.labelValueLengthLimit;
    Object.assign(o, this.http(sc));
    if (sc.relabelConfigs.length > 0) o.relabel_configs = sc.relabelConfigs.map((r) => this.relabel(r));
    if (sc.metricRelabelConfigs.length > 0) o.metric_relabel_configs = sc.metricRelabelConfigs.map((r) => this.relabel(r));
    this.sd(sc, o);
    return o;
  }

  alertmanager(am: AlertmanagerConfig): Obj {
    const o: Obj = this.http(am);
    o.scheme = am.scheme;
    if (am.pathPrefix) o.path_prefix = am.pathPrefix;
    o.timeout = formatDuration(am.timeout);
    o.api_version = am.apiVersion;
    if (am.relabelConfigs.length > 0) o.relabel_configs = am.relabelConfigs.map((r) => this.relabel(r));
    this.sd(am, o);
    return o;
  }

  remoteWrite(rw: RemoteWriteConfig): Obj {
    const o: Obj = { url: rw.url, remote_timeout: formatDuration(rw.remoteTimeout) };
    if (Object.keys(rw.headers).length > 0) o.headers = rw.headers;
    if (rw.writeRelabelConfigs.length > 0) o.write_relabel_configs = rw.writeRelabelConfigs.map((r) => this.relabel(r));
    if (rw.name) o.name = rw.name;
    if (rw.sendExemplars) o.send_exemplars = true;
    if (rw.sendNativeHistograms) o.send_native_histograms = true;
    Object.assign(o, this.http(rw));
    const q = rw.queueConfig;
    const queue: Obj = {
      capacity: q.capacity,
      max_shards: q.maxShards,
      min_shards: q.minShards,
      max_samples_per_send: q.maxSamplesPerSend,
      batch_send_deadline: formatDuration(q.batchSendDeadline),
      min_backoff: formatDuration(q.minBackoff),
      max_backoff: formatDuration(q.maxBackoff),
    };
    if (q.retryOnRateLimit) queue.retry_on_http_429 = true;
    o.queue_config = queue;
    const m = rw.metadataConfig ?? { send: true, sendInterval: 60_000, maxSamplesPerSend: 500 };
    o.metadata_config = { send: m.send, send_interval: formatDuration(m.sendInterval), max_samples_per_send: m.maxSamplesPerSend };
    return o;
  }

  remoteRead(rr: RemoteReadConfig): Obj {
    const o: Obj = { url: rr.url, remote_timeout: formatDuration(rr.remoteTimeout) };
    if (Object.keys(rr.headers).length > 0) o.headers = rr.headers;
    if (rr.readRecent) o.read_recent = true;
    if (rr.name) o.name = rr.name;
    Object.assign(o, this.http(rr));
    if (Object.keys(rr.requiredMatchers).length > 0) o.required_matchers = rr.requiredMatchers;
    if (rr.filterExternalLabels) o.filter_external_labels = true;
    return o;
  }

  config(cfg: PrometheusConfig): Obj {
    const g = cfg.global;
    const global: Obj = {
      scrape_interval: formatDuration(g.scrapeInterval),
      scrape_timeout: formatDuration(g.scrapeTimeout),
      evaluation_interval: formatDuration(g.evaluationInterval),
    };
    if (g.queryLogFile) global.query_log_file = this.path(g.queryLogFile);
    if (Object.keys(g.externalLabels).length > 0) global.external_labels = g.externalLabels;
    const o: Obj = { global };
    const alerting: Obj = {};
    if (cfg.alerting.alertRelabelConfigs.length > 0) alerting.alert_relabel_configs = cfg.alerting.alertRelabelConfigs.map((r) => this.relabel(r));
    if (cfg.alerting.alertmanagers.length > 0) alerting.alertmanagers = cfg.alerting.alertmanagers.map((a) => this.alertmanager(a));
    if (Object.keys(alerting).length > 0) o.alerting = alerting;
    if (cfg.ruleFiles.length > 0) o.rule_files = cfg.ruleFiles.map((p) => this.path(p));
    if (cfg.scrapeConfigs.length > 0) o.scrape_configs = cfg.scrapeConfigs.map((s) => this.scrape(s));
    if (cfg.storage && Object.keys(cfg.storage).length > 0) o.storage = cfg.storage;
    if (cfg.tracing && Object.keys(cfg.tracing).length > 0) o.tracing = redactTracing(cfg.tracing);
    if (cfg.remoteWrite.length > 0) o.remote_write = cfg.remoteWrite.map((rw) => this.remoteWrite(rw));
    if (cfg.remoteRead && cfg.remoteRead.length > 0) o.remote_read = cfg.remoteRead.map((rr) => this.remoteRead(rr));
    return o;
  }
}

function redactTracing(o: Record<string, unknown>): Obj {
  return { ...o };
}

/** Renders the effective configuration as Prometheus shows it on /api/v1/status/config. */
export function renderConfigYaml(cfg: PrometheusConfig): string {
  const doc = new Document(new Renderer().config(cfg));
  return doc.toString({ indentSeq: false, lineWidth: 0, flowCollectionPadding: false });
}
