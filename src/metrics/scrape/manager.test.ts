import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { parseConfig } from '../../config/parse.js';
import { MemoryStorage } from '../../../test/remote/memory-storage.js';
import { ScrapeManager } from './manager.js';

test('service discovery Sextant does not run: one warning per job and mechanism at every config load', async () => {
  const lines: { level: number; msg: string; job?: string; mechanism?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as (typeof lines)[number]);
      cb();
    },
  });
  const mgr = new ScrapeManager({ storage: new MemoryStorage(), logger: pino({ level: 'warn' }, sink), manualScrapes: true });
  const cfg = parseConfig(`scrape_configs:
  - job_name: k8s
    kubernetes_sd_configs:
      - role: pod
    consul_sd_configs:
      - server: consul:8500
  - job_name: plain
    static_configs:
      - targets: [a:1]
`);
  try {
    await mgr.applyConfig(cfg);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      lines.map((l) => [l.level, l.job, l.mechanism, l.msg]),
      [
        [40, 'k8s', 'kubernetes_sd_configs', 'scrape job "k8s": kubernetes_sd_configs is not supported by Sextant; the job gets no targets from it'],
        [40, 'k8s', 'consul_sd_configs', 'scrape job "k8s": consul_sd_configs is not supported by Sextant; the job gets no targets from it'],
      ],
    );
    assert.deepEqual(mgr.targets().activeTargets.map((t) => t.scrapePool), ['plain']);
  } finally {
    await mgr.stop();
  }
});
