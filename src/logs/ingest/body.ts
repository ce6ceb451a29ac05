/** Request bodies of the ingest APIs: raw bytes, decompressed per Content-Encoding with a size limit. */
import { gunzipSync, inflateSync } from 'node:zlib';
import snappy from 'snappy';

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
