/**
 * How a scraped series' labels meet the target's labels (Prometheus 2.42's mutateSampleLabels and
 * mutateReportSampleLabels).
 */
import { METRIC_NAME, sortLabels, type Label, type Labels } from '../../model/labels.js';

const EXPORTED_PREFIX = 'exported_';

/**
 * With honor_labels the scraped value wins and target labels only fill gaps. Without it the target wins
 * and a clashing scraped label is kept as `exported_<name>` (prefixed again until the name is free).
 * Empty values are dropped, as Prometheus's label builder does.
 */
export function mergeTargetLabels(scraped: Labels, target: Labels, honorLabels: boolean): Labels {
  const m = new Map<string, string>();
  for (const l of scraped) if (l.value !== '') m.set(l.name, l.value);
  if (honorLabels) {
    for (const t of target) if (!m.has(t.name)) m.set(t.name, t.value);
  } else {
    const conflicts: Label[] = [];
    for (const t of target) {
      const existing = m.get(t.name);
      if (existing !== undefined) conflicts.push({ name: t.name, value: existing });
      m.set(t.name, t.value);
    }
    if (conflicts.length > 0) {
      // Shorter names first, so `a` claims `exported_a` before `exported_a` needs `exported_exported_a`.
      conflicts.sort((a, b) => a.name.length - b.name.length);
      const scrapedNames = new Set(scraped.map((l) => l.name));
      const targetNames = new Set(target.map((l) => l.name));
      const claimed = new Set<string>();
      for (const c of conflicts) {
        let name = c.name;
        for (;;) {
          name = EXPORTED_PREFIX + name;
          if (!scrapedNames.has(name) && !targetNames.has(name) && !claimed.has(name)) break;
        }
        claimed.add(name);
        m.set(name, c.value);
      }
    }
  }
  const out: Label[] = [];
  for (const [name, value] of m) out.push({ name, value });
  return sortLabels(out);
}

/** The label set of a report series such as `up`: the target's labels plus the name. */
export function reportLabels(metricName: string, target: Labels): Labels {
  const out: Label[] = [{ name: METRIC_NAME, value: metricName }];
  for (const t of target) if (t.name !== METRIC_NAME) out.push(t);
  return sortLabels(out);
}
