import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startIdleGc } from './idle-gc.js';

function harness() {
  const st = { heap: 100, cpu: 0, gcs: 0 };
  const idle = startIdleGc({
    intervalMs: 1000,
    minGrowthBytes: 50,
    idleCpuShare: 0.1,
    usedBytes: () => st.heap,
    cpuMicros: () => st.cpu,
    gc: () => {
      st.gcs++;
      st.heap = 110;
    },
  });
  return { st, idle };
}

test('collects once after the heap grew and the process went idle, not while busy', () => {
  const { st, idle } = harness();
  try {
    // Busy: 600 ms of CPU per 1 s tick while the heap grows.
    for (let i = 0; i < 3; i++) {
      st.cpu += 600_000;
      st.heap += 40;
      assert.equal(idle.tick(), false);
    }
    assert.equal(st.gcs, 0);
    // Quiet tick: collects.
    st.cpu += 10_000;
    assert.equal(idle.tick(), true);
    assert.equal(st.gcs, 1);
    // Still quiet, heap unchanged since that GC: nothing more to do.
    st.cpu += 10_000;
    assert.equal(idle.tick(), false);
    assert.equal(idle.collections, 1);
  } finally {
    idle.stop();
  }
});

test('small growth never triggers a collection, and a GC that ran on its own lowers the floor', () => {
  const { st, idle } = harness();
  try {
    st.heap = 140; // +40 < 50
    assert.equal(idle.tick(), false);
    st.heap = 60; // V8 collected by itself
    assert.equal(idle.tick(), false);
    st.heap = 115; // +55 over the new floor
    assert.equal(idle.tick(), true);
  } finally {
    idle.stop();
  }
});

test('the default gc is V8’s own and runs without --expose-gc', () => {
  const idle = startIdleGc({ minGrowthBytes: 0, idleCpuShare: 1e9 });
  try {
    assert.equal(idle.tick(), true);
  } finally {
    idle.stop();
  }
});
