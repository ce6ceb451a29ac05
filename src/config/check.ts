/**
 * `sextant check config FILE`, like `promtool check config`: parse the file, check that the files it
 * names exist, check file_sd files and static targets the way Prometheus would turn them into targets.
 */
import { stat, readFile } from 'node:fs/promises';
import { formatDuration } from './duration.js';
import { glob, hasGlobMeta } from './glob.js';
import { loadConfigFile } from './parse.js';
import { unsupportedServiceDiscovery } from './unsupported.js';
import type { AlertmanagerConfig, HTTPClientConfig, PrometheusConfig, ScrapeConfig, StaticConfig } from './types.js';
import { relabel } from '../model/relabel.js';
import { labelsFromRecord, labelsToRecord } from '../model/labels.js';
import { parseTargetGroupsFile, type TargetGroup } from '../metrics/discovery/target-group.js';
import { staticTargetGroups } from '../metrics/discovery/static.js';

export interface CheckConfigResult {
  ok: boolean;
  /** Lines to print, in promtool's wording. */
  messages: string[];
  /** Rule files the config names (globs expanded), for the caller to check next. */
  ruleFiles: string[];
  config?: PrometheusConfig;
}

export interface CheckConfigOptions {
  /** Only parse, like promtool's --syntax-only: no file existence checks. */
  syntaxOnly?: boolean;
}

