import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, crc32Js } from './crc32.js';
import { crc32c } from './crc32c.js';

const check = new TextEncoder().encode('123456789');

test('CRC-32 and CRC-32C match their standard check values', () => {
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32Js(check), 0xcbf43926);
  assert.equal(crc32c(check), 0xe3069283);
});

test('native and JS CRC-32 agree on ranges and continuation', () => {
  const buf = new Uint8Array(1000).map((_, i) => (i * 37) & 0xff);
  for (const [s, e] of [[0, 1000], [3, 17], [5, 5], [100, 999]]) {
    assert.equal(crc32(buf, s, e), crc32Js(buf, s, e));
  }
  assert.equal(crc32(buf, 10, 500, crc32(buf, 0, 10)), crc32(buf, 0, 500));
  assert.equal(crc32Js(buf, 10, 500, crc32Js(buf, 0, 10)), crc32(buf, 0, 500));
});
