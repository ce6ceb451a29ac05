import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDiscovery, parseTargetGroupsFile, type TargetGroup } from './file.js';
import { staticTargetGroups } from './static.js';

/** Collects updates and lets a test wait for the next one (fs.watch is asynchronous). */
class Updates {
  readonly all: TargetGroup[][] = [];
  private waiters: ((g: TargetGroup[]) => void)[] = [];
  readonly push = (g: TargetGroup[]): void => {
    this.all.push(g);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(g);
  };
  next(timeoutMs = 5000): Promise<TargetGroup[]> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no update within timeout')), timeoutMs);
      this.waiters.push((g) => {
        clearTimeout(t);
        resolve(g);
      });
    });
  }
}

function addresses(groups: TargetGroup[]): string[] {
  return groups.flatMap((g) => g.targets.map((t) => t.__address__));
}

interface LogEntry {
  obj: object;
  msg?: string;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sextant-filesd-'));
}

test('file_sd JSON and YAML formats as Prometheus reads them', () => {
  const json = parseTargetGroupsFile('[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": []}]', '/sd/x.json');
  assert.deepEqual(json, [
    { source: '/sd/x.json:0', targets: [{ __address__: 'a:1' }, { __address__: 'b:2' }], labels: { env: 'prod', __meta_filepath: '/sd/x.json' } },
    { source: '/sd/x.json:1', targets: [], labels: { __meta_filepath: '/sd/x.json' } },
  ]);
  const yaml = parseTargetGroupsFile('- targets: [c:3]\n  labels:\n    env: dev\n', '/sd/y.YML');
  assert.deepEqual(yaml, [{ source: '/sd/y.YML:0', targets: [{ __address__: 'c:3' }], labels: { env: 'dev', __meta_filepath: '/sd/y.YML' } }]);
  assert.deepEqual(parseTargetGroupsFile('', '/sd/empty.yaml'), []);

  assert.throws(() => parseTargetGroupsFile('[{"targets": ["a:1"], "lables": {}}]', '/x.json'), /unknown field "lables"/);
  assert.throws(() => parseTargetGroupsFile('- targets: [a]\n  lables: {}\n', '/x.yml'), /x\.yml:2: field lables not found/);
  assert.throws(() => parseTargetGroupsFile('[{"targets": ["a:1"], "labels": {"bad-name": "x"}}]', '/x.json'), /"bad-name" is not a valid label name/);
  assert.throws(() => parseTargetGroupsFile('[null]', '/x.json'), /nil target group/);
  assert.throws(() => parseTargetGroupsFile('[{"targets": [1]}]', '/x.json'), /cannot unmarshal/);
  assert.throws(() => parseTargetGroupsFile('{"targets": []}', '/x.json'), /cannot unmarshal object/);
  assert.throws(() => parseTargetGroupsFile('[', '/x.json'), SyntaxError);
  assert.throws(() => parseTargetGroupsFile('[]', '/x.txt'), /invalid file extension/);
});

test('static_configs become groups of the same shape', () => {
  assert.deepEqual(staticTargetGroups([{ targets: ['a:1'], labels: { x: 'y' } }, { targets: ['b:2', 'c:3'], labels: {} }]), [
    { source: 'static/0', targets: [{ __address__: 'a:1' }], labels: { x: 'y' } },
    { source: 'static/1', targets: [{ __address__: 'b:2' }, { __address__: 'c:3' }], labels: {} },
  ]);
});