async function exists(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    await stat(path);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The parts of Prometheus's PopulateLabels that can reject a target. */
function checkTarget(group: TargetGroup, index: number, groupName: string, sc: ScrapeConfig): string | undefined {
  const rec: Record<string, string> = { ...group.labels, ...group.targets[index] };
  const defaults: Record<string, string> = {
    job: sc.jobName,
    __scrape_interval__: formatDuration(sc.scrapeInterval),
    __scrape_timeout__: formatDuration(sc.scrapeTimeout),
    __metrics_path__: sc.metricsPath,
    __scheme__: sc.scheme,
  };
  for (const [k, v] of Object.entries(defaults)) if (!rec[k]) rec[k] = v;
  for (const [k, v] of Object.entries(sc.params)) if (v.length > 0) rec[`__param_${k}`] = v[0];
  const out = relabel(labelsFromRecord(rec), sc.relabelConfigs);
  const where = `instance ${index} in group ${groupName}`;
  if (!out) return undefined;
  const lset = labelsToRecord(out);
  const addr = lset.__address__ ?? '';
  if (addr === '') return `${where}: no address`;
  if (addr.includes('/')) return `${where}: ${JSON.stringify(addr)} is not a valid hostname`;
  for (const [label, what] of [
    ['__scrape_interval__', 'scrape interval'],
    ['__scrape_timeout__', 'scrape timeout'],
  ] as const) {
    const v = lset[label] ?? '';
    if (!/^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/.test(v) || v === '') {
      return `${where}: error parsing ${what}: not a valid duration string: ${JSON.stringify(v)}`;
    }
  }
  return undefined;
}

function checkAlertmanagerTarget(group: TargetGroup, index: number, am: AlertmanagerConfig): string | undefined {
  const rec: Record<string, string> = { ...group.labels, ...group.targets[index] };
  if (!rec.__scheme__) rec.__scheme__ = am.scheme;
  if (!rec.__alerts_path__) rec.__alerts_path__ = `${am.pathPrefix.replace(/\/$/, '')}/api/v2/alerts`;
  const out = relabel(labelsFromRecord(rec), am.relabelConfigs);
  if (!out) return undefined;
  const addr = labelsToRecord(out).__address__ ?? '';
  if (addr.includes('/')) return `${JSON.stringify(addr)} is not a valid hostname`;
  return undefined;
}

async function checkHttpFiles(c: HTTPClientConfig): Promise<string | undefined> {
  const cred = c.authorization?.credentialsFile;
  let err = await exists(cred);
  if (err) return `error checking authorization credentials or bearer token file ${JSON.stringify(cred)}: ${err}`;
  err = await exists(c.tlsConfig?.certFile);
  if (err) return `error checking client cert file ${JSON.stringify(c.tlsConfig?.certFile)}: ${err}`;
  err = await exists(c.tlsConfig?.keyFile);
  if (err) return `error checking client key file ${JSON.stringify(c.tlsConfig?.keyFile)}: ${err}`;
  return undefined;
}

async function sdGroups(
  files: string[],
  warn: (file: string) => void,
): Promise<{ groups: { group: TargetGroup; name: string }[]; error?: string }> {
  const groups: { group: TargetGroup; name: string }[] = [];
  for (const pattern of files) {
    const matched = await glob(pattern);
    if (matched.length === 0) {
      warn(pattern);
      continue;
    }
    for (const f of matched) {
      try {
        for (const g of parseTargetGroupsFile(await readFile(f, 'utf8'), f)) groups.push({ group: g, name: g.source });
      } catch (e) {
        return { groups, error: `checking SD file ${JSON.stringify(pattern)}: ${(e as Error).message}` };
      }
    }
  }
  return { groups };
}

function staticNamed(statics: StaticConfig[]): { group: TargetGroup; name: string }[] {
  // Prometheus names static groups by their index.
  return staticTargetGroups(statics).map((g, i) => ({ group: g, name: String(i) }));
}

export async function checkConfig(path: string, opts: CheckConfigOptions = {}): Promise<CheckConfigResult> {
  const messages = [`Checking ${path}`];
  try {
    return await check(path, opts, messages);
  } catch (e) {
    // A malformed glob or an unreadable directory: report it like any other failure, never crash.
    messages.push(`  FAILED: ${(e as Error).message}`);
    return { ok: false, messages, ruleFiles: [] };
  }
}

async function check(path: string, opts: CheckConfigOptions, messages: string[]): Promise<CheckConfigResult> {
  const fail = (msg: string): CheckConfigResult => {
    messages.push(`  FAILED: ${msg}`);
    return { ok: false, messages, ruleFiles: [] };
  };
  let cfg: PrometheusConfig;
  try {
    cfg = await loadConfigFile(path);
  } catch (e) {
    return fail((e as Error).message);
  }
  const syntaxOnly = opts.syntaxOnly ?? false;
  for (const u of unsupportedServiceDiscovery(cfg)) messages.push(`  WARNING: ${u.message}`);
  const ruleFiles: string[] = [];
  if (!syntaxOnly) {
    for (const rf of cfg.ruleFiles) {
      const matched = await glob(rf);
      if (!hasGlobMeta(rf)) {
        if (matched.length === 0) return fail(`${JSON.stringify(rf)} does not point to an existing file`);
      } else if (matched.length === 0) {
        messages.push(`  WARNING: rule file pattern ${JSON.stringify(rf)} matches no files`);
      }
      ruleFiles.push(...matched);
    }
  }
  for (const sc of cfg.scrapeConfigs) {
    if (!syntaxOnly) {
      const err = await checkHttpFiles(sc);
      if (err) return fail(err);
    }
    const groups = staticNamed(sc.staticConfigs);
    if (!syntaxOnly) {
      const sd = await sdGroups(
        sc.fileSdConfigs.flatMap((f) => f.files),
        (f) => messages.push(`  WARNING: file ${JSON.stringify(f)} for file_sd in scrape job ${JSON.stringify(sc.jobName)} does not exist`),
      );
      if (sd.error) return fail(sd.error);
      groups.push(...sd.groups);
    }
    for (const { group, name } of groups) {
      for (let i = 0; i < group.targets.length; i++) {
        const err = checkTarget(group, i, name, sc);
        if (err) return fail(err);
      }
    }
  }
  for (const am of cfg.alerting.alertmanagers) {
    const groups = staticNamed(am.staticConfigs);
    if (!syntaxOnly) {
      const sd = await sdGroups(
        am.fileSdConfigs.flatMap((f) => f.files),
        (f) => messages.push(`  WARNING: file ${JSON.stringify(f)} for file_sd in alertmanager config does not exist`),
      );
      if (sd.error) return fail(sd.error);
      groups.push(...sd.groups);
    }
    for (const { group } of groups) {
      for (let i = 0; i < group.targets.length; i++) {
        const err = checkAlertmanagerTarget(group, i, am);
        if (err) return fail(err);
      }
    }
  }
  if (ruleFiles.length > 0) messages.push(`  SUCCESS: ${ruleFiles.length} rule files found`);
  messages.push(` SUCCESS: ${path} is valid prometheus config file syntax`);
  return { ok: true, messages, ruleFiles, config: cfg };
}
