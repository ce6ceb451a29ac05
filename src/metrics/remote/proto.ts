/**
 * The .proto definitions under <repo>/proto, loaded once with protobufjs. Used where generic decoding is
 * fast enough (OTLP) and by tests to cross-check the hand-written remote-write codec.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import protobuf from 'protobufjs';

/** <repo>/proto: three levels above this module both in src/ (tsx) and in dist/ (compiled). */
export const PROTO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../proto');

const roots = new Map<string, protobuf.Root>();

/** Loads (once) the given files relative to PROTO_DIR, resolving their imports there too. */
export function loadProtos(files: readonly string[]): protobuf.Root {
  const key = files.join('\n');
  const cached = roots.get(key);
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
  root.loadSync(files.slice(), { keepCase: false });
  root.resolveAll();
  roots.set(key, root);
  return root;
}

export function prometheusRoot(): protobuf.Root {
  return loadProtos(['prometheus/remote.proto']);
}

export function otlpMetricsRoot(): protobuf.Root {
  return loadProtos(['opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
}
