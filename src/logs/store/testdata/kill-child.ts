// Child process for the SIGKILL durability test: appends batches forever and prints how many lines the store
// has acknowledged; the parent kills it with SIGKILL at some point and checks every acknowledged line survived.
import { labelsFromRecord } from '../../../model/labels.js';
import { openLogStore } from '../index.js';

const dir = process.argv[2];
const store = await openLogStore({ dir, maxHeadBytes: 200_000, compactMinFiles: 4 });
const T0 = 1_700_000_000_000n * 1_000_000n;
let n = 0;
for (;;) {
  const batch = [];
  for (let i = 0; i < 500; i++, n++) {
    batch.push({ stream: labelsFromRecord({ job: 'kill', pod: `p${n % 7}` }), ts: T0 + BigInt(n) * 1000n, line: `line ${n}` });
  }
  await store.append(batch);
  process.stdout.write(`acked ${n}\n`);
}
