/**
 * Composition root: builds every subsystem, connects them through their interfaces and serves them on
 * one HTTP port. Data flows: scrape / remote_write / OTLP → TappedStorage(TSDB) → PromQL, federation, APIs;
 * committed samples also flow to the remote_write queues.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from './http.js';
import { registerLifecycleRoutes } from './lifecycle.js';
import { registerUiRoutes } from './ui.js';
import { startIdleGc } from './idle-gc.js';
import { loadConfigFile } from '../config/parse.js';
import { defaultConfig } from '../config/default.js';
import { formatDuration } from '../config/duration.js';
import { renderConfigYaml } from '../config/render.js';
import type { PrometheusConfig } from '../config/types.js';
import { TSDB } from '../metrics/tsdb/db.js';
import { TappedStorage } from '../metrics/storage/fanout.js';
import { ScrapeManager } from '../metrics/scrape/manager.js';
import { RemoteWriteManager } from '../metrics/remote/write-manager.js';
import { registerRemoteWriteRoutes } from '../metrics/remote/receive.js';
import { registerOtlpMetricsRoutes } from '../metrics/otlp/receive.js';
import { registerCollectorRoutes } from '../metrics/collectors/routes.js';
import { Engine } from '../metrics/promql/engine.js';
import { registerQueryRoutes } from '../metrics/api/query.js';
import { registerSeriesRoutes } from '../metrics/api/series.js';
import { registerStatusRoutes } from '../metrics/api/status.js';
import { registerFederateRoutes } from '../metrics/api/federate.js';
import { parseSeriesSelector } from '../metrics/api/selector.js';
import { RuleManager } from '../alerting/rules/manager.js';
import { Notifier } from '../alerting/notifier/notifier.js';
import { registerRulesApiRoutes } from '../alerting/api/rules.js';
import { Alertmanager, registerAlertmanagerApiRoutes, parseAlertmanagerConfig, loadAlertmanagerConfigFile, defaultAlertmanagerConfig } from '../alerting/alertmanager/index.js';
import { openLogStore } from '../logs/store/index.js';
import type { LogStore } from '../logs/store/interface.js';
import { DEFAULT_BULK_LABEL_FIELDS, registerLogIngestRoutes } from '../logs/ingest/index.js';
import { registerLokiQueryRoutes, LogTailHub } from '../logs/api/index.js';
import { openTraceStore } from '../traces/store/index.js';
import type { TraceStore } from '../traces/store/interface.js';
import { registerTraceIngestRoutes, startOtlpGrpcServer } from '../traces/ingest/index.js';
import { DerivedMetrics, registerExemplarRoutes } from '../traces/derived/index.js';
import { registerTraceQueryRoutes } from '../traces/api/index.js';

export interface SextantOptions {
  /** A Prometheus configuration file; without one Sextant monitors itself and this host. */
  configFile?: string;
  dataDir: string;
  /** host:port; port 0 picks a free port (tests). */
  listen: string;
  logLevel?: string;
  logger?: Logger;
  retentionTimeMs?: number;
  retentionSizeBytes?: number;
  outOfOrderWindowMs?: number;
  lookbackDeltaMs?: number;
  queryMaxSamples?: number;
  queryTimeoutMs?: number;
  /** Largest request body, bytes (413 above). */
  bodyLimit?: number;
  /** Overrides the scrape interval of the built-in default configuration (tests use 1s). */
  defaultScrapeIntervalMs?: number;
  /** Log retention (default: retentionTimeMs) and size limit (default none). */
  logsRetentionTimeMs?: number;
  logsRetentionSizeBytes?: number;
  /** Longest log line in bytes (Loki's max_line_size, default 256 KiB; 0 = no limit); refused unless logsMaxLineTruncate. */
  logsMaxLineBytes?: number;
  logsMaxLineTruncate?: boolean;
  /** Log entries older than this are refused (Loki's reject_old_samples_max_age, default 1 week; 0 = accept any age). */
  logsRejectOlderThanMs?: number;
  /** Log entries newer than now plus this are refused (Loki's creation_grace_period, default 10 min; 0 = accept). */
  logsRejectNewerThanMs?: number;
  /** `_bulk` document fields that become stream labels (`path` or `path=label`; default: DEFAULT_BULK_LABEL_FIELDS). */
  logsBulkLabelFields?: string[];
  /** OTLP/gRPC trace receiver, host:port (the CLI defaults to 127.0.0.1:4317); absent or '' = off; port 0 picks one. */
  otlpGrpcListen?: string;
  /** A second HTTP listener with only the trace ingest routes (/v1/traces, /api/v2/spans), e.g. 127.0.0.1:4318. */
  otlpHttpListen?: string;
  /** Trace retention (default: retentionTimeMs) and size limit (default none). */
  tracesRetentionTimeMs?: number;
  tracesRetentionSizeBytes?: number;
  /** Extra span-metrics labels taken from span (then resource) attributes. */
  spanMetricsDimensions?: string[];
  /** Run a full GC when the process goes quiet after a burst (see idle-gc.ts). Default true. */
  idleGc?: boolean;
}

