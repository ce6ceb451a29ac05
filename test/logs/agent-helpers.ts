/** Shared set-up for the agent tests: a temp tree, a config, and polling until a condition holds. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgentConfig, type AgentConfig } from '../../src/logs/agent/index.js';

export function agentDir(): string {
  return mkdtempSync(join(tmpdir(), 'agent-'));
}

export function agentConfig(dir: string, serverUrl: string, scrapeYaml: string): AgentConfig {
  return parseAgentConfig(`
server_url: ${serverUrl}
positions_file: ${join(dir, 'state', 'positions.json')}
buffer_dir: ${join(dir, 'state', 'buffer')}
poll_interval: 30ms
batch_max_wait: 60ms
min_backoff: 40ms
max_backoff: 200ms
max_retries: 1
labels: { cluster: test }
scrape:
${scrapeYaml}
`);
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
