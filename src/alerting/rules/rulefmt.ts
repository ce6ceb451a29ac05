/**
 * Prometheus rule files (rulefmt): strict YAML (unknown fields are errors), `record` xor `alert`, valid
 * names, PromQL expressions that parse, templates that parse. Errors name the file, line:column, group,
 * rule index and name as Prometheus 2.42 prints them:
 *   `rules.yml: 11:11: group "g", rule 3, "x": could not parse expression: 1:5: parse error: ...`
 */
import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { parseDuration } from '../../config/duration.js';
import { isValidLabelName, isValidMetricName } from '../../model/labels.js';
import { parseExpr } from '../../metrics/promql/parser/index.js';
import { parseTestTemplate } from './template.js';

export interface RuleDef {
  record?: string;
  alert?: string;
  expr: string;
  /** ms */
  for: number;
  /** ms */
  keepFiringFor: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroupDef {
  name: string;
  /** ms; 0 = the global evaluation_interval */
  interval: number;
  limit: number;
  rules: RuleDef[];
}

export class RuleFileError extends Error {
  constructor(
    readonly file: string,
    readonly errors: string[],
  ) {
    super(errors.map((e) => `${file}: ${e}`).join('; '));
    this.name = 'RuleFileError';
  }
}

type Pos = { line: number; col: number } | undefined;

class Ctx {
  errors: string[] = [];
  constructor(private readonly lc: LineCounter) {}
  pos(n: Node | null | undefined): Pos {
    const r = n?.range;
    return r ? this.lc.linePos(r[0]) : undefined;
  }
}

function kindOf(n: Node): string {
  if (isMap(n)) return '!!map';
  if (isSeq(n)) return '!!seq';
  if (isScalar(n)) {
    const v = n.value;
    const src = (n as Scalar).source ?? String(v);
    if (typeof v === 'boolean') return `!!bool \`${src}\``;
    if (typeof v === 'number') return `${Number.isInteger(v) ? '!!int' : '!!float'} \`${src}\``;
    return `!!str \`${src}\``;
  }
  return 'node';
}

/** yaml.v3 strict decoding errors: "line N: field X not found in type T", collected like yaml.TypeError. */
class Decoder {
  typeErrors: string[] = [];
  constructor(
    private readonly ctx: Ctx,
    private readonly doc: Document,
  ) {}

  /** Follows aliases (yaml.v3 resolves anchors transparently). */
  resolve(n: Node | null | undefined): Node | null | undefined {
    let x = n;
    for (let i = 0; i < 100 && x && isAlias(x); i++) x = x.resolve(this.doc) as Node | undefined;
    return x;
  }

  /** A mapping's pairs with `<<` merge keys expanded (own keys win). */
  pairs(m: YAMLMap): Pair[] {
    const own: Pair[] = [];
    const merged: Pair[] = [];
    for (const p of m.items as Pair[]) {
      const k = p.key as Node;
      if (isScalar(k) && (k.value === '<<' || typeof k.value === 'symbol')) {
        const src = this.resolve(p.value as Node);
        const maps = src && isSeq(src) ? src.items.map((x) => this.resolve(x as Node)) : [src];
        for (const mm of maps) if (mm && isMap(mm)) merged.push(...this.pairs(mm as YAMLMap));
      } else own.push(p);
    }
    const names = new Set(own.map((p) => String((p.key as Scalar).value)));
    return [...own, ...merged.filter((p) => !names.has(String((p.key as Scalar).value)))];
  }

  fields(node: Node | null | undefined, type: string, known: readonly string[]): Map<string, { key: Node; value: Node | null }> {
    const n = this.resolve(node);
    const out = new Map<string, { key: Node; value: Node | null }>();
    if (!n || (isScalar(n) && n.value === null)) return out;
    if (!isMap(n)) {
      this.typeErrors.push(`line ${this.ctx.pos(n)?.line}: cannot unmarshal ${kindOf(n)} into ${type}`);
      return out;
    }
    for (const p of this.pairs(n as YAMLMap)) {
      const key = p.key as Node;
      const name = isScalar(key) ? String((key as Scalar).value) : '';
      if (!known.includes(name)) {
        this.typeErrors.push(`line ${this.ctx.pos(key)?.line}: field ${name} not found in type ${type}`);
        continue;
      }
      if (out.has(name)) {
        this.typeErrors.push(`line ${this.ctx.pos(key)?.line}: mapping key "${name}" already defined at line ${this.ctx.pos(out.get(name)?.key)?.line}`);
        continue;
      }
      out.set(name, { key, value: this.resolve(p.value as Node | null) ?? null });
    }
    return out;
  }

