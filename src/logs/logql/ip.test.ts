import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containsMatchingIp, IpPatternError, parseIpAddr, parseIpPattern } from './ip.js';
import { LogQLParseError, parseLogSelector } from './parse.js';
import { LogQLEngine, type LogQLResult } from './engine.js';
import { MemoryLogStore } from '../../../test/support/memory-log-store.js';

const matching = (pattern: string, lines: string[]): number[] => {
  const m = parseIpPattern(pattern);
  return lines.flatMap((l, i) => (containsMatchingIp(l, m) ? [i] : []));
};

test('addresses parse as Go netip does', () => {
  for (const ok of ['0.0.0.0', '192.168.0.1', '255.255.255.255', '::', '::1', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', 'fe80::1%eth0']) {
    assert.ok(parseIpAddr(ok), ok);
  }
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.1.1.1', '1.2.3.-4', ':::1', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '1:2:3:4:5:1.2.3.4', '1:', 'g::1', '::1%']) {
    assert.equal(parseIpAddr(bad), undefined, bad);
  }
  assert.equal(parseIpAddr('2001:db8::1')?.value, parseIpAddr('2001:0db8:0000:0000:0000:0000:0000:0001')?.value);
  assert.equal(parseIpAddr('::ffff:10.0.0.1')?.family, 6);
});

test('patterns: single address, CIDR (host bits allowed), range; invalid ones are refused', () => {
  assert.deepEqual(parseIpPattern('192.168.4.5/16'), { kind: 'prefix', family: 4, first: 0xc0a80000n, last: 0xc0a8ffffn });
  assert.equal(parseIpPattern('10.0.0.1-10.0.0.9').kind, 'range');
  assert.equal(parseIpPattern('::1').kind, 'addr');
  for (const bad of ['192.168.0.1 - 192.168.0.9', '10.0.0.9-10.0.0.1', '10.0.0.1-::1', '10.0.0.0/33', '10.0.0.0/08', '::/129', 'localhost', '', '10.0.0.0/']) {
    assert.throws(() => parseIpPattern(bad), IpPatternError, bad);
  }
});

test('line scan: any IP-looking token, IPv4 and IPv6, Loki quirks kept', () => {
  const lines = ['vpn 192.168.0.5 connected', 'vpn 192.168.0.1 connected', 'x', '', 'hello world!'];
  assert.deepEqual(matching('192.168.0.1', lines), [1]);
  assert.deepEqual(matching('192.168.0.1-192.189.10.12', ['a 192.168.0.0 b', 'a 192.168.0.0 192.168.0.1 b', 'a 192.172.6.1 b', 'a 192.255.255.255 b']), [1, 2]);
  assert.deepEqual(matching('192.168.4.5/16', ['192.168.0.0 x', 'at 192.168.255.255', 'at 192.169.0.1 x']), [0, 1]);
  assert.deepEqual(matching('::1', ['vpn ::1 connected', 'vpn 192.168.0.1 connected']), [0]);
  assert.deepEqual(matching('2001:db8::/32', ['a 2001:db8::1 b', 'a 2001:db9::3 b', 'a 2001:dc8::1 and 2001:db8::2 b', 'a 10.0.0.1 b']), [0, 2]);
  assert.deepEqual(matching('2001:db8::1-2001:db8::8', ['a 2001:db8::2 b', 'a 2001:db8::9 b', 'a 2001:db8::5 b']), [0, 2]);
  // No word boundary needed; punctuation around the address is fine, a trailing dot joins the run (Loki).
  assert.deepEqual(matching('10.0.0.0/8', ['ver10.0.0.1 x', 'client=10.1.2.3,', '"10.2.3.4"', 'from 10.0.0.1.', 'at 10.0.0.1']), [0, 1, 2, 4]);
  // Families are distinct: an IPv4-mapped IPv6 address is not in an IPv4 prefix.
  assert.deepEqual(matching('10.0.0.0/8', ['a ::ffff:10.0.0.1 b']), []);
  // Timestamps and versions that look like addresses but are not do not match or break the scan.
  assert.deepEqual(matching('10.0.0.1', ['2024-01-01T10:00:00.123Z v1.2.3 then 10.0.0.1']), [0]);
});

