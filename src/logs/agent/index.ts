/** The log-shipping agent (`sextant agent --config FILE`). See agent.ts and docs/logs.md. */
export { LogAgent, type AgentOptions, type AgentLogger } from './agent.js';
export { parseAgentConfig, loadAgentConfig, AgentConfigError, type AgentConfig, type ScrapeConfig } from './config.js';
export { runAgent } from './run.js';
