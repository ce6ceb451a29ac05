/** /api/v1/rules and /api/v1/alerts in Prometheus 2.42's JSON shape (and /api/v1/alertmanagers). */
import type { FastifyInstance } from 'fastify';
import { formatFloat } from '../../lib/gotemplate/index.js';
import { labelsToRecord } from '../../model/labels.js';
import { sendData, sendError } from '../../server/prom-response.js';
import type { RuleAlertState, RuleManager, RuleState } from '../rules/manager.js';

export interface RulesApiDeps {
  rules: Pick<RuleManager, 'groups'>;
  /** Optional: lists the Alertmanagers alerts are sent to. */
  alertmanagers?: () => string[];
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped); 0 is Go's zero time. */
function goTime(ms: number): string {
  if (!ms) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

function alertJson(a: RuleAlertState): Record<string, unknown> {
  const out: Record<string, unknown> = {
    labels: labelsToRecord(a.labels),
    annotations: labelsToRecord(a.annotations),
    state: a.state,
    activeAt: goTime(a.activeAt),
  };
  if (a.keepFiringSince) out.keepFiringSince = goTime(a.keepFiringSince);
  out.value = formatFloat(a.value, 'e', -1);
  return out;
}

function ruleJson(r: RuleState): Record<string, unknown> {
  const common = {
    name: r.name,
    query: r.query,
    labels: r.labels,
  };
  const tail: Record<string, unknown> = { health: r.health };
  if (r.lastError) tail.lastError = r.lastError;
  tail.evaluationTime = r.evaluationTime;
  tail.lastEvaluation = goTime(r.lastEvaluation);
  if (r.type === 'alerting') {
    return {
      state: r.state,
      ...common,
      duration: r.duration / 1000,
      keepFiringFor: r.keepFiringFor / 1000,
      annotations: r.annotations,
      alerts: r.alerts.map(alertJson),
      ...tail,
      type: 'alerting',
    };
  }
  // Prometheus omits empty labels of recording rules (omitempty) but always writes them for alerting rules.
  const { labels, ...rest } = common;
  return { ...rest, ...(Object.keys(labels).length > 0 ? { labels } : {}), ...tail, type: 'recording' };
}

export function registerRulesApiRoutes(app: FastifyInstance, deps: RulesApiDeps): void {
  const rules = async (req: { query: unknown }, reply: Parameters<typeof sendData>[0]) => {
    const q = (req.query ?? {}) as Record<string, string | string[] | undefined>;
    const typ = String(Array.isArray(q.type) ? q.type[0] : (q.type ?? '')).toLowerCase();
    if (typ !== '' && typ !== 'alert' && typ !== 'record') return sendError(reply, 'bad_data', `invalid type parameter: ${JSON.stringify(typ)}`);
    const groups = deps.rules.groups().map((g) => ({
      name: g.name,
      file: g.file,
      rules: g.rules.filter((r) => typ === '' || (typ === 'alert' ? r.type === 'alerting' : r.type === 'recording')).map(ruleJson),
      interval: g.interval / 1000,
      limit: g.limit,
      evaluationTime: g.evaluationTime,
      lastEvaluation: goTime(g.lastEvaluation),
    }));
    return sendData(reply, { groups });
  };
  app.get('/api/v1/rules', rules);
  app.post('/api/v1/rules', rules);
  app.get('/api/v1/alerts', async (_req, reply) => {
    const alerts = deps.rules
      .groups()
      .flatMap((g) => g.rules)
      .filter((r) => r.type === 'alerting')
      .flatMap((r) => r.alerts.map(alertJson));
    return sendData(reply, { alerts });
  });
  if (deps.alertmanagers) {
    const list = deps.alertmanagers;
    app.get('/api/v1/alertmanagers', async (_req, reply) => sendData(reply, { activeAlertmanagers: list().map((url) => ({ url })), droppedAlertmanagers: [] }));
  }
}
