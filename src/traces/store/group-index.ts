/**
 * The attribute index of a block's span groups (`attrs.bin`): for every compressed group of trace records, a
 * Bloom filter of the (scope, key, value) entries of its spans and, for up to MAX_NUMERIC_KEYS keys with
 * numeric values, the group's min and max. A search whose attribute conditions cannot hold on any span of a
 * group does not read or inflate it. Conservative by construction: "maybe" whenever the index cannot decide
 * (values too long or not scalar are recorded as "has an unindexed value" for their key).
 *
 *   attrs.bin   u32 groups G | u32 numeric keys K | (G+1) x u32 Bloom byte offsets | Bloom bytes (padded to 8) |
 *               K x (G x f64 min, G x f64 max)   (NaN: no numeric value of that key in the group)
 *
 * The equality semantics mirror span-match.ts's matchCondition: a string condition equals a value's text
 * (numbers, bigints and booleans by their decimal/`true` text), a numeric condition equals anything whose
 * number is the same (so the numeric string "500" and the int 500 both answer `= 500`).
 */
import type { AttrValue, Attributes, Span } from '../model.js';
import type { SpanCondition } from './interface.js';

/** Values longer than this are not indexed (their key is marked as having an unindexed value). */
export const MAX_INDEXED_VALUE_LEN = 256;
/** Numeric keys with per-group min/max, per block (the first ones seen; others answer "maybe"). */
export const MAX_NUMERIC_KEYS = 32;
const BITS_PER_ENTRY = 10;
const HASHES = 7;

type Scope = 's' | 'r';

function entry(scope: Scope, key: string, text: string): string {
  return `${scope}\u0001${key}\u0001${text}`;
}
function unindexed(scope: Scope, key: string): string {
  return `${scope}\u0001${key}\u0002`;
}
/** The key is present in the group: checked first, so an absent key is ruled out at about FP² odds. */
function present(scope: Scope, key: string): string {
  return `${scope}\u0001${key}`;
}
function scopedName(scope: Scope, key: string): string {
  return `${scope === 's' ? 'span' : 'resource'}.${key}`;
}

