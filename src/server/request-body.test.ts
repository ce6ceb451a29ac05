import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { BodyError, decompress, encodeRpcStatus, otlpEncoding, rawBody, unsupportedOtlpContentType } from './request-body.js';

test('otlpEncoding picks JSON or protobuf by media type, ignoring case and parameters', () => {
  assert.equal(otlpEncoding('application/json; charset=utf-8'), 'json');
  assert.equal(otlpEncoding('Application/X-Protobuf'), 'protobuf');
  assert.equal(otlpEncoding('application/protobuf'), 'protobuf');
  assert.equal(otlpEncoding('text/plain'), undefined);
  assert.equal(otlpEncoding(undefined), undefined);
  assert.match(unsupportedOtlpContentType('Text/Plain; x=y'), /"text\/plain"/);
});

test('decompress: gzip within the limit, 413 above it, 400 for garbage, 415 for unknown encodings', () => {
  const plain = Buffer.from('x'.repeat(1000));
  assert.deepEqual(decompress(gzipSync(plain), 'gzip', 1000), plain);
  assert.deepEqual(decompress(plain, '', 10), plain);
  const status = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      assert.ok(err instanceof BodyError);
      return err.status;
    }
    return 0;
  };
  assert.equal(status(() => decompress(gzipSync(plain), 'gzip', 999)), 413);
  assert.equal(status(() => decompress(Buffer.from('not gzip'), 'gzip', 1000)), 400);
  assert.equal(status(() => decompress(plain, 'br', 1000)), 415);
  assert.deepEqual(rawBody('ab'), Buffer.from('ab'));
  assert.equal(rawBody(undefined).length, 0);
});

test('encodeRpcStatus writes google.rpc.Status code and a varint-length message', () => {
  assert.deepEqual([...encodeRpcStatus(3, 'bad')], [0x08, 3, 0x12, 3, 0x62, 0x61, 0x64]);
  const long = encodeRpcStatus(14, 'm'.repeat(200));
  assert.deepEqual([...long.subarray(0, 5)], [0x08, 14, 0x12, 0xc8, 0x01]);
  assert.equal(long.length, 205);
});
