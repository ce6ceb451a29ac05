/**
 * Alertmanager API v2 under /alertmanager/api/v2 (alerts, alerts/groups, silences, silence/{id}, status,
 * receivers) in Alertmanager 0.25's JSON shapes, plus /alertmanager/-/ready and /-/healthy. Errors are 400
 * with the message as a JSON string, as Alertmanager answers.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PostableAlert } from '../notifier/types.js';
import { BUILD_INFO } from '../../server/build-info.js';
import { AlertValidationError, type Alertmanager } from './alertmanager.js';
import { matchesAll, parseMatchers, type AmMatcher } from './matchers.js';
import { compileSilenceMatchers, SilenceError, silenceState, type Silence, type SilenceMatcher } from './silences.js';
import { parseTime, type AmAlert } from './types.js';

export interface AlertmanagerApiDeps {
  am: Alertmanager;
  /** URL prefix; default /alertmanager. */
  prefix?: string;
}

/** strfmt.DateTime as go-swagger prints it: milliseconds, UTC. */
const dt = (ms: number) => new Date(ms).toISOString();

function bad(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).type('application/json').send(JSON.stringify(message));
}

function boolParam(v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  return s !== 'false' && s !== '0';
}

function filterParam(v: unknown): AmMatcher[] {
  const list = v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  return list.flatMap((f) => parseMatchers(f));
}

function silenceJson(s: Silence, now: number): Record<string, unknown> {
  return {
    id: s.id, status: { state: silenceState(s, now) }, updatedAt: dt(s.updatedAt),
    comment: s.comment, createdBy: s.createdBy, endsAt: dt(s.endsAt), matchers: s.matchers, startsAt: dt(s.startsAt),
  };
}

function parseSilenceBody(body: unknown): Omit<Silence, 'id' | 'updatedAt'> & { id?: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SilenceError('silence: expected a JSON object');
  const b = body as Record<string, unknown>;
  for (const f of ['matchers', 'startsAt', 'endsAt', 'createdBy', 'comment']) if (b[f] === undefined || b[f] === null) throw new SilenceError(`${f} in body is required`);
  if (!Array.isArray(b.matchers)) throw new SilenceError('matchers in body must be of type array');
  const matchers: SilenceMatcher[] = b.matchers.map((m: unknown, i: number) => {
    const x = (m ?? {}) as Record<string, unknown>;
    if (typeof x.name !== 'string') throw new SilenceError(`matchers.${i}.name in body is required`);
    if (typeof x.value !== 'string') throw new SilenceError(`matchers.${i}.value in body is required`);
    if (typeof x.isRegex !== 'boolean') throw new SilenceError(`matchers.${i}.isRegex in body is required`);
    return { name: x.name, value: x.value, isRegex: x.isRegex, isEqual: x.isEqual === undefined ? true : x.isEqual === true };
  });
  const startsAt = typeof b.startsAt === 'string' ? parseTime(b.startsAt) : undefined;
  const endsAt = typeof b.endsAt === 'string' ? parseTime(b.endsAt) : undefined;
  if (startsAt === undefined) throw new SilenceError(`startsAt in body must be of type date-time: ${JSON.stringify(b.startsAt)}`);
  if (endsAt === undefined) throw new SilenceError(`endsAt in body must be of type date-time: ${JSON.stringify(b.endsAt)}`);
  if (typeof b.createdBy !== 'string' || typeof b.comment !== 'string') throw new SilenceError('createdBy and comment must be strings');
  if (b.id !== undefined && typeof b.id !== 'string') throw new SilenceError('id in body must be of type string');
  return { id: b.id ? (b.id as string) : undefined, matchers, startsAt, endsAt, createdBy: b.createdBy, comment: b.comment };
}

