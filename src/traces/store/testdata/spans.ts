import type { Span } from '../../model.js';

/** A deterministic span: trace `t`, span `i` (span 0 is the root, the others its children). */
export function makeSpan(t: number, i: number, over: Partial<Span> = {}): Span {
  const traceId = (t + 1).toString(16).padStart(32, '0');
  const start = 1_700_000_000_000_000_000n + BigInt(t) * 1_000_000_000n + BigInt(i) * 1000n;
  return {
    traceId,
    spanId: (t * 1000 + i + 1).toString(16).padStart(16, '0'),
    parentSpanId: i === 0 ? undefined : (t * 1000 + 1).toString(16).padStart(16, '0'),
    name: i === 0 ? 'GET /' : `op-${i % 3}`,
    kind: i === 0 ? 'server' : 'client',
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt((i + 1) * 1_000_000),
    attributes: { 'http.status_code': i === 2 ? 500 : 200, idx: i, big: 9007199254740993n },
    events: [{ timeUnixNano: start + 10n, name: 'ev', attributes: { a: 'b' } }],
    links: [],
    status: { code: i === 2 ? 'error' : 'unset' },
    resource: { 'service.name': `svc-${t % 3}`, host: 'h1' },
    scope: { name: 'test', version: '1' },
    serviceName: `svc-${t % 3}`,
    ...over,
  };
}
