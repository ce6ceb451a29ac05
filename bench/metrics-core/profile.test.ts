import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hotSpots } from './profile.js';
test('hotSpots ranks functions by self samples across profiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  try {
    const node = (id: number, functionName: string, hitCount: number) => ({ id, callFrame: { functionName, url: 'file:///repo/dist/x.js', lineNumber: id }, hitCount });
    writeFileSync(join(dir, 'a.cpuprofile'), JSON.stringify({ nodes: [node(1, 'append', 30), node(2, '', 10), node(3, 'decode', 0)] }));
    writeFileSync(join(dir, 'b.cpuprofile'), JSON.stringify({ nodes: [node(1, 'append', 20), node(4, 'decode', 40)] }));
    const spots = hotSpots(dir, '/repo');
    assert.deepEqual(
      spots.map((s) => [s.fn, Math.round(s.self * 100)]),
      [
        ['append dist/x.js:2', 50],
        ['decode dist/x.js:5', 40],
        ['(anonymous) dist/x.js:3', 10],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
