/**
 * `sextant check rules` against the real `promtool check rules` (Debian prometheus 2.42) on a corpus of
 * real-world-style rule files: every file promtool accepts must be accepted with the same rule count;
 * every file it rejects must be rejected with the same message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkRules } from '../../src/alerting/rules/check.js';

const dir = join(import.meta.dirname, 'testdata', 'rules');
const PROMTOOL = '/usr/bin/promtool';

function promtool(file: string): { ok: boolean; out: string } {
  const r = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8', cwd: dir });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

for (const sub of ['valid', 'invalid'] as const) {
  const files = readdirSync(join(dir, sub)).filter((f) => f.endsWith('.yml')).sort();
  test(`${sub} corpus has files`, () => assert.ok(files.length >= (sub === 'valid' ? 15 : 10)));
  for (const f of files) {
    const rel = join(sub, f);
    test(`check rules ${rel}`, async () => {
      const want = promtool(rel);
      const got = await checkRules(join(dir, rel));
      assert.equal(want.ok, sub === 'valid', `promtool verdict for ${rel}: ${want.out}`);
      assert.equal(got.ok, want.ok, `sextant verdict for ${rel}: ${got.messages.join('\n')}`);
      if (want.ok && !want.out.includes('lint error')) {
        const n = Number(/SUCCESS: (\d+) rules found/.exec(want.out)?.[1]);
        assert.equal(got.ruleCount, n);
      } else {
        // promtool prints "  FAILED:" then one error per line, each prefixed by the file name.
        const wantLines = want.out.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Checking ') && l.trim() !== 'FAILED:');
        const gotLines = got.messages.slice(1).map((m) => m.replace(`${dir}/`, '')).join('\n').split('\n');
        // PromQL parse error details come from the PromQL parser (not this module); compare up to the position.
        const norm = (l: string) => l.replace(/(could not parse expression: \d+:\d+: parse error:).*/, '$1');
        assert.deepEqual(gotLines.map(norm), wantLines.map(norm));
      }
    });
  }
}

test('`sextant check rules` prints what promtool prints and exits the same way', () => {
  const files = ['valid/01-instance-down.yml', 'valid/13-templates-advanced.yml', 'valid/17-anchors.yml', 'invalid/bad-template.yml', 'invalid/record-and-alert.yml'];
  for (const f of files) {
    const want = spawnSync(PROMTOOL, ['check', 'rules', f], { encoding: 'utf8', cwd: dir });
    const got = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'cli', 'run.ts'), 'check', 'rules', f], { encoding: 'utf8', cwd: dir });
    assert.equal(got.status, want.status, f);
    const norm = (s: string) => s.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
    assert.deepEqual(norm(got.stdout), norm(want.stdout + want.stderr), f);
  }
});
