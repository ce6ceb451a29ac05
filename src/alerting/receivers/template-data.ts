/**
 * Alertmanager's notification template data (.Status, .Alerts with .Firing/.Resolved, .GroupLabels with
 * .SortedPairs/.Names/.Values/.Remove, .CommonLabels, .CommonAnnotations, .ExternalURL, .Receiver), the
 * template function map, and a template set holding the default templates plus the configured files.
 */
import { readFileSync } from 'node:fs';
import { Template, struct, variadic, type FuncMap, type GoValue } from '../../lib/gotemplate/index.js';
import { DEFAULT_TEMPLATES } from './default-templates.js';

/** An alert as the notification integrations see it. Times are ms; endsAt 0 while firing. */
export interface NotifyAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
  fingerprint: string;
}

export interface NotifyData {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: NotifyAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  groupKey: string;
}

class Pair {
  constructor(
    readonly Name: string,
    readonly Value: string,
  ) {
    struct(this, 'template.Pair');
  }
}

function pairs(list: Pair[]): Pair[] {
  const arr = [...list] as Pair[] & { Names?: () => string[]; Values?: () => string[] };
  arr.Names = () => list.map((p) => p.Name);
  arr.Values = () => list.map((p) => p.Value);
  return arr;
}

/** template.KV: a string map with methods (prototype functions are methods to the template engine). */
export class KV {
  [label: string]: GoValue;
  constructor(m: Record<string, string>) {
    for (const k of Object.keys(m)) this[k] = m[k];
  }
  private own(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const k of Object.keys(this)) o[k] = this[k] as string;
    return o;
  }
  SortedPairs(): Pair[] {
    const o = this.own();
    return pairs(Object.keys(o).sort().map((k) => new Pair(k, o[k])));
  }
  Names(): string[] {
    return Object.keys(this.own()).sort();
  }
  Values(): string[] {
    const o = this.own();
    return Object.keys(o).sort().map((k) => o[k]);
  }
  Remove(keys: readonly string[]): KV {
    const o = this.own();
    for (const k of keys) delete o[k];
    return new KV(o);
  }
}

/** Go's time.Time String(): `2006-01-02 15:04:05.999999999 +0000 UTC`. */
function goTimeValue(ms: number): GoValue {
  const d = new Date(ms);
  return struct({ String: () => (ms === 0 ? '0001-01-01 00:00:00 +0000 UTC' : `${d.toISOString().replace('T', ' ').replace(/\.?0*Z$/, '')} +0000 UTC`), Unix: () => BigInt(Math.floor(ms / 1000)) }, 'time.Time') as unknown as GoValue;
}

function alertValue(a: NotifyAlert): GoValue {
  return struct(
    {
      Status: a.status, Labels: new KV(a.labels) as unknown as GoValue, Annotations: new KV(a.annotations) as unknown as GoValue,
      StartsAt: goTimeValue(a.startsAt), EndsAt: goTimeValue(a.endsAt), GeneratorURL: a.generatorURL, Fingerprint: a.fingerprint,
    },
    'template.Alert',
  );
}

function alertList(list: NotifyAlert[]): GoValue {
  const arr = list.map(alertValue) as GoValue[] & { Firing?: () => GoValue; Resolved?: () => GoValue };
  arr.Firing = () => alertList(list.filter((a) => a.status === 'firing'));
  arr.Resolved = () => alertList(list.filter((a) => a.status === 'resolved'));
  return arr;
}

export function templateData(d: NotifyData): GoValue {
  return struct(
    {
      Receiver: d.receiver, Status: d.status, Alerts: alertList(d.alerts), GroupLabels: new KV(d.groupLabels) as unknown as GoValue,
      CommonLabels: new KV(d.commonLabels) as unknown as GoValue, CommonAnnotations: new KV(d.commonAnnotations) as unknown as GoValue,
      ExternalURL: d.externalURL,
    },
    'template.Data',
  );
}

/** Alertmanager's template function map. */
export function alertmanagerFuncs(): FuncMap {
  const titleCase = (s: string) => s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase());
  return {
    toUpper: (s: string) => s.toUpperCase(),
    toLower: (s: string) => s.toLowerCase(),
    title: (s: string) => titleCase(s),
    trimSpace: (s: string) => s.trim(),
    join: (sep: string, list: readonly string[]) => list.join(sep),
    match: (re: string, s: string) => new RegExp(re).test(s),
    safeHtml: (s: string) => s,
    reReplaceAll: (re: string, repl: string, text: string) => text.replace(new RegExp(re, 'g'), repl.replace(/\$\{?(\w+)\}?/g, '$$$1')),
    stringSlice: variadic((...s: string[]) => s),
    date: (layout: string, t: { String?: () => string }) => (typeof t?.String === 'function' ? t.String() : String(layout)),
    tz: (_name: string, t: GoValue) => t,
  };
}

/** The default templates plus the configured template files (glob already expanded). */
export function buildTemplates(files: readonly string[]): Template {
  const t = new Template('alertmanager', alertmanagerFuncs()).option('missingkey=zero');
  t.parseNamed('default.tmpl', DEFAULT_TEMPLATES);
  for (const f of files) t.parseNamed(f, readFileSync(f, 'utf8'));
  return t;
}

/** Renders one configured template string (a field such as `title`) against the data. */
export function renderText(tmpl: Template, text: string, data: GoValue): string {
  if (!text.includes('{{')) return text;
  const name = `__field_${text}`;
  if (!tmpl.lookup(name)) tmpl.parseNamed(name, text);
  return tmpl.executeTemplate(name, data);
}
