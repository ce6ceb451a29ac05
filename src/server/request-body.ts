/**
 * Request bodies of the push and OTLP/HTTP receivers (logs, traces, metrics): raw bytes, decompressed per
 * Content-Encoding under a size limit, the OTLP content-type dispatch, and the google.rpc.Status error body.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import snappy from 'snappy';

/** A body that cannot be read; `status` is the HTTP status to answer with (400, 413 or 415). */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024;

export function decompress(body: Uint8Array, encoding: string, max: number, defaultSnappy = false): Buffer {
  const enc = encoding.trim().toLowerCase();
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return gunzipSync(body, { maxOutputLength: max });
    if (enc === 'deflate') return inflateSync(body, { maxOutputLength: max });
    if (enc === 'snappy' || (defaultSnappy && (enc === '' || enc === 'identity'))) {
      const out = snappy.uncompressSync(Buffer.from(body.buffer, body.byteOffset, body.byteLength), { asBuffer: true }) as Buffer;
      if (out.length > max) throw Object.assign(new Error('too large'), { code: 'ERR_BUFFER_TOO_LARGE' });
      return out;
    }
    if (enc === '' || enc === 'identity') return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BodyError(413, `decompressed body exceeds the limit of ${max} bytes`);
    throw new BodyError(400, `invalid ${enc || 'snappy'} body: ${err instanceof Error ? err.message : String(err)}`);
  }
  throw new BodyError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)}`);
}

export function rawBody(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.alloc(0);
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** OTLP/HTTP's two encodings by media type; undefined for anything else (answer 415). */
export function otlpEncoding(contentType: string | undefined): 'json' | 'protobuf' | undefined {
  const ctype = mediaType(contentType);
  if (ctype === 'application/json') return 'json';
  if (ctype === 'application/x-protobuf' || ctype === 'application/protobuf') return 'protobuf';
  return undefined;
}

export function unsupportedOtlpContentType(contentType: string | undefined): string {
  return `unsupported content type ${JSON.stringify(mediaType(contentType))}; use application/x-protobuf or application/json`;
}

/**
 * google.rpc.Status {code = 1, message = 2}, the error body OTLP/HTTP asks for with protobuf requests.
 * Small enough to write by hand rather than vendor the rpc protos.
 */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const msg = Buffer.from(message, 'utf8');
  const len: number[] = [];
  let n = msg.length;
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x08, code, 0x12, ...len]), msg]);
}
