/**
 * Parts of a valid Prometheus config that Sextant accepts but does not run, named so that serve (log) and
 * `check config` (WARNING lines) say the same thing instead of silently ignoring them.
 */
import type { PrometheusConfig } from './types.js';

export interface UnsupportedSd {
  /** `scrape` for a scrape job, `alertmanager` for an alerting.alertmanagers entry. */
  kind: 'scrape' | 'alertmanager';
  /** The job name, or the alertmanagers entry's index. */
  owner: string;
  /** The YAML field, e.g. `kubernetes_sd_configs`. */
  mechanism: string;
  message: string;
}

/** One entry per job (or alertmanagers entry) and unsupported `*_sd_configs` field, in config order. */
export function unsupportedServiceDiscovery(cfg: PrometheusConfig): UnsupportedSd[] {
  const out: UnsupportedSd[] = [];
  for (const sc of cfg.scrapeConfigs) {
    for (const mechanism of Object.keys(sc.otherSdConfigs ?? {})) {
      out.push({
        kind: 'scrape',
        owner: sc.jobName,
        mechanism,
        message: `scrape job ${JSON.stringify(sc.jobName)}: ${mechanism} is not supported by Sextant; the job gets no targets from it`,
      });
    }
  }
  cfg.alerting.alertmanagers.forEach((am, i) => {
    for (const mechanism of Object.keys(am.otherSdConfigs ?? {})) {
      out.push({
        kind: 'alertmanager',
        owner: String(i),
        mechanism,
        message: `alertmanager config ${i}: ${mechanism} is not supported by Sextant; no Alertmanagers are discovered from it`,
      });
    }
  });
  return out;
}