  str(node: Node | null | undefined, type = 'string'): string {
    const n = this.resolve(node);
    if (!n) return '';
    if (isScalar(n)) return n.value === null ? '' : String((n as Scalar).source ?? n.value);
    this.typeErrors.push(`line ${this.ctx.pos(n)?.line}: cannot unmarshal ${kindOf(n)} into ${type}`);
    return '';
  }

  int(node: Node | null | undefined): number {
    const n = this.resolve(node);
    if (!n || (isScalar(n) && n.value === null)) return 0;
    if (isScalar(n) && typeof n.value === 'number' && Number.isInteger(n.value)) return n.value;
    this.typeErrors.push(`line ${this.ctx.pos(n)?.line}: cannot unmarshal ${kindOf(n)} into int`);
    return 0;
  }

  /** A bad duration is the unmarshaler's own error, reported as is (not a yaml type error). */
  fatal: string | undefined;

  duration(n: Node | null | undefined): number {
    if (!n || (isScalar(n) && n.value === null)) return 0;
    const s = this.str(n, 'model.Duration');
    try {
      return parseDuration(s);
    } catch (e) {
      this.fatal ??= (e as Error).message;
      return 0;
    }
  }

  stringMap(node: Node | null | undefined): Record<string, string> {
    const n = this.resolve(node);
    const out: Record<string, string> = {};
    if (!n || (isScalar(n) && n.value === null)) return out;
    if (!isMap(n)) {
      this.typeErrors.push(`line ${this.ctx.pos(n)?.line}: cannot unmarshal ${kindOf(n)} into map[string]string`);
      return out;
    }
    for (const p of this.pairs(n as YAMLMap)) {
      const k = this.str(p.key as Node);
      out[k] = this.str(p.value as Node | null);
    }
    return out;
  }

  list(node: Node | null | undefined, type: string): Node[] {
    const n = this.resolve(node);
    if (!n || (isScalar(n) && n.value === null)) return [];
    if (!isSeq(n)) {
      this.typeErrors.push(`line ${this.ctx.pos(n)?.line}: cannot unmarshal ${kindOf(n)} into []${type}`);
      return [];
    }
    return n.items as Node[];
  }
}

const GROUP_FIELDS = ['name', 'interval', 'limit', 'rules'] as const;
const RULE_FIELDS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'] as const;

/** Parses and validates rule file text; returns the groups or the list of errors (each without the file prefix). */
export function parseRules(text: string): { groups: RuleGroupDef[]; errors: string[] } {
  const lc = new LineCounter();
  // yaml.v3's Unmarshal reads the first document of a stream and ignores the rest.
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: false, strict: false, merge: true });
  const doc = (Array.isArray(docs) ? docs[0] : undefined) ?? parseAllDocuments('{}')[0];
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    return { groups: [], errors: [`yaml: line ${line ?? 0}: ${e.message.split('\n')[0]}`] };
  }
  const ctx = new Ctx(lc);
  const dec = new Decoder(ctx, doc as Document);
  const top = dec.fields(doc.contents as Node | null, 'rulefmt.RuleGroups', ['groups']);
  const groupNodes = dec.list(top.get('groups')?.value, 'rulefmt.RuleGroup');
  const groups: RuleGroupDef[] = [];
  const ruleNodes: { key: Map<string, { key: Node; value: Node | null }> }[][] = [];
  for (const gn of groupNodes) {
    const f = dec.fields(gn, 'rulefmt.RuleGroup', GROUP_FIELDS);
    const g: RuleGroupDef = {
      name: dec.str(f.get('name')?.value),
      interval: dec.duration(f.get('interval')?.value),
      limit: dec.int(f.get('limit')?.value),
      rules: [],
    };
    const nodes: { key: Map<string, { key: Node; value: Node | null }> }[] = [];
    for (const rn of dec.list(f.get('rules')?.value, 'rulefmt.RuleNode')) {
      const rf = dec.fields(rn, 'rulefmt.RuleNode', RULE_FIELDS);
      const rec = rf.has('record') ? dec.str(rf.get('record')?.value) : undefined;
      const alert = rf.has('alert') ? dec.str(rf.get('alert')?.value) : undefined;
      g.rules.push({
        record: rec === '' ? undefined : rec,
        alert: alert === '' ? undefined : alert,
        expr: dec.str(rf.get('expr')?.value),
        for: dec.duration(rf.get('for')?.value),
        keepFiringFor: dec.duration(rf.get('keep_firing_for')?.value),
        labels: dec.stringMap(rf.get('labels')?.value),
        annotations: dec.stringMap(rf.get('annotations')?.value),
      });
      nodes.push({ key: rf });
    }
    groups.push(g);
    ruleNodes.push(nodes);
  }
  if (dec.fatal !== undefined) return { groups: [], errors: [dec.fatal] };
  if (dec.typeErrors.length > 0) {
    return { groups: [], errors: [`yaml: unmarshal errors:\n  ${dec.typeErrors.join('\n  ')}`] };
  }
  const errors: string[] = [];
  const seen = new Set<string>();
  groups.forEach((g, gi) => {
    const gp = ctx.pos(groupNodes[gi]);
    const gloc = gp ? `${gp.line}:${gp.col}: ` : '';
    if (g.name === '') errors.push(`${gloc}Groupname must not be empty`);
    else if (seen.has(g.name)) errors.push(`${gloc}groupname: "${g.name}" is repeated in the same file`);
    seen.add(g.name);
    g.rules.forEach((r, ri) => {
      const nodes = ruleNodes[gi][ri].key;
      const ruleName = r.alert ?? r.record ?? '';
      // Prometheus prints the YAML node's line:column; a field that is absent is a zero node (0:0).
      const where = (node: Node | null | undefined | 'none', alt?: Node | null): string => {
        const fmt = (n: Node | null | undefined) => {
          const p = n ? ctx.pos(n) : undefined;
          return p ? `${p.line}:${p.col}: ` : '0:0: ';
        };
        const loc = node === 'none' ? '' : fmt(node) + (alt !== undefined ? fmt(alt) : '');
        return `${loc}group ${JSON.stringify(g.name)}, rule ${ri + 1}, ${JSON.stringify(ruleName)}`;
      };
      for (const msg of validateRule(r, nodes, where)) errors.push(msg);
    });
  });
  return { groups, errors };
}

