import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeWriteRequest,
  encodeWriteRequest,
  ProtobufDecodeError,
  snappyCompress,
  snappyDecodedLength,
  snappyUncompress,
  SnappyDecodeError,
  SeriesLabelCache,
} from './codec.js';
import { prometheusRoot } from './proto.js';
import { STALE_NAN, isStaleNaN } from '../../model/value.js';
import { labelsFromRecord } from '../../model/labels.js';

const WriteRequest = prometheusRoot().lookupType('prometheus.WriteRequest');

test('round-trips series, samples, exemplars and metadata', () => {
  const series = [
    {
      labels: labelsFromRecord({ __name__: 'up', job: 'prom', instance: 'ünïcode:9090' }),
      samples: [
        { t: 1700000000123, v: 1 },
        { t: 1700000001123, v: STALE_NAN },
        { t: -5, v: -2.5 },
        { t: 0, v: NaN },
        { t: 2 ** 52, v: Infinity },
      ],
      exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 3, t: 1700000000000 }],
    },
    { labels: labelsFromRecord({ __name__: 'empty' }), samples: [] },
  ];
  const md = [{ type: 'counter' as const, metricFamilyName: 'http_requests_total', help: 'Requests.', unit: '' }];
  const buf = encodeWriteRequest(series, md);
  const got = decodeWriteRequest(buf);
  assert.equal(got.series.length, 2);
  assert.deepEqual(got.series[0].labels, series[0].labels);
  assert.equal(got.series[0].samples[0].t, 1700000000123);
  assert.ok(isStaleNaN(got.series[0].samples[1].v), 'stale marker bits survive');
  assert.deepEqual(got.series[0].samples[2], { t: -5, v: -2.5 });
  assert.ok(Number.isNaN(got.series[0].samples[3].v) && !isStaleNaN(got.series[0].samples[3].v));
  assert.equal(got.series[0].samples[4].t, 2 ** 52);
  assert.deepEqual(got.series[0].exemplars, series[0].exemplars);
  assert.deepEqual(got.metadata, md);
});

test('agrees with protobufjs in both directions', () => {
  const msg = {
    timeseries: [
      {
        labels: [
          { name: 'job', value: 'a' },
          { name: '__name__', value: 'x_total' },
        ],
        samples: [
          { value: 42.5, timestamp: 1700000000000 },
          { value: 0, timestamp: -1000 },
        ],
        histograms: [{ countInt: 3, sum: 1, schema: 0, timestamp: 5 }],
      },
    ],
    metadata: [{ type: 2, metricFamilyName: 'g', help: 'h', unit: 'seconds' }],
  };
  const pbBuf = WriteRequest.encode(WriteRequest.fromObject(msg)).finish();
  const mine = decodeWriteRequest(pbBuf);
  assert.deepEqual(mine.series[0].labels, msg.timeseries[0].labels);
  assert.deepEqual(mine.series[0].samples, [
    { t: 1700000000000, v: 42.5 },
    { t: -1000, v: 0 },
  ]);
  assert.equal(mine.series[0].histogramCount, 1);
  assert.deepEqual(mine.metadata, [{ type: 'gauge', metricFamilyName: 'g', help: 'h', unit: 'seconds' }]);

  const myBuf = encodeWriteRequest(
    [{ labels: labelsFromRecord({ __name__: 'x', a: 'b' }), samples: [{ t: -1000, v: 1.5 }, { t: 1700000000000, v: 2 }] }],
    [{ type: 'summary', metricFamilyName: 'x', help: '', unit: 'u' }],
  );
  const obj = WriteRequest.toObject(WriteRequest.decode(myBuf), { longs: Number, enums: Number }) as {
    timeseries: { labels: unknown[]; samples: { value: number; timestamp: number }[] }[];
    metadata: unknown[];
  };
  assert.deepEqual(obj.timeseries[0].labels, [
    { name: '__name__', value: 'x' },
    { name: 'a', value: 'b' },
  ]);
  assert.deepEqual(obj.timeseries[0].samples, [
    { value: 1.5, timestamp: -1000 },
    { value: 2, timestamp: 1700000000000 },
  ]);
  assert.deepEqual(obj.metadata, [{ type: 5, metricFamilyName: 'x', unit: 'u' }]);
});

test('skips unknown fields', () => {
  // field 15 varint, field 14 fixed32, then a valid empty timeseries.
  const buf = Uint8Array.from([0x78, 0x96, 0x01, 0x75, 1, 2, 3, 4, 0x0a, 0x00]);
  assert.equal(decodeWriteRequest(buf).series.length, 1);
});

