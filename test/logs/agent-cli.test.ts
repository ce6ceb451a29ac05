// `sextant agent --config FILE` as a process: ships a file to a real ingest server and exits cleanly on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIngestServer } from './ingest-helpers.js';
import { agentDir, waitFor } from './agent-helpers.js';

test('sextant agent --config FILE ships lines and stops on SIGTERM', async () => {
  const dir = agentDir();
  const s = await startIngestServer();
  const child = { proc: undefined as ReturnType<typeof spawn> | undefined };
  try {
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'a.log'), 'one\ntwo\n');
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(
      cfg,
      `server_url: ${s.url}\npositions_file: ${join(dir, 'pos.json')}\nbuffer_dir: ${join(dir, 'buf')}\npoll_interval: 50ms\nbatch_max_wait: 50ms\nscrape:\n  - paths: ["${dir}/logs/*.log"]\n    labels: { job: cli }\n`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/run.ts'), 'agent', '--config', cfg, '--log.level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.proc = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor('lines', async () => (await s.all()).length === 2, 30000);
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.deepEqual((await s.all()).map((e) => e.line), ['one', 'two']);
  } finally {
    if (child.proc && child.proc.exitCode === null) child.proc.kill('SIGKILL');
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
