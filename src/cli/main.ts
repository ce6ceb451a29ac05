/**
 * The `sextant` command: `serve` runs the server, `check config` validates a Prometheus configuration file.
 * Flags keep Prometheus's names where Prometheus has one, so existing deployment habits carry over.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startSextant, type SextantOptions } from '../server/sextant.js';
import { parseBulkLabelFields } from '../logs/ingest/es-bulk.js';
import { checkConfig } from '../config/check.js';
import { checkRules } from '../alerting/rules/check.js';
import { parsePromDuration } from '../metrics/api/params.js';
import { runAgent } from '../logs/agent/run.js';

const USAGE = `Usage:
  sextant serve [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--log-level LEVEL]
                [--retention.time DURATION] [--retention.size BYTES] [--storage.out-of-order-window DURATION]
                [--query.lookback-delta DURATION] [--query.max-samples N] [--query.timeout DURATION]
                [--otlp-grpc-listen HOST:PORT (default 127.0.0.1:4317; '' = off)] [--otlp-http-listen HOST:PORT]
                [--logs.retention.time DURATION] [--logs.retention.size SIZE]
                [--traces.retention.time DURATION] [--traces.retention.size SIZE]
                [--logs.max-line-size SIZE (default 256KiB; 0 = no limit)] [--logs.max-line-size-truncate]
                [--logs.reject-old-samples.max-age DURATION (default 1w; 0 = off)]
                [--logs.creation-grace-period DURATION (default 10m; 0 = off)]
                [--logs.bulk.label-fields PATH[=LABEL],... (replaces the default list; docs/logs.md)]
  sextant check config FILE...
  sextant check rules FILE...
  sextant agent --config FILE [--log.level LEVEL]

serve     Runs Sextant: every API and the web UI on one port (default 127.0.0.1:7070).
check     Validates Prometheus configuration files without starting.
agent     Tails log files and ships them to a Sextant (or any Loki) push URL; see docs/logs.md.
`;

function fail(message: string): never {
  process.stderr.write(`sextant: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** A bad command line: main prints it with the usage and exits 2. */
export class UsageError extends Error {}

function durationFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parsePromDuration(value);
  if (ms === undefined) throw new UsageError(`--${name}: not a duration: ${JSON.stringify(value)} (use e.g. 15d, 12h, 5m)`);
  return ms;
}

function sizeFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(value);
  if (!m) throw new UsageError(`--${name}: not a size: ${JSON.stringify(value)} (use e.g. 512MB, 10GB, 256KiB)`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
  return Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]);
}

const SERVE_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string', default: './data' },
  listen: { type: 'string', default: '127.0.0.1:7070' },
  'log-level': { type: 'string', default: 'info' },
  'retention.time': { type: 'string' },
  'retention.size': { type: 'string' },
  'storage.out-of-order-window': { type: 'string' },
  'query.lookback-delta': { type: 'string' },
  'query.max-samples': { type: 'string' },
  'query.timeout': { type: 'string' },
  'otlp-grpc-listen': { type: 'string', default: '127.0.0.1:4317' },
  'otlp-http-listen': { type: 'string' },
  'logs.retention.time': { type: 'string' },
  'logs.retention.size': { type: 'string' },
  'logs.max-line-size': { type: 'string' },
  'logs.max-line-size-truncate': { type: 'boolean' },
  'logs.reject-old-samples.max-age': { type: 'string' },
  'logs.creation-grace-period': { type: 'string' },
  'logs.bulk.label-fields': { type: 'string' },
  'traces.retention.time': { type: 'string' },
  'traces.retention.size': { type: 'string' },
} as const;

