/**
 * The Prometheus configuration file, as Sextant understands it after parsing and applying defaults.
 * Durations are milliseconds. Field names follow the YAML where practical, in camelCase.
 */

export type RelabelAction =
  | 'replace'
  | 'keep'
  | 'drop'
  | 'keepequal'
  | 'dropequal'
  | 'hashmod'
  | 'labelmap'
  | 'labeldrop'
  | 'labelkeep'
  | 'lowercase'
  | 'uppercase';

export interface RelabelConfig {
  sourceLabels: string[];
  separator: string; // default ';'
  regex: string; // default '(.*)', anchored when applied
  modulus: number; // hashmod only
  targetLabel: string;
  replacement: string; // default '$1'
  action: RelabelAction; // default 'replace'
}

export interface BasicAuth {
  username: string;
  password?: string;
  passwordFile?: string;
}

export interface TLSConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify: boolean;
}

/** The `authorization` block; `bearer_token(_file)` is also mirrored here as type Bearer, as Prometheus does. */
export interface AuthorizationConfig {
  type: string; // default 'Bearer'
  credentials?: string;
  credentialsFile?: string;
}

/** What an outgoing HTTP client needs (scrape, remote_write, alertmanager). */
export interface HTTPClientConfig {
  basicAuth?: BasicAuth;
  bearerToken?: string;
  bearerTokenFile?: string;
  tlsConfig?: TLSConfig;
  authorization?: AuthorizationConfig;
  /** oauth2 block as written (snake_case keys); used by remote_write (client credentials), ignored for scrapes and Alertmanagers. */
  oauth2?: Record<string, unknown>;
  proxyUrl?: string;
  followRedirects?: boolean; // default true
  enableHttp2?: boolean; // default true
}

export interface StaticConfig {
  targets: string[];
  labels: Record<string, string>;
}

export interface FileSDConfig {
  files: string[]; // globs, resolved relative to the config file's directory
  refreshInterval: number; // default 5m
}

export interface ScrapeConfig extends HTTPClientConfig {
  jobName: string;
  scrapeInterval: number;
  scrapeTimeout: number;
  metricsPath: string; // default /metrics
  scheme: 'http' | 'https';
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean; // default true
  sampleLimit: number; // 0 = none
  staticConfigs: StaticConfig[];
  fileSdConfigs: FileSDConfig[];
  relabelConfigs: RelabelConfig[];
  metricRelabelConfigs: RelabelConfig[];
  /** Limits Prometheus 2.42 knows; 0 = none. Parsed but not necessarily enforced. */
  targetLimit?: number;
  labelLimit?: number;
  labelNameLengthLimit?: number;
  labelValueLengthLimit?: number;
  bodySizeLimit?: number; // bytes
  /** Service discovery blocks Sextant accepts but does not run yet (kubernetes_sd_configs, ...), as written. */
  otherSdConfigs?: Record<string, unknown[]>;
}

export interface QueueConfig {
  capacity: number;
  maxShards: number;
  minShards: number;
  maxSamplesPerSend: number;
  batchSendDeadline: number;
  minBackoff: number;
  maxBackoff: number;
  retryOnRateLimit?: boolean; // retry_on_http_429
}

export interface MetadataConfig {
  send: boolean; // default true
  sendInterval: number; // default 1m
  maxSamplesPerSend: number; // default 500
}

export interface RemoteWriteConfig extends HTTPClientConfig {
  url: string;
  name: string;
  remoteTimeout: number;
  headers: Record<string, string>;
  writeRelabelConfigs: RelabelConfig[];
  queueConfig: QueueConfig;
  sendExemplars?: boolean;
  sendNativeHistograms?: boolean;
  metadataConfig?: MetadataConfig;
}

export interface RemoteReadConfig extends HTTPClientConfig {
  url: string;
  name: string;
  remoteTimeout: number; // default 1m
  headers: Record<string, string>;
  readRecent: boolean;
  requiredMatchers: Record<string, string>;
  filterExternalLabels: boolean; // default true
}

export interface AlertmanagerConfig extends HTTPClientConfig {
  scheme: 'http' | 'https';
  pathPrefix: string;
  timeout: number;
  apiVersion: 'v2';
  staticConfigs: StaticConfig[];
  fileSdConfigs: FileSDConfig[];
  relabelConfigs: RelabelConfig[];
  otherSdConfigs?: Record<string, unknown[]>;
}

export interface GlobalConfig {
  scrapeInterval: number; // default 1m
  scrapeTimeout: number; // default 10s
  evaluationInterval: number; // default 1m
  externalLabels: Record<string, string>;
  queryLogFile?: string;
}

export interface PrometheusConfig {
  global: GlobalConfig;
  scrapeConfigs: ScrapeConfig[];
  ruleFiles: string[]; // globs, resolved relative to the config file's directory
  alerting: {
    alertRelabelConfigs: RelabelConfig[];
    alertmanagers: AlertmanagerConfig[];
  };
  remoteWrite: RemoteWriteConfig[];
  /** Accepted and validated; Sextant does not query remote_read endpoints. */
  remoteRead?: RemoteReadConfig[];
  /** Sections Sextant accepts but does not act on yet, as written (snake_case keys). */
  storage?: Record<string, unknown>;
  tracing?: Record<string, unknown>;
  /** Sextant extension: the built-in Alertmanager's configuration inline (YAML text of the section, first line). */
  alertmanagerConfig?: { text: string; line: number };
  /** Sextant extension: the built-in Alertmanager's configuration file (resolved against the config's directory). */
  alertmanagerConfigFile?: string;
  /** The file it was read from (absolute), or undefined for the built-in default. */
  sourceFile?: string;
  /** The original YAML text, for /api/v1/status/config. */
  original: string;
}

/** A config error that names where it is. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string | undefined,
    readonly line: number | undefined,
    readonly field: string | undefined,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
