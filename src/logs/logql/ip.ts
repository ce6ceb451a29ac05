/**
 * LogQL `ip("…")` matching, with Loki's semantics:
 *
 *   pattern   a single address (`192.168.0.1`, `::1`), a CIDR prefix (`10.0.0.0/8`, `2001:db8::/32`; host bits
 *             may be set, `192.168.4.5/16` means 192.168.0.0/16), or an inclusive range `FROM-TO` of one family.
 *             Addresses parse as Go's net/netip does: dotted-decimal IPv4 without leading zeros, IPv6 with `::`
 *             and an embedded IPv4 tail. IPv4 and IPv6 are distinct families: `::ffff:10.0.0.1` is not in
 *             `10.0.0.0/8`.
 *   line      `|= ip(p)` passes a line where some IP-looking token matches. Like Loki, the line is scanned for
 *             hints (a digit with a `.` within the next three characters; hex digits then `:`; `::` then hex),
 *             the longest run of IPv4 (`0-9.`) or IPv6 (`0-9a-fA-F:.`) characters there is parsed, and the scan
 *             resumes after the run. So tokens need no word boundary (`ver10.0.0.1` holds 10.0.0.1) but a run
 *             with a trailing dot (`from 10.0.0.1.`) is not an address. `!= ip(p)` passes when none matches.
 *   label     `| name = ip(p)` passes when the label's value holds a matching address (the same scan);
 *             `!=` when it does not; a missing label fails both; a line with a parsing error passes (Loki).
 */

export class IpPatternError extends Error {}

interface Addr {
  /** 4 or 6 */
  readonly family: 4 | 6;
  readonly value: bigint;
  readonly zone?: string;
}

export type IpMatcher =
  | { readonly kind: 'addr'; readonly addr: Addr }
  | { readonly kind: 'prefix'; readonly family: 4 | 6; readonly first: bigint; readonly last: bigint }
  | { readonly kind: 'range'; readonly family: 4 | 6; readonly first: bigint; readonly last: bigint };

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  const bytes = new Uint8Array(16);
  let i = 0;
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return 0n;
  }
  while (i < 16) {
    let n = 0;
    let off = 0;
    while (off < s.length) {
      const c = s.charCodeAt(off);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      n = n * 16 + d;
      off++;
      if (off > 4) return undefined; // a group has at most four hex digits
    }
    if (off === 0) return undefined;
    if (off < s.length && s[off] === '.') {
      // An embedded IPv4 address replaces the last two groups.
      if ((ellipsis < 0 && i !== 12) || i + 4 > 16) return undefined;
      const v4 = parseIPv4(s);
      if (v4 === undefined) return undefined;
      bytes[i] = Number((v4 >> 24n) & 0xffn);
      bytes[i + 1] = Number((v4 >> 16n) & 0xffn);
      bytes[i + 2] = Number((v4 >> 8n) & 0xffn);
      bytes[i + 3] = Number(v4 & 0xffn);
      i += 4;
      s = '';
      break;
    }
    bytes[i] = n >> 8;
    bytes[i + 1] = n & 0xff;
    i += 2;
    s = s.slice(off);
    if (s === '') break;
    if (s[0] !== ':' || s.length === 1) return undefined;
    s = s.slice(1);
    if (s[0] === ':') {
      if (ellipsis >= 0) return undefined; // only one ::
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) bytes[j + n] = bytes[j];
    for (let j = ellipsis + n - 1; j >= ellipsis; j--) bytes[j] = 0;
  } else if (ellipsis >= 0) return undefined; // :: must stand for at least one group
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Parses one address as Go's netip.ParseAddr (zone allowed for IPv6). */
export function parseIpAddr(s: string): Addr | undefined {
  if (s.includes(':')) {
    let zone: string | undefined;
    const pct = s.indexOf('%');
    if (pct >= 0) {
      zone = s.slice(pct + 1);
      if (zone === '') return undefined;
      s = s.slice(0, pct);
    }
    const v = parseIPv6(s);
    return v === undefined ? undefined : zone === undefined ? { family: 6, value: v } : { family: 6, value: v, zone };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { family: 4, value: v };
}

const bitsOf = (family: 4 | 6): bigint => (family === 4 ? 32n : 128n);

/** Parses an ip() pattern; throws IpPatternError (`ip: invalid pattern: "…"`) as Loki does. */
export function parseIpPattern(pattern: string): IpMatcher {
  const bad = (): never => {
    throw new IpPatternError(`ip: invalid pattern: ${JSON.stringify(pattern)}`);
  };
  const single = parseIpAddr(pattern);
  if (single) return { kind: 'addr', addr: single };
  const slash = pattern.lastIndexOf('/');
  if (slash >= 0) {
    const a = parseIpAddr(pattern.slice(0, slash));
    const bitsText = pattern.slice(slash + 1);
    if (!a || a.zone !== undefined || !/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) return bad();
    const bits = BigInt(bitsText);
    const total = bitsOf(a.family);
    if (bits > total) return bad();
    const hostMask = (1n << (total - bits)) - 1n;
    const first = a.value & ~hostMask & ((1n << total) - 1n);
    return { kind: 'prefix', family: a.family, first, last: first | hostMask };
  }
  const dash = pattern.indexOf('-');
  if (dash >= 0) {
    const from = parseIpAddr(pattern.slice(0, dash));
    const to = parseIpAddr(pattern.slice(dash + 1));
    if (!from || !to || from.zone !== undefined || to.zone !== undefined || from.family !== to.family || to.value < from.value) return bad();
    return { kind: 'range', family: from.family, first: from.value, last: to.value };
  }
  return bad();
}

export function ipMatches(m: IpMatcher, a: Addr): boolean {
  if (m.kind === 'addr') return m.addr.family === a.family && m.addr.value === a.value && m.addr.zone === a.zone;
  return m.family === a.family && a.value >= m.first && a.value <= m.last;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const DOT = 46;
const COLON = 58;

function runLength(s: string, start: number, v6: boolean): number {
  let i = start;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (!(isDigit(c) || c === DOT || (v6 && (c === COLON || isHex(c))))) break;
    i++;
  }
  return i - start;
}

/** True when some IP-looking token in `text` matches (the scan described at the top). */
export function containsMatchingIp(text: string, m: IpMatcher): boolean {
  const n = text.length;
  const at = (k: number): number => text.charCodeAt(k);
  for (let i = 0; i < n; i++) {
    let v6: boolean;
    if (i + 3 < n && isDigit(at(i)) && (at(i + 1) === DOT || at(i + 2) === DOT || at(i + 3) === DOT)) v6 = false;
    else if (
      i + 4 < n &&
      ((at(i) === COLON && at(i + 1) === COLON && isHex(at(i + 2))) ||
        (isHex(at(i)) && at(i + 1) === COLON) ||
        (isHex(at(i)) && isHex(at(i + 1)) && at(i + 2) === COLON) ||
        (isHex(at(i)) && isHex(at(i + 1)) && isHex(at(i + 2)) && at(i + 3) === COLON) ||
        (isHex(at(i)) && isHex(at(i + 1)) && isHex(at(i + 2)) && isHex(at(i + 3)) && at(i + 4) === COLON))
    )
      v6 = true;
    else continue;
    const len = runLength(text, i, v6);
    const a = parseIpAddr(text.slice(i, i + len));
    if (a && ipMatches(m, a)) return true;
    i += len; // the loop's i++ then steps over the character that ended the run
  }
  return false;
}