test('rejects malformed protobuf', () => {
  const good = encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'up' }), samples: [{ t: 1, v: 1 }] }]);
  for (let cut = 1; cut < good.length; cut++) {
    assert.throws(() => decodeWriteRequest(good.subarray(0, cut)), ProtobufDecodeError, `truncated at ${cut}`);
  }
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0x0b])), ProtobufDecodeError); // group wire type
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0x08, 0x01])), ProtobufDecodeError); // timeseries as varint
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0x0a, 0x7f, 0x00])), ProtobufDecodeError); // length overflow
  assert.throws(() => decodeWriteRequest(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), ProtobufDecodeError);
});

test('snappy block helpers', () => {
  const raw = encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'up' }), samples: [{ t: 1, v: 1 }] }]);
  const comp = snappyCompress(raw);
  assert.equal(snappyDecodedLength(comp), raw.length);
  assert.deepEqual(new Uint8Array(snappyUncompress(comp)), new Uint8Array(raw));
  assert.throws(() => snappyUncompress(Buffer.from('definitely not snappy data')), SnappyDecodeError);
  assert.equal(snappyDecodedLength(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), -1);
});

test('decodes what protobufjs decodes from the upstream .proto (speed is measured in bench/, not here)', () => {
  const series = [];
  for (let i = 0; i < 200; i++) {
    series.push({
      labels: labelsFromRecord({ __name__: 'node_cpu_seconds_total', cpu: String(i % 64), mode: 'idle', instance: `host-${i}:9100`, job: 'node' }),
      samples: [{ t: 1700000000000 + i, v: i * 1.5 }, { t: 1700000015000 + i, v: -i }],
    });
  }
  const buf = encodeWriteRequest(series);
  const mine = decodeWriteRequest(buf);
  const pbjs = WriteRequest.toObject(WriteRequest.decode(buf), { longs: Number, defaults: true }) as {
    timeseries: { labels: { name: string; value: string }[]; samples: { timestamp: number; value: number }[] }[];
  };
  assert.equal(mine.series.length, pbjs.timeseries.length);
  for (let i = 0; i < pbjs.timeseries.length; i++) {
    assert.deepEqual(mine.series[i].labels.map((l) => [l.name, l.value]), pbjs.timeseries[i].labels.map((l) => [l.name, l.value]));
    assert.deepEqual(mine.series[i].samples.map((x) => [x.t, x.v]), pbjs.timeseries[i].samples.map((x) => [x.timestamp, x.value]));
  }
});

/** Decodes like the receiver: what was not found in the cache is stored under its labelsHash afterwards. */
function decodeAndLearn(buf: Uint8Array, cache: SeriesLabelCache) {
  const req = decodeWriteRequest(buf, cache);
  for (const s of req.series) if (s.labelsHash !== undefined) cache.put(s.labelsHash, s.labels);
  return req;
}

/** The decoded series without the cache bookkeeping fields, for comparison with an uncached decode. */
function plain(req: ReturnType<typeof decodeWriteRequest>) {
  return { ...req, series: req.series.map(({ cachedLabels: _c, labelsHash: _h, ...rest }) => rest) };
}

test('label cache: repeated series get the stored label array; results equal the uncached decode', () => {
  const mk = (t: number) =>
    encodeWriteRequest([
      { labels: labelsFromRecord({ __name__: 'up', job: 'a', instance: 'host-1:9100' }), samples: [{ t, v: 1 }] },
      { labels: labelsFromRecord({ __name__: 'up', job: 'a', instance: 'host-2:9100' }), samples: [{ t, v: 0 }] },
      { labels: labelsFromRecord({ __name__: 'up', job: 'b', instance: 'host-1:9100' }), samples: [{ t, v: 2 }] },
    ]);
  const cache = new SeriesLabelCache();
  const first = decodeAndLearn(mk(1000), cache);
  const second = decodeAndLearn(mk(2000), cache);
  assert.deepEqual(plain(first), decodeWriteRequest(mk(1000)));
  assert.deepEqual(plain(second), decodeWriteRequest(mk(2000)));
  for (let i = 0; i < 3; i++) {
    assert.equal(second.series[i].labels, first.series[i].labels, `series ${i} gets the stored array`);
    assert.equal(second.series[i].cachedLabels, true);
    assert.equal(first.series[i].cachedLabels, undefined);
    assert.equal(typeof first.series[i].labelsHash, 'number');
  }
  assert.notEqual(first.series[0].labels, first.series[1].labels);
  assert.equal(cache.hits, 3);
  assert.equal(cache.misses, 3);
  assert.equal(cache.size, 3);
  // Works on a plain Uint8Array view into a larger buffer as well as on a Buffer.
  const body = mk(3000);
  const padded = new Uint8Array(body.length + 7);
  padded.set(body, 7);
  const third = decodeWriteRequest(padded.subarray(7), cache);
  assert.deepEqual(plain(third), decodeWriteRequest(body));
  assert.equal(third.series[2].labels, first.series[2].labels);
});

