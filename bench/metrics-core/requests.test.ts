import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWriteRequest, snappyCompress, snappyUncompress } from '../../src/metrics/remote/codec.js';
import { advance, generateSeries, targetTimestamp } from './series.js';
import { buildTemplate, buildTemplates, fillAndCompress, reencodeForPatching } from './requests.js';

const START = Date.UTC(2026, 0, 1, 0, 0, 0);

test('filled templates decode to exactly the current values, timestamps and labels', () => {
  const s = generateSeries(4500, 5);
  const tpls = buildTemplates(s, 2000);
  assert.deepEqual(
    tpls.map((t) => [t.tpl.first, t.tpl.end]),
    [
      [0, 2000],
      [2000, 4000],
      [4000, 4500],
    ],
  );
  for (let round = 0; round < 3; round++) {
    if (round > 0) advance(s);
    for (const ct of tpls) {
      const body = fillAndCompress(s, ct, START + round * 15000, round);
      const req = decodeWriteRequest(snappyUncompress(body));
      assert.equal(req.series.length, ct.tpl.end - ct.tpl.first);
      req.series.forEach((ws, k) => {
        const i = ct.tpl.first + k;
        assert.deepEqual(ws.labels, s.labels[i]);
        assert.equal(ws.samples.length, 1);
        assert.equal(ws.samples[0].v, s.values[i]);
        assert.equal(ws.samples[0].t, targetTimestamp(s, s.targetOf[i], START + round * 15000, round));
      });
    }
  }
});

test('bodies are snappy-compressed for real (labels shrink), not stored', () => {
  const s = generateSeries(2000, 1);
  const [ct] = buildTemplates(s, 2000);
  const body = fillAndCompress(s, ct, START, 0);
  assert.ok(body.length < ct.tpl.buf.length / 3, `${body.length} vs ${ct.tpl.buf.length} uncompressed`);
});

test('reencodeForPatching keeps the block valid and puts every marked byte in a literal no copy reads', () => {
  // A repetitive text where snappy copies across the marked bytes.
  const plain = Buffer.from('abcdefgh'.repeat(500));
  const isPatch = new Uint8Array(plain.length);
  for (let i = 100; i < plain.length; i += 97) isPatch[i] = isPatch[i + 1] = 1;
  const { block, literalAt } = reencodeForPatching(snappyCompress(plain), plain, isPatch);
  assert.deepEqual(snappyUncompress(block), plain);
  const patched = Buffer.from(block);
  const expect = Buffer.from(plain);
  for (let i = 0; i < plain.length; i++) {
    if (!isPatch[i]) continue;
    assert.ok(literalAt[i] >= 0, `byte ${i} is a literal`);
    patched[literalAt[i]] = 0x5a;
    expect[i] = 0x5a;
  }
  assert.deepEqual(snappyUncompress(patched), expect);
});

test('template layout: one sample per series at the recorded offsets', () => {
  const s = generateSeries(10, 1);
  const tpl = buildTemplate(s, 2, 7);
  assert.equal(tpl.valueOffsets.length, 5);
  for (let k = 0; k < 5; k++) {
    assert.equal(tpl.buf[tpl.valueOffsets[k] - 1], 0x09);
    assert.equal(tpl.buf[tpl.timeOffsets[k] - 1], 0x10);
  }
});