test('LogQL: ip() line and label filters parse, invalid patterns and regex ops are 400s', () => {
  const e = parseLogSelector('{a="b"} |= ip("10.0.0.0/8") != "x" or ip("10.0.0.5")');
  assert.deepEqual(e.pipeline, [
    { type: 'lineFilter', op: '|=', values: [], ips: ['10.0.0.0/8'] },
    { type: 'lineFilter', op: '!=', values: ['x'], ips: ['10.0.0.5'] },
  ]);
  assert.deepEqual(parseLogSelector('{a="b"} != ip("10.0.0.5") or "x"').pipeline, [{ type: 'lineFilter', op: '!=', values: ['x'], ips: ['10.0.0.5'] }]);
  const l = parseLogSelector('{a="b"} | logfmt | addr = ip("192.168.0.1-192.168.0.255") and host != ip("::1")');
  assert.deepEqual(l.pipeline[1], {
    type: 'labelFilter',
    filter: { type: 'and', left: { type: 'ip', name: 'addr', op: '=', pattern: '192.168.0.1-192.168.0.255' }, right: { type: 'ip', name: 'host', op: '!=', pattern: '::1' } },
  });
  assert.throws(() => parseLogSelector('{a="b"} |= ip("10.0.0.0/33")'), (err: unknown) => err instanceof LogQLParseError && /ip: invalid pattern: "10.0.0.0\/33"/.test(err.message));
  assert.throws(() => parseLogSelector('{a="b"} | addr = ip("nope")'), (err: unknown) => err instanceof LogQLParseError && /ip: invalid pattern/.test(err.message));
  assert.throws(() => parseLogSelector('{a="b"} |~ ip("10.0.0.1")'), (err: unknown) => err instanceof LogQLParseError && /ip: invalid operation/.test(err.message));
});

test('LogQL engine: ip() filters select lines (not pushed down to the store)', async () => {
  const s = new MemoryLogStore();
  const T = 1_700_000_000_000n * 1_000_000n;
  const data = [
    'addr=10.0.0.1 msg="internal"',
    'addr=192.168.0.7 msg="lan"',
    'addr=8.8.8.8 msg="public"',
    'addr=2001:db8::5 msg="v6"',
    'addr=bogus msg="no ip"',
  ];
  data.forEach((line, i) => s.add({ job: 'net' }, T + BigInt(i), line));
  const engine = new LogQLEngine({ store: s });
  const run = async (q: string): Promise<string[]> => {
    const { result } = await engine.queryRange({ query: q, start: T, end: T + 100n, stepMs: 1000, direction: 'forward', limit: 100 });
    return (result as Extract<LogQLResult, { type: 'streams' }>).streams
      .flatMap((x) => x.entries)
      .sort((a, b) => (a.ts < b.ts ? -1 : 1))
      .map((e) => /msg="([^"]*)"/.exec(e.line)![1]);
  };
  assert.deepEqual(await run('{job="net"} |= ip("10.0.0.0/8")'), ['internal']);
  assert.deepEqual(await run('{job="net"} != ip("10.0.0.0/8")'), ['lan', 'public', 'v6', 'no ip']);
  assert.deepEqual(await run('{job="net"} |= ip("2001:db8::/32") or ip("8.8.8.8")'), ['public', 'v6']);
  assert.deepEqual(await run('{job="net"} | logfmt | addr = ip("192.168.0.1-192.168.0.255")'), ['lan']);
  assert.deepEqual(await run('{job="net"} | logfmt | addr != ip("192.168.0.0/16")'), ['internal', 'public', 'v6', 'no ip']);
  assert.deepEqual(await run('{job="net"} | logfmt | missing = ip("10.0.0.1") or addr = ip("8.8.8.8")'), ['public']);
  const { result } = await engine.queryRange({ query: 'sum(count_over_time({job="net"} |= ip("0.0.0.0/0") [1m]))', start: T + 1_000_000_000n, end: T + 1_000_000_000n, stepMs: 1000, direction: 'forward', limit: 100 });
  assert.equal(result.type, 'matrix');
  assert.equal((result as Extract<LogQLResult, { type: 'matrix' }>).series[0].points.at(-1)?.[1], 3, 'the IPv4 lines');
});
