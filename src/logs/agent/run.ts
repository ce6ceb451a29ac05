/** `sextant agent --config FILE [--log.level LEVEL]`: runs the agent until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { LogAgent } from './agent.js';
import { loadAgentConfig } from './config.js';

export async function runAgent(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'config.file': { type: 'string' }, 'log.level': { type: 'string', default: 'info' } },
    strict: true,
  });
  const file = values.config ?? values['config.file'];
  if (!file) throw new Error('usage: sextant agent --config FILE');
  const logger = pino({ level: values['log.level'] });
  const cfg = await loadAgentConfig(file);
  const agent = await LogAgent.start(cfg, { logger });
  logger.info({ url: cfg.pushUrl, scrape: cfg.scrape.map((s) => s.paths) }, 'agent started');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await agent.stop();
  logger.info({}, 'agent stopped');
}