function validateRule(r: RuleDef, nodes: Map<string, { key: Node; value: Node | null }>, where: (n: Node | null | undefined | 'none', alt?: Node | null) => string): string[] {
  const errs: string[] = [];
  const recNode = nodes.get('record')?.value;
  const alertNode = nodes.get('alert')?.value;
  const exprNode = nodes.get('expr')?.value;
  if (r.record !== undefined && r.alert !== undefined) {
    errs.push(`${where(recNode, alertNode)}: only one of 'record' and 'alert' must be set`);
  }
  if (r.record === undefined && r.alert === undefined) {
    errs.push(`${where(recNode)}: one of 'record' or 'alert' must be set`);
  }
  if (r.expr === '') {
    errs.push(`${where(exprNode)}: field 'expr' must be set in rule`);
  } else {
    try {
      parseExpr(r.expr);
    } catch (e) {
      errs.push(`${where(exprNode)}: could not parse expression: ${(e as Error).message}`);
    }
  }
  if (r.record !== undefined) {
    if (Object.keys(r.annotations).length > 0) errs.push(`${where(recNode)}: invalid field 'annotations' in recording rule`);
    if (r.for !== 0) errs.push(`${where(recNode)}: invalid field 'for' in recording rule`);
    if (r.keepFiringFor !== 0) errs.push(`${where(recNode)}: invalid field 'keep_firing_for' in recording rule`);
    if (!isValidMetricName(r.record)) errs.push(`${where(recNode)}: invalid recording rule name: ${r.record}`);
  }
  for (const [k, v] of sorted(r.labels)) {
    if (!isValidLabelName(k) || k === '__name__') errs.push(`${where('none')}: invalid label name: ${k}`);
    if (!isValidUtf8(v)) errs.push(`${where('none')}: invalid label value: ${v}`);
  }
  for (const [k] of sorted(r.annotations)) {
    if (!isValidLabelName(k)) errs.push(`${where('none')}: invalid annotation name: ${k}`);
  }
  if (r.alert !== undefined && r.record === undefined) {
    const name = `__alert_${r.alert}`;
    for (const [k, v] of sorted(r.labels)) {
      const e = parseTestTemplate(name, v);
      if (e) errs.push(`${where('none')}: label ${JSON.stringify(k)}: ${e}`);
    }
    for (const [k, v] of sorted(r.annotations)) {
      const e = parseTestTemplate(name, v);
      if (e) errs.push(`${where('none')}: annotation ${JSON.stringify(k)}: ${e}`);
    }
  }
  return errs;
}

function sorted(m: Record<string, string>): [string, string][] {
  return Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function isValidUtf8(s: string): boolean {
  return !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
}

/** Reads and validates one rule file; throws RuleFileError listing every problem. */
export async function loadRuleFile(file: string): Promise<RuleGroupDef[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new RuleFileError(file, [(e as Error).message]);
  }
  const { groups, errors } = parseRules(text);
  if (errors.length > 0) throw new RuleFileError(file, errors);
  return groups;
}