export interface Sextant {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly storage: TappedStorage;
  readonly scrape: ScrapeManager;
  readonly logger: Logger;
  readonly rules: RuleManager;
  /** Sends alerts to configured Alertmanagers; the built-in Alertmanager registers with addLocalSink. */
  readonly notifier: Notifier;
  /** The built-in Alertmanager (API under /alertmanager/api/v2), fed by the notifier as a local sink. */
  readonly alertmanager: Alertmanager;
  /** The log store (Loki push, _bulk and OTLP logs write it; LogQL and the Loki API read it). */
  readonly logs: LogStore;
  /** The trace store (OTLP and Zipkin ingest write it; the Jaeger/Tempo APIs read it). */
  readonly traces: TraceStore;
  /** Span metrics and service graph generator (writes into `storage`; flush() for tests). */
  readonly spanMetrics: DerivedMetrics;
  /** The OTLP/gRPC receiver's port, when enabled. */
  readonly otlpGrpcPort?: number;
  /** The extra OTLP/HTTP listener's URL, when enabled. */
  readonly otlpHttpUrl?: string;
  config(): PrometheusConfig;
  reload(): Promise<void>;
  stop(): Promise<void>;
}

const DAY_MS = 86400000;

export function uiDistDir(): string {
  // src/server/ or dist/server/ → <root>/dist/ui
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'ui');
}

