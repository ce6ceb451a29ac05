/**
 * Fetches one target's exposition the way Prometheus 2.42 asks for it: OpenMetrics preferred over the
 * text format, gzip accepted, the scrape timeout announced in a header and enforced with an abort,
 * and the job's basic auth / bearer token / TLS settings applied.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createGunzip } from 'node:zlib';
import type { HTTPClientConfig } from '../../config/types.js';

/** Prometheus 2.42's scrape Accept header (native histograms off). */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const USER_AGENT = 'Sextant/0.1 (Prometheus/2.42 compatible)';

export interface ScrapeResponse {
  body: string;
  contentType: string;
}

export class ScrapeHttpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeHttpError';
  }
}

/** One per scrape pool: holds the connection pool and TLS material for the job. */
export class ScrapeHttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly cfg: HTTPClientConfig) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const tls = cfg.tlsConfig;
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ca: tls?.caFile ? readFileSync(tls.caFile) : undefined,
      cert: tls?.certFile ? readFileSync(tls.certFile) : undefined,
      key: tls?.keyFile ? readFileSync(tls.keyFile) : undefined,
      servername: tls?.serverName || undefined,
      rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
    });
  }

  /** Credentials files are re-read on every scrape so rotated secrets take effect without a reload. */
  private authorization(): string | undefined {
    const c = this.cfg;
    if (c.basicAuth) {
      const password = c.basicAuth.passwordFile
        ? readFileSync(c.basicAuth.passwordFile, 'utf8').trim()
        : (c.basicAuth.password ?? '');
      return 'Basic ' + Buffer.from(`${c.basicAuth.username}:${password}`).toString('base64');
    }
    if (c.bearerToken) return 'Bearer ' + c.bearerToken;
    if (c.bearerTokenFile) return 'Bearer ' + readFileSync(c.bearerTokenFile, 'utf8').trim();
    return undefined;
  }

  scrape(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ScrapeResponse> {
    const errPrefix = `Get ${JSON.stringify(url)}: `;
    return new Promise<ScrapeResponse>((resolve, reject) => {
      let settled = false;
      const fail = (msg: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        req.destroy();
        reject(new ScrapeHttpError(msg));
      };
      let parsed: URL;
      let headers: http.OutgoingHttpHeaders;
      try {
        parsed = new URL(url);
        headers = {
          Accept: SCRAPE_ACCEPT_HEADER,
          'Accept-Encoding': 'gzip',
          'User-Agent': USER_AGENT,
          'X-Prometheus-Scrape-Timeout-Seconds': String(timeoutMs / 1000),
        };
        const auth = this.authorization();
        if (auth) headers.Authorization = auth;
      } catch (e) {
        reject(new ScrapeHttpError(errPrefix + (e as Error).message));
        return;
      }
      const isHttps = parsed.protocol === 'https:';
      let req: http.ClientRequest;
      try {
        req = (isHttps ? https : http).request(parsed, {
          method: 'GET',
          headers,
          agent: isHttps ? this.httpsAgent : this.httpAgent,
        });
      } catch (e) {
        reject(new ScrapeHttpError(errPrefix + (e as Error).message));
        return;
      }
      const timer = setTimeout(() => fail(errPrefix + 'context deadline exceeded'), timeoutMs);
      const onAbort = () => fail(errPrefix + 'context canceled');
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => fail(errPrefix + e.message));
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          fail(`server returned HTTP status ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
          return;
        }
        const gz = (res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
        const stream = gz ? res.pipe(createGunzip()) : res;
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (e: Error) => fail(errPrefix + (gz ? 'gzip: ' : '') + e.message));
        stream.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve({ body: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') });
        });
      });
      req.end();
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
