/** Debian's prometheus-node-exporter as a scrape target. */
import { freePort, startPeer, tempDir, type Peer } from './process.js';

export async function startNodeExporter(): Promise<Peer> {
  const port = await freePort();
  return startPeer({
    binary: '/usr/bin/prometheus-node-exporter',
    args: [`--web.listen-address=127.0.0.1:${port}`],
    port,
    dir: tempDir('node-exporter'),
    readyPath: '/metrics',
  });
}
