/**
 * Strict, position-aware reading of a YAML document into typed values, the way Prometheus's
 * yaml.v2 UnmarshalStrict behaves: unknown fields are errors, scalars are coerced as yaml.v2 does
 * (a plain `0123` read as a string stays "0123"), and every error names the file, line and field.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { ConfigError } from './types.js';
import { parseDuration } from './duration.js';

export type MaybeNode = Node | null | undefined;
export type FieldHandler = (value: MaybeNode, key: Node) => void;

const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

export class YamlReader {
  constructor(
    readonly file: string | undefined,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  line(node: MaybeNode): number | undefined {
    const range = node?.range;
    return range ? this.lineCounter.linePos(range[0]).line : undefined;
  }

  fail(node: MaybeNode, field: string | undefined, message: string, line?: number): never {
    const l = line ?? this.line(node);
    const where = `${this.file ?? '<config>'}${l !== undefined ? `:${l}` : ''}`;
    throw new ConfigError(`${where}: ${message}`, this.file, l, field);
  }

  /** Follows aliases; null YAML scalars count as absent, as yaml.v2 leaves the Go zero value. */
  resolve(node: MaybeNode): MaybeNode {
    let n = node;
    for (let i = 0; i < 100 && n && isAlias(n); i++) n = n.resolve(this.doc) as Node | undefined;
    if (n && isScalar(n) && n.value === null) return null;
    return n;
  }

  private pairs(map: YAMLMap): Pair[] {
    const own: Pair[] = [];
    const merged: Pair[] = [];
    for (const p of map.items) {
      if (!isPair(p)) continue;
      const key = p.key as Node;
      if (isScalar(key) && key.type === 'PLAIN' && (key.value === '<<' || typeof key.value === 'symbol')) {
        const src = this.resolve(p.value as Node);
        const maps = src && isSeq(src) ? src.items.map((x) => this.resolve(x as Node)) : [src];
        for (const m of maps) if (m && isMap(m)) merged.push(...this.pairs(m));
      } else {
        own.push(p);
      }
    }
    const ownNames = new Set(own.map((p) => this.keyName(p.key as Node)));
    const fromMerge = new Map<string, Pair>();
    for (const p of merged) {
      const name = this.keyName(p.key as Node);
      if (!ownNames.has(name) && !fromMerge.has(name)) fromMerge.set(name, p);
    }
    return [...own, ...fromMerge.values()];
  }

  private keyName(key: Node): string {
    const k = this.resolve(key);
    if (k && isScalar(k)) return k.source ?? String(k.value);
    return this.fail(key, undefined, 'mapping keys must be scalars');
  }

  /** Reads a mapping field by field; a key without a handler is an error, as in strict unmarshalling. */
  object(node: MaybeNode, typeName: string, field: string, handlers: Record<string, FieldHandler>): void {
    const n = this.resolve(node);
    if (!n) return;
    if (!isMap(n)) this.fail(n, field, `cannot unmarshal ${this.kind(n)} into ${typeName}`);
    const seen = new Set<string>();
    for (const p of this.pairs(n as YAMLMap)) {
      const key = p.key as Node;
      const name = this.keyName(key);
      if (seen.has(name)) this.fail(key, name, `field ${name} already set in type ${typeName}`);
      seen.add(name);
      const h = Object.prototype.hasOwnProperty.call(handlers, name) ? handlers[name] : undefined;
      if (!h) this.fail(key, name, `field ${name} not found in type ${typeName}`);
      h(this.resolve(p.value as Node), key);
    }
  }

  /** Keys of a mapping with their value nodes, for free-form maps (labels, headers, params). */
  entries(node: MaybeNode, field: string, what: string): [string, MaybeNode, Node][] {
    const n = this.resolve(node);
    if (!n) return [];
    if (!isMap(n)) this.fail(n, field, `cannot unmarshal ${this.kind(n)} into ${what}`);
    const seen = new Set<string>();
    return this.pairs(n as YAMLMap).map((p) => {
      const name = this.keyName(p.key as Node);
      if (seen.has(name)) this.fail(p.key as Node, field, `key ${JSON.stringify(name)} already set in map`);
      seen.add(name);
      return [name, this.resolve(p.value as Node), p.key as Node];
    });
  }

  list(node: MaybeNode, field: string, what: string): MaybeNode[] {
    const n = this.resolve(node);
    if (!n) return [];
    if (!isSeq(n)) this.fail(n, field, `cannot unmarshal ${this.kind(n)} into []${what}`);
    return n.items.map((x) => this.resolve(x as Node));
  }

  kind(n: Node): string {
    if (isMap(n)) return '!!map';
    if (isSeq(n)) return '!!seq';
    if (isScalar(n)) {
      const v = n.value;
      if (typeof v === 'boolean') return `!!bool \`${this.text(n)}\``;
      if (typeof v === 'number') return `${Number.isInteger(v) ? '!!int' : '!!float'} \`${this.text(n)}\``;
      return `!!str \`${this.text(n)}\``;
    }
    return 'node';
  }

  private text(n: Scalar): string {
    return n.source ?? String(n.value);
  }

  /** yaml.v2 puts the literal text of any scalar into a Go string field. */
  str(node: MaybeNode, field: string): string | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    if (!isScalar(n)) this.fail(n, field, `cannot unmarshal ${this.kind(n)} into string`);
    return this.text(n as Scalar);
  }

  bool(node: MaybeNode, field: string): boolean | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    if (isScalar(n)) {
      if (typeof n.value === 'boolean') return n.value;
      const t = this.text(n);
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
    }
    return this.fail(n, field, `cannot unmarshal ${this.kind(n)} into bool`);
  }

  uint(node: MaybeNode, field: string): number | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    // yaml.v2 truncates a float into an integer field when it fits.
    if (isScalar(n) && typeof n.value === 'number' && Number.isFinite(n.value) && n.value >= 0) return Math.trunc(n.value);
    return this.fail(n, field, `cannot unmarshal ${this.kind(n)} into uint`);
  }

  int(node: MaybeNode, field: string): number | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    if (isScalar(n) && typeof n.value === 'number' && Number.isFinite(n.value)) return Math.trunc(n.value);
    return this.fail(n, field, `cannot unmarshal ${this.kind(n)} into int`);
  }

  float(node: MaybeNode, field: string): number | undefined {
    const n = this.resolve(node);
    if (!n) return undefined;
    if (isScalar(n) && typeof n.value === 'number') return n.value;
    return this.fail(n, field, `cannot unmarshal ${this.kind(n)} into float64`);
  }

  duration(node: MaybeNode, field: string): number | undefined {
    const s = this.str(node, field);
    if (s === undefined) return undefined;
    try {
      return parseDuration(s);
    } catch (e) {
      return this.fail(node, field, `${field}: ${(e as Error).message}`);
    }
  }

  strings(node: MaybeNode, field: string): string[] {
    return this.list(node, field, 'string').map((x) => this.str(x, field) ?? '');
  }

  stringMap(node: MaybeNode, field: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries(node, field, 'map[string]string')) out[k] = this.str(v, field) ?? '';
    return out;
  }

  /** The plain JavaScript value of a subtree, for sections kept as written. */
  plain(node: MaybeNode): unknown {
    const n = this.resolve(node);
    if (!n) return null;
    return n.toJS(this.doc);
  }
}
