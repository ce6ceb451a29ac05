/**
 * Parses prometheus.yml with Prometheus 2.42's rules: strict fields, its defaults, its validation
 * messages, and relative paths resolved against the config file's directory. A pure function of
 * (text, file) so reloads can compare and swap configs safely.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseAllDocuments, parseDocument, isScalar, type Node } from 'yaml';
import { isValidLabelName } from '../model/labels.js';
import { compileAnchoredRe2 } from '../model/relabel.js';
import { YamlReader, type MaybeNode, type FieldHandler } from './yaml-reader.js';
import {
  ConfigError,
  type AlertmanagerConfig,
  type AuthorizationConfig,
  type BasicAuth,
  type FileSDConfig,
  type GlobalConfig,
  type HTTPClientConfig,
  type PrometheusConfig,
  type QueueConfig,
  type RelabelAction,
  type RelabelConfig,
  type RemoteReadConfig,
  type RemoteWriteConfig,
  type ScrapeConfig,
  type StaticConfig,
  type TLSConfig,
} from './types.js';

const DEFAULT_GLOBAL = { scrapeInterval: 60_000, scrapeTimeout: 10_000, evaluationInterval: 60_000 };
export const DEFAULT_QUEUE_CONFIG: QueueConfig = {
  capacity: 2500,
  maxShards: 200,
  minShards: 1,
  maxSamplesPerSend: 500,
  batchSendDeadline: 5000,
  minBackoff: 30,
  maxBackoff: 5000,
};
const DEFAULT_FILE_SD_REFRESH = 5 * 60_000;

/** Service discovery mechanisms Prometheus 2.42 ships; Sextant runs static and file, and keeps the rest as written. */
const OTHER_SD = [
  'azure', 'consul', 'digitalocean', 'dns', 'docker', 'dockerswarm', 'ec2', 'eureka', 'gce', 'hetzner', 'http',
  'ionos', 'kubernetes', 'kuma', 'lightsail', 'linode', 'marathon', 'nerve', 'nomad', 'openstack', 'ovhcloud',
  'puppetdb', 'scaleway', 'serverset', 'triton', 'uyuni', 'vultr',
];
/** Fields of the other SD mechanisms most used with Prometheus, so misspellings there are errors too. */
const SD_FIELDS: Record<string, { type: string; fields: string[]; http: boolean }> = {
  dns: { type: 'dns.SDConfig', fields: ['names', 'refresh_interval', 'type', 'port'], http: false },
  http: { type: 'http.SDConfig', fields: ['refresh_interval', 'url'], http: true },
  consul: {
    type: 'consul.SDConfig',
    fields: ['server', 'token', 'datacenter', 'namespace', 'partition', 'tag_separator', 'scheme', 'username', 'password', 'allow_stale', 'refresh_interval', 'services', 'tags', 'node_meta'],
    http: true,
  },
  ec2: { type: 'aws.EC2SDConfig', fields: ['endpoint', 'region', 'access_key', 'secret_key', 'profile', 'role_arn', 'refresh_interval', 'port', 'filters'], http: true },
  lightsail: { type: 'aws.LightsailSDConfig', fields: ['endpoint', 'region', 'access_key', 'secret_key', 'profile', 'role_arn', 'refresh_interval', 'port'], http: true },
  docker: { type: 'moby.DockerSDConfig', fields: ['host', 'port', 'filters', 'host_networking_host', 'refresh_interval'], http: true },
  dockerswarm: { type: 'moby.DockerSwarmSDConfig', fields: ['host', 'role', 'port', 'filters', 'refresh_interval'], http: true },
};
const KUBERNETES_ROLES = new Set(['pod', 'service', 'endpoints', 'endpointslice', 'node', 'ingress']);

