/** The synthetic traces of the trace benchmarks: 10 spans, 10 attributes and 2 events each, 20 services. */
import type { Span } from '../src/traces/model.js';

/** Deterministic pseudo-random numbers so runs are comparable. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mostly 1–200 ms, about 2 % above 500 ms. */
export function durationNs(r: () => number): bigint {
  const ms = r() < 0.02 ? 500 + r() * 2500 : 1 + r() ** 2 * 200;
  return BigInt(Math.round(ms * 1e6));
}

export function traceIdOf(n: number): string {
  return n.toString(16).padStart(24, '0') + 'beefcafe';
}

/** Trace `n`: 10 spans across services; span 0 is the root. */
export function makeTrace(n: number, baseNs: bigint, r: () => number): Span[] {
  const traceId = traceIdOf(n);
  const spans: Span[] = [];
  const start = baseNs + BigInt(n) * 1_000_000n;
  for (let i = 0; i < 10; i++) {
    const svc = `svc-${(n + i) % 20}`;
    const s = start + BigInt(i) * 100_000n;
    spans.push({
      traceId,
      spanId: (n * 16 + i + 1).toString(16).padStart(16, '0'),
      parentSpanId: i === 0 ? undefined : (n * 16 + 1).toString(16).padStart(16, '0'),
      name: i === 0 ? 'GET /api/orders/{id}' : `op-${i % 5}`,
      kind: i === 0 ? 'server' : i % 2 ? 'client' : 'internal',
      startTimeUnixNano: s,
      endTimeUnixNano: s + durationNs(r),
      attributes: {
        'http.method': 'GET',
        'http.route': '/api/orders/{id}',
        'http.status_code': r() < 0.03 ? 500 : 200,
        'net.peer.name': `host-${n % 50}.internal`,
        'user.id': `u-${Math.floor(r() * 100000)}`,
        region: ['eu-west-1', 'us-east-1', 'ap-south-1'][n % 3],
        'customer.tier': ['free', 'pro', 'enterprise'][n % 3],
        'db.system': 'postgresql',
        'request.size': Math.floor(r() * 10000),
        'cache.hit': r() < 0.5,
      },
      events: [
        { timeUnixNano: s + 1000n, name: 'request.received', attributes: { 'queue.depth': 3 } },
        { timeUnixNano: s + 5000n, name: 'db.query', attributes: { statement: 'SELECT * FROM orders WHERE id = $1' } },
      ],
      links: [],
      status: { code: r() < 0.03 ? 'error' : 'unset' },
      resource: { 'service.name': svc, 'service.version': '1.4.2', 'k8s.namespace.name': 'shop', 'k8s.pod.name': `${svc}-7d9f-abcde` },
      scope: { name: 'io.opentelemetry.http', version: '1.0.0' },
      serviceName: svc,
    });
  }
  return spans;
}

