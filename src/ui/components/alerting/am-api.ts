/** The built-in Alertmanager's API v2 (/alertmanager/api/v2) as the Silences page uses it. */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface GettableSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  updatedAt: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

const BASE = '/alertmanager/api/v2';

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  const text = await res.text();
  let msg = text;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'string') msg = v;
  } catch {
    // not JSON: keep the text
  }
  throw new Error(msg || `HTTP ${res.status}`);
}

export async function listSilences(signal?: AbortSignal): Promise<GettableSilence[]> {
  return (await (await check(await fetch(`${BASE}/silences`, { signal }))).json()) as GettableSilence[];
}

export async function createSilence(s: { matchers: SilenceMatcher[]; startsAt: string; endsAt: string; createdBy: string; comment: string }): Promise<string> {
  const res = await check(await fetch(`${BASE}/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(s) }));
  return ((await res.json()) as { silenceID: string }).silenceID;
}

export async function expireSilence(id: string): Promise<void> {
  await check(await fetch(`${BASE}/silence/${encodeURIComponent(id)}`, { method: 'DELETE' }));
}

const OPS = ['=~', '!~', '!=', '='] as const;

/** Parses one matcher per line (or comma-separated): name="value", name=~"re", name!="v", name!~"re". */
export function parseMatcherLines(text: string): SilenceMatcher[] {
  const out: SilenceMatcher[] = [];
  for (const raw of text.split(/\n/)) {
    const line = raw.trim().replace(/,$/, '');
    if (line === '') continue;
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*)$/.exec(line);
    if (!m) throw new Error(`Bad matcher: ${line}`);
    let value = m[3].trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = JSON.parse(value) as string;
    const op = m[2] as (typeof OPS)[number];
    out.push({ name: m[1], value, isRegex: op === '=~' || op === '!~', isEqual: op === '=' || op === '=~' });
  }
  return out;
}

export function matcherText(m: SilenceMatcher): string {
  return `${m.name}${m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!='}${JSON.stringify(m.value)}`;
}

/** The link that opens the silence form prefilled with an alert's labels. */
export function silenceLinkFor(labels: Readonly<Record<string, string>>): string {
  const text = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join('\n');
  return `/silences?matchers=${encodeURIComponent(text)}`;
}
