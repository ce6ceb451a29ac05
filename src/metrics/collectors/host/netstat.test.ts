import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createScrapeContext } from './context.js';
import { collectConntrack, collectSoftnet, createNetstatCollector, parseNetstatPairs, parseSnmp6, sumUdpQueues } from './netstat.js';
import { parsePressure } from './system.js';

test('netstat/snmp header+value pairs and snmp6 lines become Proto_Field stats; mismatched pairs are skipped', () => {
  const m = new Map<string, [string, string, number]>();
  parseNetstatPairs('Tcp: ActiveOpens CurrEstab\nTcp: 5 2\nIp: A B\nIp: 1\nUdp: InDatagrams\nUdp: 9\n', m);
  parseSnmp6('Ip6InReceives   17\nUdp6InDatagrams 4\nIcmp6OutMsgs 3\ngarbage\n', m);
  assert.deepEqual(m.get('Tcp_CurrEstab'), ['Tcp', 'CurrEstab', 2]);
  assert.equal(m.has('Ip_A'), false);
  assert.deepEqual(m.get('Udp_InDatagrams'), ['Udp', 'InDatagrams', 9]);
  assert.deepEqual(m.get('Ip6_InReceives'), ['Ip6', 'InReceives', 17]);
  assert.deepEqual(m.get('Icmp6_OutMsgs'), ['Icmp6', 'OutMsgs', 3]);
});

test('udp queue sums, pressure totals in seconds', () => {
  const udp = '   sl  local_address rem_address   st tx_queue rx_queue\n  1: 00000000:0044 00000000:0000 07 00000010:00000200 00:0\n  2: 00000000:0045 00000000:0000 07 00000001:00000000 00:0\n';
  assert.deepEqual(sumUdpQueues(udp), { tx: 17, rx: 512 });
  assert.deepEqual(parsePressure('some avg10=1.00 avg60=0 avg300=0 total=2500000\nfull avg10=0 avg60=0 avg300=0 total=1\n'), { some: 2.5, full: 0.000001 });
});

test('netstat default field filter, softnet per-cpu hex, conntrack stats summed by header name', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sextant-netstat-'));
  try {
    const put = (rel: string, text: string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), text);
    };
    put('net/netstat', 'TcpExt: ListenDrops TCPTimeouts PruneCalled\nTcpExt: 1 2 3\n');
    put('net/snmp', 'Tcp: CurrEstab MaxConn\nTcp: 4 -1\n');
    put('net/softnet_stat', '0000000a 00000001 00000002 0 0\n000000ff 00000000 00000000 0 0\n');
    put('sys/net/netfilter/nf_conntrack_count', '7\n');
    put('sys/net/netfilter/nf_conntrack_max', '65536\n');
    put('net/stat/nf_conntrack', 'entries clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop\n00000007 0 00000001 0 00000002 0 0 0 00000010 0 00000003 0\n00000007 0 00000001 0 00000000 0 0 0 00000001 0 00000000 0\n');
    const ctx = createScrapeContext({ procPath: root, sysPath: join(root, 'sys'), udevDataPath: root, now: () => 0 });
    const ns = await createNetstatCollector()(ctx);
    assert.deepEqual(ns.map((f) => `${f.name}=${f.samples[0]!.value}`).sort(), [
      'node_netstat_TcpExt_ListenDrops=1',
      'node_netstat_TcpExt_TCPTimeouts=2',
      'node_netstat_Tcp_CurrEstab=4',
    ]);
    assert.equal(ns[0]!.type, 'untyped');
    const sn = await collectSoftnet(ctx);
    assert.deepEqual(sn[0]!.samples, [{ labels: { cpu: '0' }, value: 10 }, { labels: { cpu: '1' }, value: 255 }]);
    const ct = new Map((await collectConntrack(ctx)).map((f) => [f.name, f.samples[0]!.value]));
    assert.equal(ct.get('node_nf_conntrack_entries'), 7);
    assert.equal(ct.get('node_nf_conntrack_entries_limit'), 65536);
    assert.equal(ct.get('node_nf_conntrack_stat_found'), 2);
    assert.equal(ct.get('node_nf_conntrack_stat_insert'), 17);
    assert.equal(ct.get('node_nf_conntrack_stat_invalid'), 2);
    assert.equal(ct.get('node_nf_conntrack_stat_drop'), 3);
    assert.equal(ct.has('node_nf_conntrack_stat_search_restart'), false, 'column absent on this kernel');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