test('file_sd: initial read, rewrite, new file, malformed file kept, deletion, all through fs.watch', async () => {
  const dir = tmp();
  const logs: LogEntry[] = [];
  const updates = new Updates();
  const d = new FileDiscovery([{ files: ['targets/*.json', 'targets/*.yml'], refreshInterval: 3_600_000 }], dir, updates.push, {
    logger: { error: (obj, msg) => logs.push({ obj, msg }) },
    debounceMs: 5,
  });
  try {
    mkdirSync(join(dir, 'targets'));
    const a = join(dir, 'targets', 'a.json');
    writeFileSync(a, JSON.stringify([{ targets: ['a:1'], labels: { env: 'prod' } }]));
    await d.start();
    assert.equal(updates.all.length, 1);
    assert.deepEqual(updates.all[0], [{ source: `${a}:0`, targets: [{ __address__: 'a:1' }], labels: { env: 'prod', __meta_filepath: a } }]);

    // Rewriting the file (atomically, as config management tools do) is noticed without a timer.
    let next = updates.next();
    writeFileSync(`${a}.tmp`, JSON.stringify([{ targets: ['a:1', 'a:2'] }]));
    renameSync(`${a}.tmp`, a);
    assert.deepEqual(addresses(await next), ['a:1', 'a:2']);

    // A new YAML file adds its groups.
    const b = join(dir, 'targets', 'b.yml');
    next = updates.next();
    writeFileSync(b, '- targets: [b:1]\n  labels: {team: x}\n');
    let groups = await next;
    assert.deepEqual(addresses(groups), ['a:1', 'a:2', 'b:1']);
    assert.deepEqual(groups.find((g) => g.source === `${b}:0`)?.labels, { team: 'x', __meta_filepath: b });

    // A malformed rewrite keeps the last good groups of that file and logs the error.
    const before = updates.all.length;
    writeFileSync(a, '[{"targets": ["a:1"');
    await new Promise((r) => setTimeout(r, 150));
    await d.refresh();
    assert.equal(updates.all.length, before, 'no update: nothing changed');
    assert.deepEqual(addresses(d.groups()), ['a:1', 'a:2', 'b:1']);
    assert.ok(logs.some((l) => l.msg === 'Error reading file' && (l.obj as { path?: string }).path === a), JSON.stringify(logs));
    assert.ok(d.readErrors >= 1);

    // Fixing it takes effect again.
    next = updates.next();
    writeFileSync(a, JSON.stringify([{ targets: ['a:3'] }]));
    assert.deepEqual(addresses(await next), ['a:3', 'b:1']);

    // Deleting a file removes its groups.
    next = updates.next();
    unlinkSync(b);
    groups = await next;
    assert.deepEqual(addresses(groups), ['a:3']);
  } finally {
    d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file_sd: refresh picks up a directory created after start, and stop() ends updates', async () => {
  const dir = tmp();
  const updates = new Updates();
  let clock = 1000;
  const d = new FileDiscovery([{ files: [join(dir, 'later', '*.yaml')], refreshInterval: 3_600_000 }], '/unused', updates.push, {
    now: () => clock,
    debounceMs: 5,
  });
  try {
    await d.start();
    assert.deepEqual(updates.all, [[]], 'the first refresh always reports, even when empty');
    assert.equal(d.lastRefresh, 1000);
    mkdirSync(join(dir, 'later'));
    writeFileSync(join(dir, 'later', 'x.yaml'), '- targets: [x:1]\n');
    // No watch could be set on the missing directory; the periodic re-read (here called directly) finds it.
    clock = 2000;
    await d.refresh();
    assert.deepEqual(addresses(updates.all.at(-1)!), ['x:1']);
    assert.equal(d.lastRefresh, 2000);
    // Now the directory is watched.
    const next = updates.next();
    writeFileSync(join(dir, 'later', 'y.yaml'), '- targets: [y:1]\n');
    assert.deepEqual(addresses(await next), ['x:1', 'y:1']);

    d.stop();
    const count = updates.all.length;
    writeFileSync(join(dir, 'later', 'z.yaml'), '- targets: [z:1]\n');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(updates.all.length, count);
  } finally {
    d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file_sd: the refresh_interval timer re-reads without any file event', async () => {
  const dir = tmp();
  const updates = new Updates();
  const d = new FileDiscovery([{ files: [join(dir, 'missing-dir', '*.json')], refreshInterval: 30 }], dir, updates.push);
  try {
    await d.start();
    mkdirSync(join(dir, 'missing-dir'));
    const next = updates.next();
    writeFileSync(join(dir, 'missing-dir', 't.json'), '[{"targets": ["t:1"]}]');
    assert.deepEqual(addresses(await next), ['t:1']);
  } finally {
    d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
