// Child process for the SIGKILL durability test: appends batches forever and prints each acknowledged batch.
import { openTraceStore } from '../embedded-store.js';
import { makeSpan } from './spans.js';

const dir = process.argv[2];
const store = await openTraceStore({ dir, maxHeadSpans: 300, maintenanceIntervalMs: 0 });
for (let batch = 0; ; batch++) {
  const spans = Array.from({ length: 20 }, (_, i) => makeSpan(batch, i));
  await store.append(spans);
  if (batch % 7 === 3) void store.flush();
  process.stdout.write(`acked ${batch}\n`);
}
