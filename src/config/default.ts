/**
 * The configuration `sextant serve` runs without --config: scrape Sextant itself and its built-in
 * node_exporter-compatible host collector. Built from YAML text so /api/v1/status/config shows real YAML.
 */
import { parseConfig } from './parse.js';
import type { PrometheusConfig } from './types.js';

/** The address to scrape for a listen address: wildcard hosts become localhost. */
export function scrapeAddressFor(listen: string): string {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) return /^\d+$/.test(listen) ? `localhost:${listen}` : listen;
  const host = m[1] ?? m[2] ?? '';
  const port = m[3];
  if (host === '' || host === '0.0.0.0' || host === '::') return `localhost:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function defaultConfigYaml(listen: string): string {
  const target = JSON.stringify(scrapeAddressFor(listen));
  return `# Sextant's built-in configuration (no --config given).
global:
  scrape_interval: 15s
  evaluation_interval: 15s

scrape_configs:
  - job_name: sextant
    static_configs:
      - targets: [${target}]

  - job_name: node
    metrics_path: /host/metrics
    static_configs:
      - targets: [${target}]
`;
}

export function defaultConfig(listen: string): PrometheusConfig {
  return parseConfig(defaultConfigYaml(listen));
}
