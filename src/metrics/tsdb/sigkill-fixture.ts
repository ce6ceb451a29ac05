/**
 * Test fixture (run as a child process by db-durability.test.ts): appends batches to a TSDB forever and prints
 * each batch's timestamp to stdout only after commit() resolved, so the parent knows what was acknowledged.
 * Usage: node --import tsx sigkill-fixture.ts <dir> <seriesPerBatch> [blockRangeMs]
 * A small block range makes block cuts and WAL checkpoints happen while the process is killed.
 */
import { TSDB } from './db.js';
import type { Label } from '../../model/labels.js';

const dir = process.argv[2];
const perBatch = Number(process.argv[3] ?? '500');
const blockRangeMs = Number(process.argv[4] ?? '3600000');
// The clock stays at 0 so retention never deletes the test's blocks near t=0.
const db = await TSDB.open({ dir, blockRangeMs, now: () => 0 });
const series: Label[][] = [];
for (let i = 0; i < perBatch; i++) {
  series.push([
    { name: '__name__', value: 'kill_test' },
    { name: 'i', value: String(i) },
  ]);
}
for (let t = 1000; ; t += 1000) {
  const app = db.appender();
  for (let i = 0; i < perBatch; i++) app.append(series[i], t, t / 1000 + i);
  await app.commit();
  process.stdout.write(`${t}\n`);
}
