/**
 * GET /federate: the newest sample of every series matching any `match[]` selector, in the text exposition
 * format with timestamps, so an upstream Prometheus (or Sextant) can scrape this one with honor_labels.
 */
import type { FastifyInstance } from 'fastify';
import type { Storage } from '../storage/interface.js';
import type { Matcher } from '../../model/matcher.js';
import { labelsKey, METRIC_NAME, type Labels } from '../../model/labels.js';
import { isStaleNaN } from '../../model/value.js';
import { TEXT_CONTENT_TYPE, writeFamily, type Sample } from '../collectors/exposition.js';
import { multi, paramsOf } from './params.js';

export interface FederateDeps {
  storage: Storage;
  externalLabels: () => Record<string, string>;
  /** Parses a series selector (`up{job="x"}`) into matchers; throws with a message on a bad selector. */
  parseSelector: (text: string) => Matcher[];
  lookbackDeltaMs?: number;
  now?: () => number;
}

export function registerFederateRoutes(app: FastifyInstance, deps: FederateDeps): void {
  app.get('/federate', async (req, reply) => {
    const selectors = multi(paramsOf(req), 'match[]');
    let matcherSets: Matcher[][];
    try {
      matcherSets = selectors.map((s) => deps.parseSelector(s));
    } catch (err) {
      return reply.code(400).type('text/plain').send(`${(err as Error).message}\n`);
    }
    const now = (deps.now ?? Date.now)();
    const mint = now - (deps.lookbackDeltaMs ?? 300000);
    const querier = deps.storage.querier();
    const external = Object.entries(deps.externalLabels());
    const seen = new Set<string>();
    const byName = new Map<string, Sample[]>();
    for (const matchers of matcherSets) {
      for (const s of await querier.select(matchers, mint, now)) {
        const key = labelsKey(s.labels);
        if (seen.has(key)) continue;
        seen.add(key);
        const n = s.timestamps.length;
        if (n === 0) continue;
        const v = s.values[n - 1];
        // A stale marker means the series ended: federation does not resurrect it.
        if (isStaleNaN(v)) continue;
        const { name, labels } = splitName(s.labels, external);
        let list = byName.get(name);
        if (!list) byName.set(name, (list = []));
        list.push({ labels, value: v, timestampMs: s.timestamps[n - 1] });
      }
    }
    let body = '';
    for (const name of [...byName.keys()].sort()) body += writeFamily(name, 'untyped', '', byName.get(name)!, { allowReservedLabels: true });
    return reply.type(TEXT_CONTENT_TYPE).send(body);
  });
}

/** Separates the metric name and adds external labels the series does not already carry. */
function splitName(labels: Labels, external: [string, string][]): { name: string; labels: Record<string, string> } {
  let name = '';
  const out: Record<string, string> = {};
  for (const l of labels) {
    if (l.name === METRIC_NAME) name = l.value;
    else out[l.name] = l.value;
  }
  for (const [k, v] of external) if (!(k in out)) out[k] = v;
  return { name, labels: out };
}
