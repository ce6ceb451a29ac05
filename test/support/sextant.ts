/**
 * A real Sextant server for end-to-end tests: real TSDB in a temporary data dir, real HTTP server on a free
 * loopback port, scraping itself and this host every second unless a config file is given.
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { startSextant, type Sextant, type SextantOptions } from '../../src/server/sextant.js';
import { tempDir } from '../peers/process.js';

export interface TestSextant extends Sextant {
  readonly dataDir: string;
}

export async function startTestSextant(opts: Partial<SextantOptions> = {}): Promise<TestSextant> {
  const dataDir = opts.dataDir ?? tempDir('sextant');
  const sextant = await startSextant({
    listen: '127.0.0.1:0',
    logger: pino({ level: process.env.SEXTANT_TEST_LOG ?? 'silent' }),
    defaultScrapeIntervalMs: 1000,
    ...opts,
    dataDir,
  });
  const stop = sextant.stop;
  return Object.assign(sextant, {
    dataDir,
    stop: async () => {
      await stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