const RULE_PATH_RE = /^[^*]*(\*[^/]*)?$/;
const FILE_SD_NAME_RE = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;
const RELABEL_TARGET_RE = /^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$/;
const RESERVED_HEADERS = new Set([
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

class Parser {
  constructor(
    private readonly r: YamlReader,
    private readonly dir: string | undefined,
  ) {}

  /** Prometheus's config.JoinDir: absolute or empty paths stay, relative ones join the config directory. */
  private path(p: string): string;
  private path(p: string | undefined): string | undefined;
  private path(p: string | undefined): string | undefined {
    if (p === undefined || p === '' || isAbsolute(p) || this.dir === undefined) return p;
    return join(this.dir, p);
  }

  config(root: MaybeNode, original: string, file: string | undefined): PrometheusConfig {
    const r: YamlReader = this.r;
    let global: GlobalConfig = { ...DEFAULT_GLOBAL, externalLabels: {} };
    let scrapeNodes: MaybeNode[] = [];
    const cfg: PrometheusConfig = {
      global,
      scrapeConfigs: [],
      ruleFiles: [],
      alerting: { alertRelabelConfigs: [], alertmanagers: [] },
      remoteWrite: [],
      original,
      sourceFile: file !== undefined ? resolve(file) : undefined,
    };
    let ruleFileNodes: MaybeNode[] = [];
    r.object(root, 'config.Config', '', {
      global: (v) => (global = this.global(v)),
      scrape_configs: (v) => (scrapeNodes = r.list(v, 'scrape_configs', '*config.ScrapeConfig')),
      rule_files: (v) => {
        ruleFileNodes = r.list(v, 'rule_files', 'string');
      },
      alerting: (v) => (cfg.alerting = this.alerting(v)),
      remote_write: (v) => {
        const names = new Set<string>();
        for (const n of r.list(v, 'remote_write', '*config.RemoteWriteConfig')) {
          if (!n) r.fail(v, 'remote_write', 'empty or null remote write config section');
          const rw = this.remoteWrite(n);
          if (rw.name !== '' && names.has(rw.name)) {
            r.fail(n, 'name', `found multiple remote write configs with job name ${JSON.stringify(rw.name)}`);
          }
          names.add(rw.name);
          cfg.remoteWrite.push(rw);
        }
      },
      remote_read: (v) => {
        cfg.remoteRead = [];
        const names = new Set<string>();
        for (const n of r.list(v, 'remote_read', '*config.RemoteReadConfig')) {
          if (!n) r.fail(v, 'remote_read', 'empty or null remote read config section');
          const rr = this.remoteRead(n);
          if (rr.name !== '' && names.has(rr.name)) {
            r.fail(n, 'name', `found multiple remote read configs with job name ${JSON.stringify(rr.name)}`);
          }
          names.add(rr.name);
          cfg.remoteRead.push(rr);
        }
      },
      storage: (v) => (cfg.storage = this.storage(v)),
      tracing: (v) => (cfg.tracing = this.tracing(v)),
      alertmanager_config: (v) => {
        const n = r.resolve(v);
        if (!n || !n.range) return;
        // Keep the section's own text (re-indented to its column) so the Alertmanager parser reports real lines.
        const start = n.range[0];
        const col = start - (original.lastIndexOf('\n', start - 1) + 1);
        cfg.alertmanagerConfig = { text: ' '.repeat(col) + original.slice(start, n.range[2]), line: r.line(n) ?? 1 };
      },
      alertmanager_config_file: (v) => (cfg.alertmanagerConfigFile = this.path(r.str(v, 'alertmanager_config_file'))),
    });
    cfg.global = global;
    for (const n of ruleFileNodes) {
      const rf = r.str(n, 'rule_files') ?? '';
      if (!RULE_PATH_RE.test(rf)) r.fail(n, 'rule_files', `invalid rule file path ${JSON.stringify(rf)}`);
      cfg.ruleFiles.push(this.path(rf));
    }
    const jobs = new Set<string>();
    for (const n of scrapeNodes) {
      if (!n) r.fail(root, 'scrape_configs', 'empty or null scrape config section');
      const sc = this.scrapeConfig(n, global);
      if (jobs.has(sc.jobName)) {
        r.fail(n, 'job_name', `found multiple scrape configs with job name ${JSON.stringify(sc.jobName)}`);
      }
      jobs.add(sc.jobName);
      cfg.scrapeConfigs.push(sc);
    }
    return cfg;
  }

  private global(node: MaybeNode): GlobalConfig {
    const r: YamlReader = this.r;
    let scrapeInterval = 0;
    let scrapeTimeout = 0;
    let evaluationInterval = 0;
    let externalLabels: Record<string, string> = {};
    let queryLogFile: string | undefined;
    r.object(node, 'config.GlobalConfig', 'global', {
      scrape_interval: (v) => (scrapeInterval = r.duration(v, 'scrape_interval') ?? 0),
      scrape_timeout: (v) => (scrapeTimeout = r.duration(v, 'scrape_timeout') ?? 0),
      evaluation_interval: (v) => (evaluationInterval = r.duration(v, 'evaluation_interval') ?? 0),
      query_log_file: (v) => (queryLogFile = r.str(v, 'query_log_file')),
      external_labels: (v) => (externalLabels = this.labelSet(v, 'external_labels')),
    });
    if (scrapeInterval === 0) scrapeInterval = DEFAULT_GLOBAL.scrapeInterval;
    if (scrapeTimeout > scrapeInterval) r.fail(node, 'scrape_timeout', 'global scrape timeout greater than scrape interval');
    if (scrapeTimeout === 0) scrapeTimeout = Math.min(DEFAULT_GLOBAL.scrapeTimeout, scrapeInterval);
    if (evaluationInterval === 0) evaluationInterval = DEFAULT_GLOBAL.evaluationInterval;
    const g: GlobalConfig = { scrapeInterval, scrapeTimeout, evaluationInterval, externalLabels };
    if (queryLogFile) g.queryLogFile = this.path(queryLogFile);
    return g;
  }

  /** A model.LabelSet: valid label names, any UTF-8 value. */
  private labelSet(node: MaybeNode, field: string): Record<string, string> {
    const r: YamlReader = this.r;
    const out: Record<string, string> = {};
    for (const [k, v, key] of r.entries(node, field, 'model.LabelSet')) {
      if (!isValidLabelName(k)) r.fail(key, field, `${JSON.stringify(k)} is not a valid label name`);
      out[k] = r.str(v, field) ?? '';
    }
    return out;
  }

  private labelName(node: MaybeNode, field: string): string {
    const s = this.r.str(node, field) ?? '';
    if (!isValidLabelName(s)) this.r.fail(node, field, `${JSON.stringify(s)} is not a valid label name`);
    return s;
  }

  private scrapeConfig(node: Node, global: GlobalConfig): ScrapeConfig {
    const r: YamlReader = this.r;
    const sc: ScrapeConfig = {
      jobName: '',
      scrapeInterval: 0,
      scrapeTimeout: 0,
      metricsPath: '/metrics',
      scheme: 'http',
      params: {},
      honorLabels: false,
      honorTimestamps: true,
      sampleLimit: 0,
      staticConfigs: [],
      fileSdConfigs: [],
      relabelConfigs: [],
      metricRelabelConfigs: [],
      followRedirects: true,
      enableHttp2: true,
    };
    let relabelNode: MaybeNode;
    const handlers: Record<string, FieldHandler> = {
      job_name: (v) => (sc.jobName = r.str(v, 'job_name') ?? ''),
      honor_labels: (v) => (sc.honorLabels = r.bool(v, 'honor_labels') ?? false),
      honor_timestamps: (v) => (sc.honorTimestamps = r.bool(v, 'honor_timestamps') ?? false),
      params: (v) => {
        for (const [k, vals] of r.entries(v, 'params', 'url.Values')) sc.params[k] = r.strings(vals, 'params');
      },
      scrape_interval: (v) => (sc.scrapeInterval = r.duration(v, 'scrape_interval') ?? 0),
      scrape_timeout: (v) => (sc.scrapeTimeout = r.duration(v, 'scrape_timeout') ?? 0),
      metrics_path: (v) => (sc.metricsPath = r.str(v, 'metrics_path') || '/metrics'),
      scheme: (v) => {
        const s = r.str(v, 'scheme') ?? '';
        if (s === '') return;
        // Prometheus accepts any scheme here; scrapes with other schemes fail at scrape time.
        sc.scheme = s as 'http' | 'https';
      },
      body_size_limit: (v) => (sc.bodySizeLimit = this.base2Bytes(v, 'body_size_limit')),
      sample_limit: (v) => (sc.sampleLimit = r.uint(v, 'sample_limit') ?? 0),
      target_limit: (v) => (sc.targetLimit = r.uint(v, 'target_limit') ?? 0),
      label_limit: (v) => (sc.labelLimit = r.uint(v, 'label_limit') ?? 0),
      label_name_length_limit: (v) => (sc.labelNameLengthLimit = r.uint(v, 'label_name_length_limit') ?? 0),
      label_value_length_limit: (v) => (sc.labelValueLengthLimit = r.uint(v, 'label_value_length_limit') ?? 0),
      relabel_configs: (v) => {
        relabelNode = v;
        sc.relabelConfigs = this.relabelConfigs(v, 'relabel_configs', 'empty or null target relabeling rule in scrape config');
      },
      metric_relabel_configs: (v) =>
        (sc.metricRelabelConfigs = this.relabelConfigs(v, 'metric_relabel_configs', 'empty or null metric relabeling rule in scrape config')),
      ...this.sdHandlers(sc),
      ...this.httpClientHandlers(sc),
    };
    r.object(node, 'config.ScrapeConfig', 'scrape_configs', handlers);
    if (sc.jobName === '') r.fail(node, 'job_name', 'job_name is empty');
    this.validateHttpClient(node, sc);
    if (!relabelNode || sc.relabelConfigs.length === 0) this.checkStaticTargets(node, sc.staticConfigs);
    if (sc.scrapeInterval === 0) sc.scrapeInterval = global.scrapeInterval;
    if (sc.scrapeTimeout > sc.scrapeInterval) {
      r.fail(node, 'scrape_timeout', `scrape timeout greater than scrape interval for scrape config with job name ${JSON.stringify(sc.jobName)}`);
    }
    if (sc.scrapeTimeout === 0) sc.scrapeTimeout = Math.min(global.scrapeTimeout, sc.scrapeInterval);
    return sc;
  }

  /** units.Base2Bytes as Prometheus reads body_size_limit: `10MB`, `1KiB`, `512B`, bare 0. */
  private base2Bytes(node: MaybeNode, field: string): number {
    const s = this.r.str(node, field) ?? '';
    if (s === '' || s === '0') return 0;
    const m = /^(\d+)(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB|PB|PiB|EB|EiB)$/.exec(s);
    if (!m) return this.r.fail(node, field, `${field}: units: unknown unit in ${s}`);
    const exp = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 }[m[2][0] as 'B'];
    return Number(m[1]) * 1024 ** exp;
  }

  private checkStaticTargets(node: Node, statics: StaticConfig[]): void {
    for (const s of statics) {
      for (const t of s.targets) {
        if (t.includes('/')) this.r.fail(node, 'static_configs', `${JSON.stringify(t)} is not a valid hostname`);
      }
    }
  }

  /** static_configs, file_sd_configs and the other `*_sd_configs`, which Prometheus inlines into the parent. */
  private sdHandlers(target: { staticConfigs: StaticConfig[]; fileSdConfigs: FileSDConfig[]; otherSdConfigs?: Record<string, unknown[]> }): Record<string, FieldHandler> {
    const r: YamlReader = this.r;
    const handlers: Record<string, FieldHandler> = {
      static_configs: (v) => {
        for (const n of r.list(v, 'static_configs', '*targetgroup.Group')) {
          if (!n) r.fail(v, 'static_configs', 'empty or null section in static_configs');
          target.staticConfigs.push(this.staticConfig(n));
        }
      },
      file_sd_configs: (v) => {
        for (const n of r.list(v, 'file_sd_configs', '*file.SDConfig')) {
          if (!n) r.fail(v, 'file_sd_configs', 'empty or null section in file_sd_configs');
          target.fileSdConfigs.push(this.fileSdConfig(n));
        }
      },
    };
    for (const name of OTHER_SD) {
      const field = `${name}_sd_configs`;
      handlers[field] = (v) => {
        const items = r.list(v, field, `*${name}.SDConfig`);
        for (const n of items) {
          if (!n) r.fail(v, field, `empty or null section in ${field}`);
          const known = SD_FIELDS[name];
          if (name === 'kubernetes') this.checkKubernetesSd(n);
          else if (known) this.checkSdFields(n, field, known);
          else r.entries(n, field, `${name}.SDConfig`);
        }
        target.otherSdConfigs ??= {};
        target.otherSdConfigs[field] = items.map((n) => r.plain(n));
      };
    }
    return handlers;
  }

  private checkSdFields(node: Node, field: string, known: { type: string; fields: string[]; http: boolean }): void {
    const handlers: Record<string, FieldHandler> = {};
    for (const f of known.fields) handlers[f] = () => undefined;
    const holder: HTTPClientConfig = {};
    if (known.http) Object.assign(handlers, this.httpClientHandlers(holder));
    this.r.object(node, known.type, field, handlers);
    if (known.http) this.validateHttpClient(node, holder);
  }

  private checkKubernetesSd(node: Node): void {
    const r: YamlReader = this.r;
    let role = '';
    const holder: HTTPClientConfig = {};
    r.object(node, 'kubernetes.SDConfig', 'kubernetes_sd_configs', {
      api_server: (v) => r.str(v, 'api_server'),
      role: (v) => (role = r.str(v, 'role') ?? ''),
      kubeconfig_file: (v) => r.str(v, 'kubeconfig_file'),
      namespaces: (v) =>
        r.object(v, 'kubernetes.NamespaceDiscovery', 'namespaces', {
          own_namespace: (x) => r.bool(x, 'own_namespace'),
          names: (x) => r.strings(x, 'names'),
        }),
      selectors: (v) => {
        for (const s of r.list(v, 'selectors', 'kubernetes.SelectorConfig')) {
          r.object(s, 'kubernetes.SelectorConfig', 'selectors', {
            role: (x) => r.str(x, 'role'),
            label: (x) => r.str(x, 'label'),
            field: (x) => r.str(x, 'field'),
          });
        }
      },
      attach_metadata: (v) => r.object(v, 'kubernetes.AttachMetadataConfig', 'attach_metadata', { node: (x) => r.bool(x, 'node') }),
      ...this.httpClientHandlers(holder),
    });
    if (role === '') r.fail(node, 'role', 'role missing (one of: pod, service, endpoints, endpointslice, node, ingress)');
    if (!KUBERNETES_ROLES.has(role)) r.fail(node, 'role', `unknown Kubernetes SD role ${JSON.stringify(role)}`);
    this.validateHttpClient(node, holder);
  }

  private staticConfig(node: Node): StaticConfig {
    const r: YamlReader = this.r;
    const sc: StaticConfig = { targets: [], labels: {} };
    r.object(node, 'targetgroup.Group', 'static_configs', {
      targets: (v) => (sc.targets = r.strings(v, 'targets')),
      labels: (v) => (sc.labels = this.labelSet(v, 'labels')),
    });
    return sc;
  }

  private fileSdConfig(node: Node): FileSDConfig {
    const r: YamlReader = this.r;
    const fc: FileSDConfig = { files: [], refreshInterval: DEFAULT_FILE_SD_REFRESH };
    let fileNodes: MaybeNode[] = [];
    r.object(node, 'file.SDConfig', 'file_sd_configs', {
      files: (v) => (fileNodes = r.list(v, 'files', 'string')),
      refresh_interval: (v) => (fc.refreshInterval = r.duration(v, 'refresh_interval') ?? DEFAULT_FILE_SD_REFRESH),
    });
    if (fileNodes.length === 0) r.fail(node, 'files', 'file service discovery config must contain at least one path name');
    for (const n of fileNodes) {
      const name = r.str(n, 'files') ?? '';
      if (!FILE_SD_NAME_RE.test(name)) r.fail(n, 'files', `path name ${JSON.stringify(name)} is not valid for file discovery`);
      fc.files.push(this.path(name));
    }
    return fc;
  }

  private relabelConfigs(node: MaybeNode, field: string, nullMessage: string): RelabelConfig[] {
    const r: YamlReader = this.r;
    return r.list(node, field, '*relabel.Config').map((n) => {
      if (!n) return r.fail(node, field, nullMessage);
      return this.relabelConfig(n, field);
    });
  }

  private relabelConfig(node: Node, field: string): RelabelConfig {
    const r: YamlReader = this.r;
    const rc: RelabelConfig = {
      sourceLabels: [],
      separator: ';',
      regex: '(.*)',
      modulus: 0,
      targetLabel: '',
      replacement: '$1',
      action: 'replace',
    };
    let hasSourceLabels = false;
    let actionNode: MaybeNode = node;
    const isDefault = { separator: true, regex: true, replacement: true };
    r.object(node, 'relabel.Config', field, {
      source_labels: (v) => {
        hasSourceLabels = v !== null && v !== undefined;
        rc.sourceLabels = r.list(v, 'source_labels', 'model.LabelName').map((x) => this.labelName(x, 'source_labels'));
      },
      // A null value is Go's zero value (""), not the default, as yaml.v2 decodes it.
      separator: (v) => {
        rc.separator = r.str(v, 'separator') ?? '';
        isDefault.separator = rc.separator === ';';
      },
      regex: (v) => {
        const s = r.str(v, 'regex');
        // An explicit empty or null regex is the empty pattern, not the default `(.*)`.
        rc.regex = s ?? '';
        isDefault.regex = rc.regex === '(.*)';
        try {
          compileAnchoredRe2(rc.regex);
        } catch (e) {
          r.fail(v ?? node, 'regex', `regex: ${(e as Error).message}`);
        }
      },
      modulus: (v) => (rc.modulus = r.uint(v, 'modulus') ?? 0),
      target_label: (v) => (rc.targetLabel = r.str(v, 'target_label') ?? ''),
      replacement: (v) => {
        rc.replacement = r.str(v, 'replacement') ?? '';
        isDefault.replacement = rc.replacement === '$1';
      },
      action: (v) => {
        actionNode = v ?? node;
        const s = r.str(v, 'action');
        if (s === undefined) return;
        const a = s.toLowerCase();
        const known: RelabelAction[] = ['replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod', 'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase'];
        if (!known.includes(a as RelabelAction)) r.fail(v, 'action', `unknown relabel action ${JSON.stringify(s)}`);
        rc.action = a as RelabelAction;
      },
    });
    const a = rc.action;
    const fail = (f: string, msg: string): never => r.fail(f === 'action' ? actionNode : node, f, msg);
    if (rc.modulus === 0 && a === 'hashmod') fail('modulus', 'relabel configuration for hashmod requires non-zero modulus');
    const needsTarget = a === 'replace' || a === 'hashmod' || a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal';
    if (needsTarget && rc.targetLabel === '') fail('target_label', `relabel configuration for ${a} action requires 'target_label' value`);
    const lcEq = a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal';
    if ((a === 'replace' || lcEq) && !RELABEL_TARGET_RE.test(rc.targetLabel)) {
      fail('target_label', `${JSON.stringify(rc.targetLabel)} is invalid 'target_label' for ${a} action`);
    }
    if (lcEq && !isDefault.replacement) fail('replacement', `'replacement' can not be set for ${a} action`);
    if (a === 'labelmap' && !RELABEL_TARGET_RE.test(rc.replacement)) {
      fail('replacement', `${JSON.stringify(rc.replacement)} is invalid 'replacement' for ${a} action`);
    }
    if (a === 'hashmod' && !isValidLabelName(rc.targetLabel)) {
      fail('target_label', `${JSON.stringify(rc.targetLabel)} is invalid 'target_label' for ${a} action`);
    }
    if ((a === 'dropequal' || a === 'keepequal') && (!isDefault.regex || rc.modulus !== 0 || !isDefault.separator || !isDefault.replacement)) {
      fail('action', `${a} action requires only 'source_labels' and \`target_label\`, and no other fields`);
    }
    if (
      (a === 'labeldrop' || a === 'labelkeep') &&
      (hasSourceLabels || rc.targetLabel !== '' || rc.modulus !== 0 || !isDefault.separator || !isDefault.replacement)
    ) {
      fail('action', `${a} action requires only 'regex', and no other fields`);
    }
    return rc;
  }

  private httpClientHandlers(c: HTTPClientConfig): Record<string, FieldHandler> {
    const r: YamlReader = this.r;
    return {
      basic_auth: (v) => (c.basicAuth = v ? this.basicAuth(v) : undefined),
      authorization: (v) => (c.authorization = v ? this.authorization(v) : undefined),
      oauth2: (v) => (c.oauth2 = v ? this.oauth2(v) : undefined),
      bearer_token: (v) => (c.bearerToken = r.str(v, 'bearer_token') || undefined),
      bearer_token_file: (v) => (c.bearerTokenFile = this.path(r.str(v, 'bearer_token_file') || undefined)),
      proxy_url: (v) => (c.proxyUrl = this.url(v, 'proxy_url')),
      proxy_connect_header: (v) => {
        for (const [, vals] of r.entries(v, 'proxy_connect_header', 'config.Header')) r.strings(vals, 'proxy_connect_header');
        (c as { proxyConnectHeader?: unknown }).proxyConnectHeader = r.plain(v);
      },
      tls_config: (v) => (c.tlsConfig = this.tlsConfig(v)),
      follow_redirects: (v) => (c.followRedirects = r.bool(v, 'follow_redirects') ?? false),
      enable_http2: (v) => (c.enableHttp2 = r.bool(v, 'enable_http2') ?? false),
    };
  }

  /** common/config HTTPClientConfig.Validate, including its bearer_token -> authorization mirroring. */
  private validateHttpClient(node: Node, c: HTTPClientConfig): void {
    const fail = (field: string, msg: string): never => this.r.fail(node, field, msg);
    const bearer = !!c.bearerToken || !!c.bearerTokenFile;
    if (c.bearerToken && c.bearerTokenFile) fail('bearer_token', 'at most one of bearer_token & bearer_token_file must be configured');
    if ((c.basicAuth || c.oauth2) && bearer) fail('bearer_token', 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
    if (c.basicAuth && c.basicAuth.password && c.basicAuth.passwordFile) {
      fail('basic_auth', 'at most one of basic_auth password & password_file must be configured');
    }
    if (c.authorization) {
      if (bearer) fail('authorization', 'authorization is not compatible with bearer_token & bearer_token_file');
      if (c.authorization.credentials && c.authorization.credentialsFile) {
        fail('authorization', 'at most one of authorization credentials & credentials_file must be configured');
      }
      c.authorization.type = c.authorization.type.trim() || 'Bearer';
      if (c.authorization.type.toLowerCase() === 'basic') {
        fail('authorization', 'authorization type cannot be set to "basic", use "basic_auth" instead');
      }
      if (c.basicAuth || c.oauth2) fail('authorization', 'at most one of basic_auth, oauth2 & authorization must be configured');
    } else if (c.bearerToken) {
      c.authorization = { type: 'Bearer', credentials: c.bearerToken };
    } else if (c.bearerTokenFile) {
      c.authorization = { type: 'Bearer', credentialsFile: c.bearerTokenFile };
    }
    if (c.oauth2) {
      const o = c.oauth2;
      if (c.basicAuth) fail('oauth2', 'at most one of basic_auth, oauth2 & authorization must be configured');
      if (!o.client_id) fail('oauth2', 'oauth2 client_id must be configured');
      if (!o.client_secret && !o.client_secret_file) fail('oauth2', 'either oauth2 client_secret or client_secret_file must be configured');
      if (!o.token_url) fail('oauth2', 'oauth2 token_url must be configured');
      if (o.client_secret && o.client_secret_file) fail('oauth2', 'at most one of oauth2 client_secret & client_secret_file must be configured');
    }
    const pch = (c as { proxyConnectHeader?: unknown }).proxyConnectHeader;
    delete (c as { proxyConnectHeader?: unknown }).proxyConnectHeader;
    if (pch && typeof pch === 'object' && Object.keys(pch).length > 0 && !c.proxyUrl) {
      fail('proxy_connect_header', 'if proxy_connect_header is configured proxy_url must also be configured');
    }
  }

  /** Rejects what Go's url.Parse rejects; relative references are fine, as in Prometheus. */
  private url(node: MaybeNode, field: string): string | undefined {
    const s = this.r.str(node, field);
    if (s === undefined || s === '') return undefined;
    const err = goUrlError(s);
    if (err) this.r.fail(node, field, `parse ${JSON.stringify(s)}: ${err}`);
    return s;
  }

  private basicAuth(node: Node): BasicAuth {
    const r: YamlReader = this.r;
    const b: BasicAuth = { username: '' };
    r.object(node, 'config.BasicAuth', 'basic_auth', {
      username: (v) => (b.username = r.str(v, 'username') ?? ''),
      password: (v) => {
        const p = r.str(v, 'password');
        if (p) b.password = p;
      },
      password_file: (v) => {
        const p = r.str(v, 'password_file');
        if (p) b.passwordFile = this.path(p);
      },
    });
    return b;
  }

  private authorization(node: Node): AuthorizationConfig {
    const r: YamlReader = this.r;
    const a: AuthorizationConfig = { type: '' };
    r.object(node, 'config.Authorization', 'authorization', {
      type: (v) => (a.type = r.str(v, 'type') ?? ''),
      credentials: (v) => {
        const s = r.str(v, 'credentials');
        if (s) a.credentials = s;
      },
      credentials_file: (v) => {
        const s = r.str(v, 'credentials_file');
        if (s) a.credentialsFile = this.path(s);
      },
    });
    return a;
  }

  private oauth2(node: Node): Record<string, unknown> {
    const r: YamlReader = this.r;
    const o: Record<string, unknown> = {};
    r.object(node, 'config.OAuth2', 'oauth2', {
      client_id: (v) => (o.client_id = r.str(v, 'client_id') ?? ''),
      client_secret: (v) => (o.client_secret = r.str(v, 'client_secret') ?? ''),
      client_secret_file: (v) => (o.client_secret_file = this.path(r.str(v, 'client_secret_file') ?? '')),
      scopes: (v) => (o.scopes = r.strings(v, 'scopes')),
      token_url: (v) => (o.token_url = r.str(v, 'token_url') ?? ''),
      endpoint_params: (v) => (o.endpoint_params = r.stringMap(v, 'endpoint_params')),
      tls_config: (v) => (o.tls_config = this.tlsConfig(v)),
      proxy_url: (v) => (o.proxy_url = this.url(v, 'proxy_url')),
    });
    return o;
  }

  private tlsConfig(node: MaybeNode): TLSConfig {
    const r: YamlReader = this.r;
    const t: TLSConfig = { insecureSkipVerify: false };
    const version = (v: MaybeNode, f: string): void => {
      const s = r.str(v, f);
      if (s !== undefined && !['TLS10', 'TLS11', 'TLS12', 'TLS13'].includes(s)) r.fail(v, f, `unknown TLS version: ${s}`);
    };
    r.object(node, 'config.TLSConfig', 'tls_config', {
      ca_file: (v) => (t.caFile = this.path(r.str(v, 'ca_file') || undefined)),
      cert_file: (v) => (t.certFile = this.path(r.str(v, 'cert_file') || undefined)),
      key_file: (v) => (t.keyFile = this.path(r.str(v, 'key_file') || undefined)),
      server_name: (v) => (t.serverName = r.str(v, 'server_name') || undefined),
      insecure_skip_verify: (v) => (t.insecureSkipVerify = r.bool(v, 'insecure_skip_verify') ?? false),
      min_version: (v) => version(v, 'min_version'),
      max_version: (v) => version(v, 'max_version'),
    });
    for (const k of ['caFile', 'certFile', 'keyFile', 'serverName'] as const) if (t[k] === undefined) delete t[k];
    if (t.certFile && !t.keyFile) r.fail(node, 'tls_config', `client cert file ${JSON.stringify(t.certFile)} specified without client key file`);
    if (t.keyFile && !t.certFile) r.fail(node, 'tls_config', `client key file ${JSON.stringify(t.keyFile)} specified without client cert file`);
    return t;
  }

  private alerting(node: MaybeNode): PrometheusConfig['alerting'] {
    const r: YamlReader = this.r;
    const out: PrometheusConfig['alerting'] = { alertRelabelConfigs: [], alertmanagers: [] };
    r.object(node, 'config.AlertingConfig', 'alerting', {
      alert_relabel_configs: (v) =>
        (out.alertRelabelConfigs = this.relabelConfigs(v, 'alert_relabel_configs', 'empty or null alert relabeling rule')),
      alertmanagers: (v) => {
        for (const n of r.list(v, 'alertmanagers', '*config.AlertmanagerConfig')) {
          if (!n) r.fail(v, 'alertmanagers', 'empty or null alertmanager config section');
          out.alertmanagers.push(this.alertmanager(n));
        }
      },
    });
    return out;
  }

  private alertmanager(node: Node): AlertmanagerConfig {
    const r: YamlReader = this.r;
    const am: AlertmanagerConfig = {
      scheme: 'http',
      pathPrefix: '',
      timeout: 10_000,
      apiVersion: 'v2',
      staticConfigs: [],
      fileSdConfigs: [],
      relabelConfigs: [],
      followRedirects: true,
      enableHttp2: true,
    };
    let relabelNode: MaybeNode;
    r.object(node, 'config.AlertmanagerConfig', 'alertmanagers', {
      scheme: (v) => {
        const s = r.str(v, 'scheme') ?? '';
        if (s === '') return;
        am.scheme = s as 'http' | 'https';
      },
      path_prefix: (v) => (am.pathPrefix = r.str(v, 'path_prefix') ?? ''),
      timeout: (v) => (am.timeout = r.duration(v, 'timeout') ?? 0),
      api_version: (v) => {
        const s = r.str(v, 'api_version') ?? '';
        // v1 is accepted as Prometheus 2.42 does; Sextant always talks v2, the only API current Alertmanagers serve.
        if (s !== 'v1' && s !== 'v2') r.fail(v, 'api_version', `expected Alertmanager api version to be one of [v1 v2] but got ${s}`);
      },
      relabel_configs: (v) => {
        relabelNode = v;
        am.relabelConfigs = this.relabelConfigs(v, 'relabel_configs', 'empty or null Alertmanager target relabeling rule');
      },
      ...this.sdHandlers(am),
      ...this.httpClientHandlers(am),
    });
    this.validateHttpClient(node, am);
    if (!relabelNode || am.relabelConfigs.length === 0) this.checkStaticTargets(node, am.staticConfigs);
    return am;
  }

  private remoteWrite(node: Node): RemoteWriteConfig {
    const r: YamlReader = this.r;
    const rw: RemoteWriteConfig = {
      url: '',
      name: '',
      remoteTimeout: 30_000,
      headers: {},
      writeRelabelConfigs: [],
      queueConfig: { ...DEFAULT_QUEUE_CONFIG },
      followRedirects: true,
      enableHttp2: true,
    };
    let hasSigv4 = false;
    let sigv4Node: MaybeNode;
    r.object(node, 'config.RemoteWriteConfig', 'remote_write', {
      url: (v) => (rw.url = this.url(v, 'url') ?? ''),
      remote_timeout: (v) => (rw.remoteTimeout = r.duration(v, 'remote_timeout') ?? 0),
      headers: (v) => (rw.headers = this.headers(v)),
      write_relabel_configs: (v) =>
        (rw.writeRelabelConfigs = this.relabelConfigs(v, 'write_relabel_configs', 'empty or null relabeling rule in remote write config')),
      name: (v) => (rw.name = r.str(v, 'name') ?? ''),
      send_exemplars: (v) => (rw.sendExemplars = r.bool(v, 'send_exemplars') ?? false),
      send_native_histograms: (v) => (rw.sendNativeHistograms = r.bool(v, 'send_native_histograms') ?? false),
      queue_config: (v) => (rw.queueConfig = this.queueConfig(v)),
      metadata_config: (v) => {
        const m = { send: true, sendInterval: 60_000, maxSamplesPerSend: 500 };
        // yaml.v2 resets explicitly given fields to their zero value when null, defaults otherwise.
        r.object(v, 'config.MetadataConfig', 'metadata_config', {
          send: (x) => (m.send = r.bool(x, 'send') ?? false),
          send_interval: (x) => (m.sendInterval = r.duration(x, 'send_interval') ?? 0),
          max_samples_per_send: (x) => (m.maxSamplesPerSend = r.int(x, 'max_samples_per_send') || 500),
        });
        rw.metadataConfig = m;
      },
      sigv4: (v) => {
        hasSigv4 = !!v;
        sigv4Node = v;
        r.object(v, 'sigv4.SigV4Config', 'sigv4', {
          region: (x) => r.str(x, 'region'),
          access_key: (x) => r.str(x, 'access_key'),
          secret_key: (x) => r.str(x, 'secret_key'),
          profile: (x) => r.str(x, 'profile'),
          role_arn: (x) => r.str(x, 'role_arn'),
        });
      },
      ...this.httpClientHandlers(rw),
    });
    if (rw.url === '') r.fail(node, 'url', 'url for remote_write is empty');
    const authBefore = !!(rw.basicAuth || rw.authorization || rw.oauth2);
    this.validateHttpClient(node, rw);
    if (authBefore && hasSigv4) r.fail(node, 'sigv4', 'at most one of basic_auth, authorization, oauth2, & sigv4 must be configured');
    // Valid for Prometheus, but Sextant cannot sign requests: refusing is better than sending them unsigned.
    if (hasSigv4) r.fail(sigv4Node, 'sigv4', 'sigv4 is not supported by Sextant');
    return rw;
  }

  private headers(node: MaybeNode): Record<string, string> {
    const r: YamlReader = this.r;
    const out: Record<string, string> = {};
    for (const [k, v, key] of r.entries(node, 'headers', 'map[string]string')) {
      const lower = k.toLowerCase();
      if (lower === 'authorization') {
        r.fail(key, 'headers', 'authorization header must be changed via the basic_auth, authorization, oauth2, or sigv4 parameter');
      }
      if (RESERVED_HEADERS.has(lower)) r.fail(key, 'headers', `${k} is a reserved header. It must not be changed`);
      out[k] = r.str(v, 'headers') ?? '';
    }
    return out;
  }

  private queueConfig(node: MaybeNode): QueueConfig {
    const r: YamlReader = this.r;
    const q: QueueConfig = { ...DEFAULT_QUEUE_CONFIG };
    r.object(node, 'config.QueueConfig', 'queue_config', {
      capacity: (v) => (q.capacity = r.int(v, 'capacity') || DEFAULT_QUEUE_CONFIG.capacity),
      max_shards: (v) => (q.maxShards = r.int(v, 'max_shards') || DEFAULT_QUEUE_CONFIG.maxShards),
      min_shards: (v) => (q.minShards = r.int(v, 'min_shards') || DEFAULT_QUEUE_CONFIG.minShards),
      max_samples_per_send: (v) => (q.maxSamplesPerSend = r.int(v, 'max_samples_per_send') || DEFAULT_QUEUE_CONFIG.maxSamplesPerSend),
      batch_send_deadline: (v) => (q.batchSendDeadline = r.duration(v, 'batch_send_deadline') || DEFAULT_QUEUE_CONFIG.batchSendDeadline),
      min_backoff: (v) => (q.minBackoff = r.duration(v, 'min_backoff') || DEFAULT_QUEUE_CONFIG.minBackoff),
      max_backoff: (v) => (q.maxBackoff = r.duration(v, 'max_backoff') || DEFAULT_QUEUE_CONFIG.maxBackoff),
      retry_on_http_429: (v) => (q.retryOnRateLimit = r.bool(v, 'retry_on_http_429') ?? false),
    });
    return q;
  }

  private remoteRead(node: Node): RemoteReadConfig {
    const r: YamlReader = this.r;
    const rr: RemoteReadConfig = {
      url: '',
      name: '',
      remoteTimeout: 60_000,
      headers: {},
      readRecent: false,
      requiredMatchers: {},
      filterExternalLabels: true,
      followRedirects: true,
      enableHttp2: true,
    };
    r.object(node, 'config.RemoteReadConfig', 'remote_read', {
      url: (v) => (rr.url = this.url(v, 'url') ?? ''),
      remote_timeout: (v) => (rr.remoteTimeout = r.duration(v, 'remote_timeout') ?? 0),
      headers: (v) => (rr.headers = this.headers(v)),
      read_recent: (v) => (rr.readRecent = r.bool(v, 'read_recent') ?? false),
      name: (v) => (rr.name = r.str(v, 'name') ?? ''),
      required_matchers: (v) => (rr.requiredMatchers = this.labelSet(v, 'required_matchers')),
      filter_external_labels: (v) => (rr.filterExternalLabels = r.bool(v, 'filter_external_labels') ?? false),
      ...this.httpClientHandlers(rr),
    });
    if (rr.url === '') r.fail(node, 'url', 'url for remote_read is empty');
    this.validateHttpClient(node, rr);
    return rr;
  }

  private storage(node: MaybeNode): Record<string, unknown> {
    const r: YamlReader = this.r;
    r.object(node, 'config.StorageConfig', 'storage', {
      tsdb: (v) => r.object(v, 'config.TSDBConfig', 'tsdb', { out_of_order_time_window: (x) => r.duration(x, 'out_of_order_time_window') }),
      exemplars: (v) => r.object(v, 'config.ExemplarsConfig', 'exemplars', { max_exemplars: (x) => r.int(x, 'max_exemplars') }),
    });
    return (r.plain(node) ?? {}) as Record<string, unknown>;
  }

  private tracing(node: MaybeNode): Record<string, unknown> {
    const r: YamlReader = this.r;
    if (!node) return {};
    let endpoint = '';
    r.object(node, 'config.TracingConfig', 'tracing', {
      client_type: (v) => {
        const s = r.str(v, 'client_type') ?? '';
        if (s !== 'http' && s !== 'grpc') r.fail(v, 'client_type', `expected tracing client type to be to be http or grpc, but got ${s}`);
      },
      endpoint: (v) => (endpoint = r.str(v, 'endpoint') ?? ''),
      sampling_fraction: (v) => r.float(v, 'sampling_fraction'),
      insecure: (v) => r.bool(v, 'insecure'),
      tls_config: (v) => this.tlsConfig(v),
      headers: (v) => {
        for (const [k, , key] of r.entries(v, 'headers', 'map[string]string')) {
          if (k.toLowerCase() === 'authorization') r.fail(key, 'headers', 'custom authorization header configuration is not yet supported');
          if (RESERVED_HEADERS.has(k.toLowerCase())) r.fail(key, 'headers', `${k} is a reserved header. It must not be changed`);
        }
      },
      compression: (v) => {
        const s = r.str(v, 'compression') ?? '';
        if (s !== '' && s !== 'gzip') r.fail(v, 'compression', `invalid compression type ${s} provided, valid options: gzip`);
      },
      timeout: (v) => r.duration(v, 'timeout'),
    });
    if (endpoint === '') r.fail(node, 'endpoint', 'tracing endpoint must be set');
    return r.plain(node) as Record<string, unknown>;
  }
}

/** The error Go's url.Parse would give, for the cases that matter in configs, or undefined. */
function goUrlError(s: string): string | undefined {
  if (/[\x00-\x1f\x7f]/.test(s)) return 'net/url: invalid control character in URL';
  const bad = /%(?![0-9a-fA-F]{2})(.{0,2})/.exec(s);
  if (bad) return `invalid URL escape "%${bad[1]}"`;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(s);
  if (!m) return undefined;
  const host = m[1].slice(m[1].lastIndexOf('@') + 1);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return "missing ']' in host";
    const rest = host.slice(close + 1);
    if (rest !== '' && !/^:\d*$/.test(rest)) return `invalid port ${JSON.stringify(rest)} after host`;
    return undefined;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && !/^\d*$/.test(host.slice(colon + 1))) return `invalid port ${JSON.stringify(host.slice(colon))} after host`;
  const name = colon >= 0 ? host.slice(0, colon) : host;
  const c = /[ "<>\\^`{|}]/.exec(name);
  if (c) return `invalid character ${JSON.stringify(c[0])} in host name`;
  return undefined;
}

/**
 * Parses prometheus.yml text. `file` names it in errors and anchors relative paths; without it paths stay
 * as written. Throws ConfigError naming file, line and field.
 */
export function parseConfig(text: string, file?: string): PrometheusConfig {
  const lineCounter = new LineCounter();
  // yaml.v2 reads only the first document of a stream.
  const docs = parseAllDocuments(text, { lineCounter, version: '1.1', merge: true, prettyErrors: false, uniqueKeys: false });
  const first = Array.isArray(docs) ? docs[0] : undefined;
  const doc = first ?? parseDocument('', { lineCounter: new LineCounter(), version: '1.1' });
  const where = file ?? '<config>';
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line;
    throw new ConfigError(`${where}:${line}: yaml: ${e.message.split('\n')[0]}`, file, line, undefined);
  }
  const reader = new YamlReader(file, doc, lineCounter);
  const root = reader.resolve(doc.contents as Node | null);
  if (root && isScalar(root)) reader.fail(root, undefined, `cannot unmarshal ${reader.kind(root)} into config.Config`);
  const dir = file !== undefined ? dirname(resolve(file)) : undefined;
  return new Parser(reader, dir).config(root, text, file);
}

export async function loadConfigFile(path: string): Promise<PrometheusConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: ${(e as Error).message}`, path, undefined, undefined);
  }
  return parseConfig(text, path);
}