/** `sextant serve` flags → server options; throws UsageError for a bad value. */
export function parseServeArgs(argv: string[]): SextantOptions {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: SERVE_OPTIONS }));
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(e.message);
    throw err;
  }
  const maxSamples = values['query.max-samples'] === undefined ? undefined : Number(values['query.max-samples']);
  if (maxSamples !== undefined && !(Number.isInteger(maxSamples) && maxSamples > 0)) throw new UsageError('--query.max-samples must be a positive integer');
  let bulkLabelFields: string[] | undefined;
  if (values['logs.bulk.label-fields'] !== undefined) {
    try {
      bulkLabelFields = parseBulkLabelFields(values['logs.bulk.label-fields']);
    } catch (err) {
      throw new UsageError(`--logs.bulk.label-fields: ${(err as Error).message}`);
    }
  }
  const maxLine = sizeFlag(values['logs.max-line-size'], 'logs.max-line-size');
  if (values['logs.max-line-size-truncate'] && maxLine === 0) throw new UsageError('--logs.max-line-size-truncate needs a --logs.max-line-size above 0');
  return {
    configFile: values.config ? resolve(values.config) : undefined,
    dataDir: resolve(values['data-dir']),
    listen: values.listen,
    logLevel: values['log-level'],
    retentionTimeMs: durationFlag(values['retention.time'], 'retention.time'),
    retentionSizeBytes: sizeFlag(values['retention.size'], 'retention.size'),
    outOfOrderWindowMs: durationFlag(values['storage.out-of-order-window'], 'storage.out-of-order-window'),
    lookbackDeltaMs: durationFlag(values['query.lookback-delta'], 'query.lookback-delta'),
    queryMaxSamples: maxSamples,
    queryTimeoutMs: durationFlag(values['query.timeout'], 'query.timeout'),
    otlpGrpcListen: values['otlp-grpc-listen'],
    otlpHttpListen: values['otlp-http-listen'],
    logsRetentionTimeMs: durationFlag(values['logs.retention.time'], 'logs.retention.time'),
    logsRetentionSizeBytes: sizeFlag(values['logs.retention.size'], 'logs.retention.size'),
    logsMaxLineBytes: maxLine,
    logsMaxLineTruncate: values['logs.max-line-size-truncate'] === true ? true : undefined,
    logsRejectOlderThanMs: durationFlag(values['logs.reject-old-samples.max-age'], 'logs.reject-old-samples.max-age'),
    logsRejectNewerThanMs: durationFlag(values['logs.creation-grace-period'], 'logs.creation-grace-period'),
    logsBulkLabelFields: bulkLabelFields,
    tracesRetentionTimeMs: durationFlag(values['traces.retention.time'], 'traces.retention.time'),
    tracesRetentionSizeBytes: sizeFlag(values['traces.retention.size'], 'traces.retention.size'),
  };
}

async function serve(argv: string[]): Promise<void> {
  const sextant = await startSextant(parseServeArgs(argv));
  process.stdout.write(`\n  Sextant is running: open ${sextant.url}/ in your browser\n\n`);
  process.on('SIGHUP', () => {
    sextant.reload().catch(() => undefined); // the failure is logged; the running configuration stays
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    sextant.logger.info({ signal }, 'shutting down');
    sextant.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        sextant.logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function check(argv: string[]): Promise<void> {
  const [what, ...files] = argv;
  if (what === 'rules' && files.length > 0) {
    let rulesOk = true;
    for (const file of files) {
      const res = await checkRules(file);
      // As promtool: status lines indented, errors start with the file name as given.
      process.stdout.write(`Checking ${file}\n${res.messages.map((m) => (/^(FAILED|SUCCESS):/.test(m) ? `  ${m}` : m) + '\n').join('')}\n`);
      rulesOk &&= res.ok;
    }
    process.exit(rulesOk ? 0 : 1);
  }
  if (what !== 'config' || files.length === 0) fail('usage: sextant check config|rules FILE...');
  let ok = true;
  for (const file of files) {
    const res = await checkConfig(resolve(file));
    process.stdout.write(`Checking ${file}\n`);
    for (const m of res.messages) process.stdout.write(`  ${m}\n`);
    if (res.ok) process.stdout.write(` SUCCESS: ${file} is valid prometheus config file syntax\n`);
    else {
      process.stdout.write(` FAILED: ${file}\n`);
      ok = false;
    }
  }
  process.exit(ok ? 0 : 1);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
      case undefined:
        return await serve(rest);
      case 'check':
        return await check(rest);
      case 'agent':
        return await runAgent(rest);
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return;
      default:
        fail(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e instanceof UsageError || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') fail(e.message);
    process.stderr.write(`sextant: ${e.message}\n`);
    process.exit(1);
  }
}
