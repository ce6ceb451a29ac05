/** Debian's prometheus-alertmanager 0.25, clustering off. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startPeer, tempDir, type Peer } from './process.js';

export async function startAlertmanager(configYaml: string): Promise<Peer> {
  const dir = tempDir('alertmanager');
  const cfg = join(dir, 'alertmanager.yml');
  writeFileSync(cfg, configYaml);
  const port = await freePort();
  return startPeer({
    binary: '/usr/bin/prometheus-alertmanager',
    args: [`--config.file=${cfg}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    port,
    dir,
    readyPath: '/-/ready',
  });
}