export async function startSextant(opts: SextantOptions): Promise<Sextant> {
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'info' });
  const startTime = new Date();
  const tsdb = await TSDB.open({
    dir: join(opts.dataDir, 'metrics'),
    retentionTimeMs: opts.retentionTimeMs ?? 15 * DAY_MS,
    retentionSizeBytes: opts.retentionSizeBytes ?? 0,
    outOfOrderWindowMs: opts.outOfOrderWindowMs ?? 0,
    logger: logger.child({ component: 'tsdb' }),
  });
  const storage = new TappedStorage(tsdb);
  // Loki's defaults: max_line_size 256 KiB, reject_old_samples_max_age 1w, creation_grace_period 10m.
  const logLimits = {
    retentionTimeMs: opts.logsRetentionTimeMs ?? opts.retentionTimeMs ?? 15 * DAY_MS,
    retentionSizeBytes: opts.logsRetentionSizeBytes ?? 0,
    maxLineBytes: opts.logsMaxLineBytes ?? 256 * 1024,
    rejectOlderThanMs: opts.logsRejectOlderThanMs ?? 7 * DAY_MS,
    rejectNewerThanMs: opts.logsRejectNewerThanMs ?? 10 * 60_000,
  };
  const traceRetention = {
    retentionTimeMs: opts.tracesRetentionTimeMs ?? opts.retentionTimeMs ?? 15 * DAY_MS,
    retentionSizeBytes: opts.tracesRetentionSizeBytes ?? 0,
  };
  const logs = await openLogStore({
    dir: join(opts.dataDir, 'logs'),
    ...logLimits,
    lineTooLong: opts.logsMaxLineTruncate ? 'truncate' : 'reject',
    logger: logger.child({ component: 'logs' }),
  });
  const traces = await openTraceStore({
    dir: join(opts.dataDir, 'traces'),
    ...traceRetention,
    logger: logger.child({ component: 'traces' }),
  });
  const spanMetrics = new DerivedMetrics({
    storage,
    dimensions: opts.spanMetricsDimensions,
    logger: logger.child({ component: 'spanmetrics' }),
  });
  const onSpans = (spans: Parameters<DerivedMetrics['onSpans']>[0]): void => spanMetrics.onSpans(spans);
  const scrape = new ScrapeManager({ storage, logger: logger.child({ component: 'scrape' }) });
  const remoteWrite = new RemoteWriteManager({
    dataDir: join(opts.dataDir, 'remote-write'),
    logger: logger.child({ component: 'remote_write' }),
    // Sent per remote_write metadata_config, as Prometheus sends the metric metadata of its targets.
    metadata: () => scrape.metadata(),
  });
  // Committed samples are copied to the remote_write queues only while some remote_write is configured:
  // recording them costs an object per sample on every ingest path.
  let unsubscribe: (() => void) | undefined;
  const engine = new Engine({
    lookbackDeltaMs: opts.lookbackDeltaMs,
    maxSamples: opts.queryMaxSamples,
    timeoutMs: opts.queryTimeoutMs,
    logger: logger.child({ component: 'promql' }),
  });
  const notifier = new Notifier({ logger: logger.child({ component: 'notifier' }) });
  const alertmanager = new Alertmanager({ dataDir: join(opts.dataDir, 'alertmanager'), logger: logger.child({ component: 'alertmanager' }), externalUrl: '' });
  notifier.addLocalSink((alerts) => alertmanager.receive(alerts));
  // Created once the listen address (the external URL in alert links) is known.
  let rules: RuleManager | undefined;

  let current: PrometheusConfig | undefined;
  let lastReload = { success: true, time: new Date() };
  let ready = false;
  const [host, portText] = splitHostPort(opts.listen);

  const flags = (): Record<string, string> => ({
    'config.file': opts.configFile ?? '',
    'storage.tsdb.path': join(opts.dataDir, 'metrics'),
    'storage.tsdb.retention.time': `${Math.round((opts.retentionTimeMs ?? 15 * DAY_MS) / DAY_MS)}d`,
    'storage.tsdb.retention.size': String(opts.retentionSizeBytes ?? 0),
    'storage.tsdb.out-of-order-time-window': `${opts.outOfOrderWindowMs ?? 0}ms`,
    'web.listen-address': opts.listen,
    'query.lookback-delta': `${(opts.lookbackDeltaMs ?? 300000) / 1000}s`,
    'query.max-samples': String(opts.queryMaxSamples ?? 50000000),
    'query.timeout': `${(opts.queryTimeoutMs ?? 120000) / 1000}s`,
    'log.level': opts.logLevel ?? 'info',
    'logs.retention.time': formatDuration(logLimits.retentionTimeMs),
    'logs.retention.size': String(logLimits.retentionSizeBytes),
    'logs.max-line-size': String(logLimits.maxLineBytes),
    'logs.max-line-size-truncate': String(opts.logsMaxLineTruncate ?? false),
    'logs.reject-old-samples.max-age': formatDuration(logLimits.rejectOlderThanMs),
    'logs.creation-grace-period': formatDuration(logLimits.rejectNewerThanMs),
    'logs.bulk.label-fields': (opts.logsBulkLabelFields ?? DEFAULT_BULK_LABEL_FIELDS).join(','),
    'traces.retention.time': formatDuration(traceRetention.retentionTimeMs),
    'traces.retention.size': String(traceRetention.retentionSizeBytes),
  });

  const app = createHttpServer({ logger, bodyLimit: opts.bodyLimit ?? 32 * 1024 * 1024 });
  registerLifecycleRoutes(app, { isReady: () => ready, reload: () => reload() });
  registerCollectorRoutes(app);
  // The receiver's label cache references the head's own label arrays rather than copies.
  registerRemoteWriteRoutes(app, { storage, logger, canonicalLabels: (labels) => tsdb.canonicalLabels(labels) });
  registerOtlpMetricsRoutes(app, { storage, logger });
  registerQueryRoutes(app, { storage, engine });
  registerSeriesRoutes(app, { storage, parseSelector: parseSeriesSelector });
  registerStatusRoutes(app, {
    parseSelector: parseSeriesSelector,
    storage,
    scrape,
    // The effective configuration with secrets replaced, as Prometheus shows it; never the raw file.
    configYaml: () => (current ? renderConfigYaml(current) : ''),
    flags,
    startTime,
    reloadStatus: () => lastReload,
  });
  registerFederateRoutes(app, {
    storage,
    externalLabels: () => current?.global.externalLabels ?? {},
    parseSelector: parseSeriesSelector,
    lookbackDeltaMs: opts.lookbackDeltaMs,
  });
  registerRulesApiRoutes(app, { rules: { groups: () => rules?.groups() ?? [] }, alertmanagers: () => notifier.alertmanagers() });
  registerAlertmanagerApiRoutes(app, { am: alertmanager });
  // Ingest publishes acknowledged entries to the hub; live tails (/loki/api/v1/tail) subscribe to it.
  const logTail = new LogTailHub();
  registerLogIngestRoutes(app, {
    store: logs,
    logger,
    bulkLabelFields: opts.logsBulkLabelFields,
    maxLineBytes: logLimits.maxLineBytes,
    maxLineTruncate: opts.logsMaxLineTruncate,
    onStored: (entries) => logTail.publish(entries),
  });
  registerLokiQueryRoutes(app, { store: logs, logger, tailHub: logTail });
  registerTraceIngestRoutes(app, { store: traces, logger, onSpans });
  registerExemplarRoutes(app, { exemplars: spanMetrics.exemplars });
  registerTraceQueryRoutes(app, { store: traces, logger });
  registerUiRoutes(app, { distDir: uiDistDir() });

  await app.listen({ host, port: Number(portText) });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : Number(portText);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  spanMetrics.start();
  const grpcServer = opts.otlpGrpcListen
    ? await startOtlpGrpcServer({ listen: opts.otlpGrpcListen, store: traces, logger: logger.child({ component: 'otlp-grpc' }), onSpans })
    : undefined;
  let otlpHttp: FastifyInstance | undefined;
  let otlpHttpUrl: string | undefined;
  if (opts.otlpHttpListen) {
    otlpHttp = createHttpServer({ logger, bodyLimit: opts.bodyLimit ?? 32 * 1024 * 1024 });
    registerTraceIngestRoutes(otlpHttp, { store: traces, logger, onSpans });
    const [h, p] = splitHostPort(opts.otlpHttpListen);
    await otlpHttp.listen({ host: h, port: Number(p) });
    const a = otlpHttp.server.address();
    otlpHttpUrl = `http://${h.includes(':') ? `[${h}]` : h}:${typeof a === 'object' && a ? a.port : Number(p)}`;
  }
  alertmanager.setExternalUrl(`${url}/alertmanager`);
  const selfAddress = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const ruleManager = new RuleManager({
    storage,
    engine,
    notify: (alerts) => notifier.send(alerts),
    externalLabels: () => current?.global.externalLabels ?? {},
    externalUrl: url,
    logger: logger.child({ component: 'rules' }),
  });
  rules = ruleManager;

  async function loadConfig(): Promise<PrometheusConfig> {
    if (opts.configFile) return loadConfigFile(opts.configFile);
    const cfg = defaultConfig(selfAddress);
    if (opts.defaultScrapeIntervalMs !== undefined) {
      for (const sc of cfg.scrapeConfigs) {
        sc.scrapeInterval = opts.defaultScrapeIntervalMs;
        sc.scrapeTimeout = Math.min(sc.scrapeTimeout, opts.defaultScrapeIntervalMs);
      }
    }
    return cfg;
  }

  async function apply(cfg: PrometheusConfig): Promise<void> {
    const amConfig = cfg.alertmanagerConfig
      ? parseAlertmanagerConfig(cfg.alertmanagerConfig.text, cfg.sourceFile, cfg.alertmanagerConfig.line)
      : cfg.alertmanagerConfigFile
        ? loadAlertmanagerConfigFile(cfg.alertmanagerConfigFile)
        : defaultAlertmanagerConfig();
    // Rules first: a rule file that fails validation rejects the reload before anything else changes.
    await ruleManager.applyConfig(cfg);
    notifier.applyConfig(cfg);
    // Template globs are relative to the file that names them.
    await alertmanager.applyConfig(amConfig, dirname(cfg.alertmanagerConfigFile ?? cfg.sourceFile ?? join(process.cwd(), 'x')));
    engine.noStepSubqueryIntervalMs = cfg.global.evaluationInterval;
    await scrape.applyConfig(cfg);
    await remoteWrite.applyConfig(cfg);
    if (cfg.remoteWrite.length > 0 && !unsubscribe) unsubscribe = storage.subscribe((batch) => remoteWrite.onCommit(batch));
    if (cfg.remoteWrite.length === 0 && unsubscribe) {
      unsubscribe();
      unsubscribe = undefined;
    }
    current = cfg;
  }

  // Reload keeps the running configuration when the new one is invalid, as Prometheus does.
  async function reload(): Promise<void> {
    try {
      const cfg = await loadConfig();
      await apply(cfg);
      lastReload = { success: true, time: new Date() };
      logger.info({ file: opts.configFile ?? '(built-in default)' }, 'configuration loaded');
    } catch (err) {
      lastReload = { success: false, time: new Date() };
      logger.error({ err: (err as Error).message }, 'configuration reload failed; keeping the running configuration');
      throw err;
    }
  }

  try {
    await reload();
  } catch (err) {
    await ruleManager.stop();
    notifier.stop();
    await alertmanager.stop();
    await app.close();
    await grpcServer?.stop();
    await otlpHttp?.close();
    await spanMetrics.stop().catch(() => undefined);
    await tsdb.close();
    await logs.close();
    await traces.close();
    throw err;
  }
  ready = true;
  const idleGc = opts.idleGc === false ? undefined : startIdleGc();
  logger.info({ url, ui: existsSync(join(uiDistDir(), 'index.html')) }, 'Sextant is ready');

  return {
    url,
    app,
    storage,
    scrape,
    logger,
    rules: ruleManager,
    notifier,
    alertmanager,
    logs,
    traces,
    spanMetrics,
    otlpGrpcPort: grpcServer?.port,
    otlpHttpUrl,
    config: () => current as PrometheusConfig,
    reload,
    stop: async () => {
      ready = false;
      idleGc?.stop();
      await scrape.stop();
      await ruleManager.stop();
      notifier.stop();
      await alertmanager.stop();
      await app.close();
      await grpcServer?.stop();
      await otlpHttp?.close();
      // The last span-metrics values are written before the metrics storage closes.
      await spanMetrics.stop().catch((err: unknown) => logger.error({ err }, 'span metrics: final flush failed'));
      unsubscribe?.();
      await remoteWrite.stop();
      await storage.close();
      await logs.close();
      await traces.close();
    },
  };
}

function splitHostPort(listen: string): [string, string] {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen must be HOST:PORT, got ${JSON.stringify(listen)}`);
  return [m[1] === '' ? '0.0.0.0' : m[1], m[2]];
}
