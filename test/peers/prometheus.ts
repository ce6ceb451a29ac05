/** Debian's Prometheus 2.42 as a test peer: remote_write receiver on, lifecycle API on. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startPeer, tempDir, type Peer } from './process.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export async function startPrometheus(configYaml = 'global:\n  scrape_interval: 15s\n', extraArgs: string[] = []): Promise<Peer> {
  const dir = tempDir('prometheus');
  const cfg = join(dir, 'prometheus.yml');
  writeFileSync(cfg, configYaml);
  const port = await freePort();
  return startPeer({
    binary: PROMETHEUS_BIN,
    args: [
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=1d',
      ...extraArgs,
    ],
    port,
    dir,
    readyPath: '/-/ready',
  });
}