test('label cache: a hit is verified against the bytes — a stored label set that differs is never returned', () => {
  const cache = new SeriesLabelCache();
  const body = encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'up', job: 'a' }), samples: [{ t: 1, v: 1 }] }]);
  const hash = decodeWriteRequest(body, cache).series[0].labelsHash!;
  // Whatever sits under the hash (a collision, or a caller storing another form) must match the bytes exactly.
  for (const other of [
    labelsFromRecord({ __name__: 'up', job: 'b' }),
    labelsFromRecord({ __name__: 'up' }),
    labelsFromRecord({ __name__: 'up', job: 'a', x: 'y' }),
    [{ name: 'job', value: 'a' }, { name: '__name__', value: 'up' }],
  ]) {
    cache.put(hash, other);
    const got = decodeWriteRequest(body, cache).series[0];
    assert.equal(got.cachedLabels, undefined);
    assert.deepEqual(got.labels, labelsFromRecord({ __name__: 'up', job: 'a' }));
  }
  // Non-ASCII label sets are decoded every time (the byte comparison only handles ASCII).
  const utf = encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'up', city: 'Zürich' }), samples: [{ t: 1, v: 1 }] }]);
  decodeAndLearn(utf, cache);
  const again = decodeWriteRequest(utf, cache).series[0];
  assert.equal(again.cachedLabels, undefined);
  assert.deepEqual(again.labels, labelsFromRecord({ __name__: 'up', city: 'Zürich' }));
});

test('label cache: labels written after the samples are not mixed up with a cached prefix', () => {
  const cache = new SeriesLabelCache();
  const plainBody = encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'm', a: '1' }), samples: [{ t: 5, v: 1 }] }]);
  decodeAndLearn(plainBody, cache);
  // Same first labels, then a sample, then one more label (field 1 after field 2).
  const ts = WriteRequest.encode(
    WriteRequest.fromObject({ timeseries: [{ labels: [{ name: '__name__', value: 'm' }, { name: 'a', value: '1' }], samples: [{ value: 2, timestamp: 6 }] }] }),
  ).finish();
  const extra = Uint8Array.from([...ts.subarray(0, 1), ts[1] + 5, ...ts.subarray(2), 0x0a, 0x03, 0x0a, 0x01, 0x7a]);
  const got = decodeAndLearn(extra, cache).series[0];
  assert.deepEqual(got.labels, [
    { name: '__name__', value: 'm' },
    { name: 'a', value: '1' },
    { name: 'z', value: '' },
  ]);
  assert.equal(got.cachedLabels, undefined);
  assert.equal(got.labelsHash, undefined);
  // The cached array for the plain series was not modified.
  assert.deepEqual(decodeWriteRequest(plainBody, cache).series[0].labels, [
    { name: '__name__', value: 'm' },
    { name: 'a', value: '1' },
  ]);
});

test('label cache: bounded to two generations; malformed bodies still fail with a warm cache', () => {
  const cache = new SeriesLabelCache(4);
  for (let i = 0; i < 20; i++) {
    decodeAndLearn(encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'm', i: String(i) }), samples: [{ t: 1, v: 1 }] }]), cache);
    assert.ok(cache.size <= 8, `size ${cache.size}`);
  }
  const good = encodeWriteRequest([{ labels: labelsFromRecord({ __name__: 'up' }), samples: [{ t: 1, v: 1 }] }]);
  decodeAndLearn(good, cache);
  assert.equal(decodeWriteRequest(good, cache).series[0].cachedLabels, true);
  for (let cut = 1; cut < good.length; cut++) {
    assert.throws(() => decodeWriteRequest(good.subarray(0, cut), cache), ProtobufDecodeError, `truncated at ${cut}`);
  }
});
