// The agent against a real Sextant ingest server: CRI (with P/F partials) under a kubelet pods path, Docker
// json-file (with split lines) under /var/log/containers, plain lines with multiline joining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogAgent } from '../../src/logs/agent/index.js';
import { startIngestServer, labelsOf } from './ingest-helpers.js';
import { agentConfig, agentDir, waitFor } from './agent-helpers.js';

test('CRI partials, Docker json-file, Kubernetes path labels, multiline', async () => {
  const dir = agentDir();
  const s = await startIngestServer();
  let agent: LogAgent | undefined;
  try {
    const podDir = join(dir, 'var/log/pods/shop_checkout-5c7d_0f1e2d3c/app');
    mkdirSync(podDir, { recursive: true });
    writeFileSync(
      join(podDir, '0.log'),
      [
        '2024-05-01T10:00:00.123456789Z stdout F first line',
        '2024-05-01T10:00:01.000000000Z stdout P part one, ',
        '2024-05-01T10:00:01.000000001Z stderr F an error line',
        '2024-05-01T10:00:01.000000002Z stdout P part two, ',
        '2024-05-01T10:00:01.000000003Z stdout F part three',
        '',
      ].join('\n'),
    );
    const ctrDir = join(dir, 'var/log/containers');
    mkdirSync(ctrDir, { recursive: true });
    const dockerFile = join(ctrDir, `web-1_prod_nginx-${'a'.repeat(64)}.log`);
    writeFileSync(
      dockerFile,
      [
        JSON.stringify({ log: 'GET / 200\n', stream: 'stdout', time: '2024-05-01T10:00:02.5Z' }),
        JSON.stringify({ log: 'long line begins ', stream: 'stdout', time: '2024-05-01T10:00:03Z' }),
        JSON.stringify({ log: 'and ends\n', stream: 'stdout', time: '2024-05-01T10:00:03.1Z' }),
        '',
      ].join('\n'),
    );
    const appDir = join(dir, 'app');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'java.log'), '2024-05-01 INFO start\n2024-05-01 ERROR boom\njava.lang.Exception: x\n\tat A.b(A.java:1)\n');
    const cfg = agentConfig(
      dir,
      s.url,
      `
  - paths: ["${dir}/var/log/pods/*/*/*.log"]
    format: cri
    labels: { job: pods }
  - paths: ["${ctrDir}/*.log"]
    format: docker
    labels: { job: containers }
  - paths: ["${appDir}/**/*.log"]
    format: plain
    labels: { job: java }
    multiline: { firstline: '^\\d{4}-\\d{2}-\\d{2}', max_wait: 150ms }
`,
    );
    agent = await LogAgent.start(cfg);
    const all = await waitFor('all entries', async () => {
      const got = await s.all();
      return got.length >= 7 ? got : undefined;
    });
    const byJob = (job: string) => all.filter((e) => labelsOf(e).job === job);
    const pods = byJob('pods');
    assert.deepEqual(pods.map((e) => e.line), ['first line', 'part one, part two, part three', 'an error line']);
    assert.deepEqual(labelsOf(pods[0]), { cluster: 'test', container: 'app', job: 'pods', namespace: 'shop', pod: 'checkout-5c7d', stream: 'stdout' });
    assert.equal(labelsOf(pods[2]).stream, 'stderr');
    assert.equal(pods[0].ts, 1714557600123456789n);
    assert.equal(pods[1].ts, 1714557601000000000n, 'a joined line keeps the time of its first piece');
    const docker = byJob('containers');
    assert.deepEqual(docker.map((e) => e.line), ['GET / 200', 'long line begins and ends']);
    assert.deepEqual(labelsOf(docker[0]), { cluster: 'test', container: 'nginx', job: 'containers', namespace: 'prod', pod: 'web-1', stream: 'stdout' });
    // The last multiline event is flushed by max_wait (no next first line arrives).
    const java = await waitFor('multiline flush', async () => {
      const j = (await s.all()).filter((e) => labelsOf(e).job === 'java');
      return j.length === 2 ? j : undefined;
    });
    assert.deepEqual(java.map((e) => e.line), ['2024-05-01 INFO start', '2024-05-01 ERROR boom\njava.lang.Exception: x\n\tat A.b(A.java:1)']);
    assert.equal(labelsOf(java[0]).filename, join(appDir, 'java.log'));
    appendFileSync(join(appDir, 'java.log'), '2024-05-02 INFO next\n');
    await waitFor('appended line', async () => (await s.all()).some((e) => e.line === '2024-05-02 INFO next'));
  } finally {
    await agent?.stop();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
