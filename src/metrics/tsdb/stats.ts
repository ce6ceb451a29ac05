/** Cardinality statistics of the head for /api/v1/status/tsdb. */
import type { HeadStats } from '../storage/interface.js';
import { METRIC_NAME } from '../../model/labels.js';
import type { Head } from './head.js';

type Entry = { name: string; value: number };

function topN(entries: Entry[], limit: number): Entry[] {
  return entries.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1)).slice(0, limit);
}

export function computeHeadStats(head: Head, limit: number): HeadStats {
  let numChunks = 0;
  for (let ref = 1; ref < head.byRef.length; ref++) {
    const s = head.byRef[ref];
    if (s !== undefined && s.ref === ref) numChunks += s.numChunks();
  }
  const byMetric: Entry[] = [];
  const valueCount: Entry[] = [];
  const memory: Entry[] = [];
  const pairs: Entry[] = [];
  for (const [name, vals] of head.valuesMap()) {
    let bytes = 0;
    for (const [value, p] of vals) {
      if (name === METRIC_NAME) byMetric.push({ name: value, value: p.size });
      pairs.push({ name: `${name}=${value}`, value: p.size });
      bytes += value.length * p.size;
    }
    valueCount.push({ name, value: vals.size });
    memory.push({ name, value: bytes });
  }
  const empty = head.maxT === -Infinity;
  return {
    numSeries: head.numSeries,
    numChunks,
    minTime: empty || head.minT === Infinity ? 0 : head.minT,
    maxTime: empty ? 0 : head.maxT,
    seriesCountByMetricName: topN(byMetric, limit),
    labelValueCountByLabelName: topN(valueCount, limit),
    memoryInBytesByLabelName: topN(memory, limit),
    seriesCountByLabelValuePair: topN(pairs, limit),
  };
}