/** A number for numeric comparisons, as matchCondition's toNumber. */
function numberOf(v: AttrValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** The texts under which a value is entered: its own text and, when numeric, its canonical number. */
function texts(v: AttrValue): string[] | undefined {
  if (typeof v === 'string') {
    if (v.length > MAX_INDEXED_VALUE_LEN) return undefined;
    const n = numberOf(v);
    return n !== undefined && String(n) !== v ? [v, String(n)] : [v];
  }
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (typeof v === 'bigint') {
    const t = v.toString();
    const n = String(Number(v));
    return n !== t ? [t, n] : [t];
  }
  return undefined;
}

/** The hash of format version 1 (two FNV-1a variants with a weak finish): kept to read blocks written with it. */
function hash2v1(s: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  return [h1 >>> 0, (h2 | 1) >>> 0];
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Version 2: FNV-1a and a second multiplicative hash, both fully mixed, so entries that differ only in their
 *  last characters (a key's values) land on independent bits (version 1 showed ~5 % false positives there). */
function hash2v2(s: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 + c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  return [fmix32(h1), fmix32(h2 ^ s.length) | 1];
}

export type GroupIndexVersion = 1 | 2;
export const CURRENT_GROUP_INDEX_VERSION: GroupIndexVersion = 2;
const HASHES_BY_VERSION = { 1: hash2v1, 2: hash2v2 } as const;

function bloomAdd(bits: Uint8Array, off: number, nbits: number, s: string, hash2: (s: string) => [number, number]): void {
  const [a, b] = hash2(s);
  for (let i = 0; i < HASHES; i++) {
    const p = (a + Math.imul(i, b)) >>> 0;
    const bit = p % nbits;
    bits[off + (bit >>> 3)] |= 1 << (bit & 7);
  }
}

function bloomHas(bits: Uint8Array, off: number, nbits: number, s: string, hash2: (s: string) => [number, number]): boolean {
  if (nbits === 0) return false;
  const [a, b] = hash2(s);
  for (let i = 0; i < HASHES; i++) {
    const p = (a + Math.imul(i, b)) >>> 0;
    const bit = p % nbits;
    if ((bits[off + (bit >>> 3)] & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** Collects the groups' entries while a block is written; `finish()` gives attrs.bin and the numeric keys. */
export class GroupIndexBuilder {
  private readonly entries: Set<string>[] = [];
  private cur = new Set<string>();
  private curMin = new Map<number, number>();
  private curMax = new Map<number, number>();
  private readonly mins: Map<number, number>[] = [];
  private readonly maxs: Map<number, number>[] = [];
  private readonly numericKeys = new Map<string, number>();
  private readonly unindexedKeys = new Set<string>();

  constructor(readonly version: GroupIndexVersion = CURRENT_GROUP_INDEX_VERSION) {}

  addSpan(s: Span): void {
    this.addAttrs('s', s.attributes);
    this.addAttrs('r', s.resource);
  }

  private addAttrs(scope: Scope, attrs: Attributes): void {
    for (const k in attrs) {
      const v = attrs[k];
      this.cur.add(present(scope, k));
      const ts = v === undefined ? undefined : texts(v);
      if (ts) for (const t of ts) this.cur.add(entry(scope, k, t));
      else {
        this.cur.add(unindexed(scope, k));
        this.unindexedKeys.add(scopedName(scope, k));
      }
      const n = v === undefined ? undefined : numberOf(v);
      if (n === undefined || Number.isNaN(n)) continue;
      const name = `${scope}\u0001${k}`;
      let id = this.numericKeys.get(name);
      if (id === undefined) {
        if (this.numericKeys.size >= MAX_NUMERIC_KEYS) continue;
        this.numericKeys.set(name, (id = this.numericKeys.size));
      }
      const lo = this.curMin.get(id);
      if (lo === undefined || n < lo) this.curMin.set(id, n);
      const hi = this.curMax.get(id);
      if (hi === undefined || n > hi) this.curMax.set(id, n);
    }
  }

  /** Ends the current group (called once per compressed group, in order). */
  closeGroup(): void {
    this.entries.push(this.cur);
    this.mins.push(this.curMin);
    this.maxs.push(this.curMax);
    this.cur = new Set();
    this.curMin = new Map();
    this.curMax = new Map();
  }

  /** attrs.bin; the numeric keys (file order) and the keys with unindexed values go to meta.json. */
  finish(): { bytes: Buffer; numericKeys: string[]; unindexedKeys: string[] } {
    const g = this.entries.length;
    const k = this.numericKeys.size;
    const sizes = this.entries.map((e) => (e.size === 0 ? 0 : Math.ceil((e.size * BITS_PER_ENTRY) / 8)));
    const bloomLen = sizes.reduce((a, b) => a + b, 0);
    const head = 8 + 4 * (g + 1);
    const numOff = Math.ceil((head + bloomLen) / 8) * 8;
    const buf = Buffer.alloc(numOff + k * g * 16);
    buf.writeUInt32LE(g, 0);
    buf.writeUInt32LE(k, 4);
    let at = 0;
    for (let i = 0; i < g; i++) {
      buf.writeUInt32LE(at, 8 + 4 * i);
      const nbits = sizes[i] * 8;
      for (const e of this.entries[i]) bloomAdd(buf, head + at, nbits, e, HASHES_BY_VERSION[this.version]);
      at += sizes[i];
    }
    buf.writeUInt32LE(at, 8 + 4 * g);
    for (let key = 0; key < k; key++) {
      const base = numOff + key * g * 16;
      for (let i = 0; i < g; i++) {
        buf.writeDoubleLE(this.mins[i].get(key) ?? NaN, base + 8 * i);
        buf.writeDoubleLE(this.maxs[i].get(key) ?? NaN, base + 8 * (g + i));
      }
    }
    return {
      bytes: buf,
      numericKeys: [...this.numericKeys.keys()].map((n) => n.replace('\u0001', '.').replace(/^s\./, 'span.').replace(/^r\./, 'resource.')),
      unindexedKeys: [...this.unindexedKeys].sort(),
    };
  }
}

/** A loaded attrs.bin. */
export class GroupIndex {
  private readonly groups: number;
  private readonly head: number;
  private readonly numOff: number;
  private readonly numeric: Map<string, number>;
  private readonly hash2: (s: string) => [number, number];

  /** Keys some span of the block has an unindexed value for (version 2; undefined: any key may have one). */
  private readonly unindexedKeys: ReadonlySet<string> | undefined;

  constructor(
    private readonly buf: Buffer,
    numericKeys: readonly string[],
    version: GroupIndexVersion = CURRENT_GROUP_INDEX_VERSION,
    unindexedKeys?: readonly string[],
  ) {
    this.unindexedKeys = unindexedKeys ? new Set(unindexedKeys) : undefined;
    if (version !== 1 && version !== 2) throw new Error(`attrs.bin: unknown version ${String(version)}`);
    this.hash2 = HASHES_BY_VERSION[version];
    this.groups = buf.readUInt32LE(0);
    const k = buf.readUInt32LE(4);
    if (k !== numericKeys.length) throw new Error('attrs.bin: numeric key count does not match meta.json');
    this.head = 8 + 4 * (this.groups + 1);
    const bloomLen = buf.readUInt32LE(8 + 4 * this.groups);
    this.numOff = Math.ceil((this.head + bloomLen) / 8) * 8;
    if (buf.length !== this.numOff + k * this.groups * 16) throw new Error('attrs.bin: size mismatch');
    this.numeric = new Map(numericKeys.map((n, i) => [n, i]));
  }

  get groupCount(): number {
    return this.groups;
  }

  private has(g: number, s: string): boolean {
    const off = this.buf.readUInt32LE(8 + 4 * g);
    const end = this.buf.readUInt32LE(8 + 4 * (g + 1));
    return bloomHas(this.buf, this.head + off, (end - off) * 8, s, this.hash2);
  }

  private range(g: number, scope: Scope, key: string): [number, number] | undefined | 'unknown' {
    const id = this.numeric.get(`${scope === 's' ? 'span' : 'resource'}.${key}`);
    if (id === undefined) return 'unknown';
    const base = this.numOff + id * this.groups * 16;
    const lo = this.buf.readDoubleLE(base + 8 * g);
    if (Number.isNaN(lo)) return undefined;
    return [lo, this.buf.readDoubleLE(base + 8 * (this.groups + g))];
  }

  /** False only when no span of group `g` can satisfy every condition. */
  mayMatch(g: number, conditions: readonly SpanCondition[]): boolean {
    for (const c of conditions) if (!this.mayMatchOne(g, c)) return false;
    return true;
  }

  private mayMatchOne(g: number, c: SpanCondition): boolean {
    const target = indexedField(c.field);
    if (!target) return true;
    const v = c.value;
    if (c.op === '=') {
      let probe: string;
      if (typeof v === 'string' || typeof v === 'boolean') probe = String(v);
      else if (typeof v === 'number' || typeof v === 'bigint') probe = String(Number(v));
      else return true;
      return target.scopes.some(
        (sc) =>
          this.has(g, present(sc, target.key)) &&
          (this.has(g, entry(sc, target.key, probe)) ||
            ((this.unindexedKeys === undefined || this.unindexedKeys.has(scopedName(sc, target.key))) && this.has(g, unindexed(sc, target.key)))),
      );
    }
    if ((c.op === '>' || c.op === '>=' || c.op === '<' || c.op === '<=') && (typeof v === 'number' || typeof v === 'bigint')) {
      const b = Number(v);
      return target.scopes.some((sc) => {
        const r = this.range(g, sc, target.key);
        if (r === 'unknown') return true;
        if (r === undefined) return false;
        const [lo, hi] = r;
        switch (c.op) {
          case '>':
            return hi > b;
          case '>=':
            return hi >= b;
          case '<':
            return lo < b;
          default:
            return lo <= b;
        }
      });
    }
    return true;
  }
}

/** The attribute a condition field reads, with the scopes it may come from; undefined for intrinsics. */
function indexedField(field: string): { key: string; scopes: Scope[] } | undefined {
  switch (field) {
    case 'name':
    case 'status':
    case 'kind':
    case 'duration':
    case 'service.name':
    case 'resource.service.name':
    case 'statusMessage':
      return undefined;
  }
  if (field.startsWith('resource.')) return { key: field.slice(9), scopes: ['r'] };
  if (field.startsWith('span.')) return { key: field.slice(5), scopes: ['s'] };
  return { key: field.startsWith('.') ? field.slice(1) : field, scopes: ['s', 'r'] };
}

/** Whether the index can rule anything out for these conditions (otherwise there is no point loading it). */
export function usesIndex(conditions: readonly SpanCondition[] | undefined): boolean {
  if (!conditions) return false;
  return conditions.some(
    (c) =>
      indexedField(c.field) !== undefined &&
      (c.op === '=' || ((c.op === '>' || c.op === '>=' || c.op === '<' || c.op === '<=') && (typeof c.value === 'number' || typeof c.value === 'bigint'))),
  );
}

/**
 * Whether a block may hold a span meeting every condition, from its catalog of values (meta.tags, at most
 * MAX_TAG_VALUES per key) and its unindexed keys (version 2): a key with fewer values than the cap and no
 * unindexed value has its complete value set there, so an `=` against a value outside it rules the whole block
 * out before any Bloom filter is probed. `undefined` unindexedKeys (version 1, no index) decides nothing.
 */
export function blockMayMatch(
  tags: { readonly resource: Readonly<Record<string, readonly string[]>>; readonly span: Readonly<Record<string, readonly string[]>> },
  unindexedKeys: readonly string[] | undefined,
  maxValues: number,
  conditions: readonly SpanCondition[],
): boolean {
  if (unindexedKeys === undefined) return true;
  const unindexedSet = new Set(unindexedKeys);
  for (const c of conditions) {
    if (c.op !== '=') continue;
    const target = indexedField(c.field);
    if (!target) continue;
    const v = c.value;
    let hit: (t: string) => boolean;
    if (typeof v === 'string' || typeof v === 'boolean') {
      const want = String(v);
      hit = (t) => t === want;
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      const want = Number(v);
      hit = (t) => numberOf(t) === want;
    } else continue;
    const possible = target.scopes.some((sc) => {
      const vals = (sc === 's' ? tags.span : tags.resource)[target.key];
      if (vals === undefined) return false;
      if (vals.length >= maxValues || unindexedSet.has(scopedName(sc, target.key))) return true;
      return vals.some(hit);
    });
    if (!possible) return false;
  }
  return true;
}