export function registerAlertmanagerApiRoutes(app: FastifyInstance, deps: AlertmanagerApiDeps): void {
  const { am } = deps;
  const p = `${deps.prefix ?? '/alertmanager'}`;
  const v2 = `${p}/api/v2`;

  const alertJson = (a: AmAlert) => {
    const st = am.status(a);
    return {
      annotations: a.annotations, endsAt: dt(a.endsAt), fingerprint: a.fingerprint, receivers: am.receiversFor(a.labels).map((name) => ({ name })),
      startsAt: dt(a.startsAt), status: st, updatedAt: dt(a.updatedAt), generatorURL: a.generatorURL, labels: a.labels,
    };
  };

  const alertFilter = (q: Record<string, unknown>) => {
    const matchers = filterParam(q.filter);
    const silenced = boolParam(q.silenced, true);
    const inhibited = boolParam(q.inhibited, true);
    const active = boolParam(q.active, true);
    const receiverRe = q.receiver !== undefined ? new RegExp(`^(?:${String(q.receiver)})$`) : undefined;
    return (a: AmAlert, receivers?: string[]) => {
      if (!matchesAll(matchers, a.labels)) return false;
      if (receiverRe && !(receivers ?? am.receiversFor(a.labels)).some((r) => receiverRe.test(r))) return false;
      const st = am.status(a);
      if (!silenced && st.silencedBy.length > 0) return false;
      if (!inhibited && st.inhibitedBy.length > 0) return false;
      if (!active && st.state === 'active') return false;
      return true;
    };
  };

  const ok = async (_req: unknown, reply: FastifyReply) => reply.type('text/plain').send('OK');
  app.get(`${p}/-/ready`, ok);
  app.get(`${p}/-/healthy`, ok);

  app.get(`${v2}/alerts`, async (req, reply) => {
    let keep: ReturnType<typeof alertFilter>;
    try {
      keep = alertFilter(req.query as Record<string, unknown>);
    } catch (e) {
      return bad(reply, (e as Error).message);
    }
    const list = am.activeAlerts().filter((a) => keep(a)).sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : 1));
    return reply.send(list.map(alertJson));
  });

  app.post(`${v2}/alerts`, async (req, reply) => {
    if (!Array.isArray(req.body)) return bad(reply, 'alerts in body must be of type array');
    try {
      await am.receive(req.body as PostableAlert[]);
    } catch (e) {
      if (e instanceof AlertValidationError) return bad(reply, e.message);
      throw e;
    }
    return reply.code(200).send();
  });

  app.get(`${v2}/alerts/groups`, async (req, reply) => {
    let keep: ReturnType<typeof alertFilter>;
    try {
      keep = alertFilter(req.query as Record<string, unknown>);
    } catch (e) {
      return bad(reply, (e as Error).message);
    }
    const out = [];
    for (const g of am.alertGroups()) {
      const alerts = g.alerts.filter((a) => keep(a, [g.receiver]));
      if (alerts.length === 0) continue;
      out.push({ alerts: alerts.map(alertJson), labels: g.labels, receiver: { name: g.receiver } });
    }
    return reply.send(out);
  });

  app.get(`${v2}/silences`, async (req, reply) => {
    let matchers: AmMatcher[];
    try {
      matchers = filterParam((req.query as Record<string, unknown>).filter);
    } catch (e) {
      return bad(reply, (e as Error).message);
    }
    const clock = am.clock();
    const list = am.silences.list().filter((s) => {
      if (matchers.length === 0) return true;
      // amtool's filter: a silence matches when every filter matcher equals one of the silence's matchers' label set.
      const labels: Record<string, string> = {};
      for (const m of s.matchers) if (m.isEqual && !m.isRegex) labels[m.name] = m.value;
      return matchers.every((fm) => s.matchers.some((m) => m.name === fm.name && fm.matches(m.value))) || matchesAll(matchers, labels);
    });
    const order = { active: 0, pending: 1, expired: 2 } as const;
    list.sort((a, b) => {
      const sa = silenceState(a, clock);
      const sb = silenceState(b, clock);
      if (sa !== sb) return order[sa] - order[sb];
      if (sa === 'pending') return a.startsAt - b.startsAt;
      if (sa === 'expired') return b.endsAt - a.endsAt;
      return a.endsAt - b.endsAt;
    });
    return reply.send(list.map((s) => silenceJson(s, clock)));
  });

  app.post(`${v2}/silences`, async (req, reply) => {
    try {
      const s = parseSilenceBody(req.body);
      compileSilenceMatchers(s.matchers);
      const id = am.silences.set(s);
      return reply.send({ silenceID: id });
    } catch (e) {
      if (e instanceof SilenceError && e.notFound) return reply.code(404).type('application/json').send(JSON.stringify(e.message));
      return bad(reply, (e as Error).message);
    }
  });

  app.get(`${v2}/silence/:id`, async (req, reply) => {
    const s = am.silences.get((req.params as { id: string }).id);
    if (!s) return reply.code(404).send();
    return reply.send(silenceJson(s, am.clock()));
  });

  app.delete(`${v2}/silence/:id`, async (req, reply) => {
    try {
      am.silences.expire((req.params as { id: string }).id);
    } catch (e) {
      if (e instanceof SilenceError && e.notFound) return reply.code(404).send();
      return reply.code(500).type('application/json').send(JSON.stringify((e as Error).message));
    }
    return reply.code(200).send();
  });

  app.get(`${v2}/status`, async (_req, reply) => {
    return reply.send({
      cluster: { name: '', peers: [], status: 'disabled' },
      config: { original: am.currentConfig().original },
      uptime: dt(am.startedAt),
      versionInfo: { branch: BUILD_INFO.branch, buildDate: BUILD_INFO.buildDate, buildUser: BUILD_INFO.buildUser, goVersion: BUILD_INFO.goVersion, revision: BUILD_INFO.revision, version: BUILD_INFO.version },
    });
  });

  app.get(`${v2}/receivers`, async (_req, reply) => reply.send(am.receiverNames().map((name) => ({ name }))));
}
