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
      ca: tls?.caFile ? readTlsFile(tls.caFile, 'CA cert') : undefined,
      cert: tls?.certFile ? readTlsFile(tls.certFile, 'client certificate') : undefined,
      key: tls?.keyFile ? readTlsFile(tls.keyFile, 'client key') : undefined,
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
    const a = c.authorization;
    if (a && (a.credentials !== undefined || a.credentialsFile)) {
      const credentials = a.credentialsFile ? readFileSync(a.credentialsFile, 'utf8').trim() : a.credentials;
      return `${a.type || 'Bearer'} ${credentials}`;
    }
    return undefined;
  }

  /**
   * GETs the exposition. Redirects are followed (up to 10, as Go's client does; credentials only to the
   * same host). Errors read like Prometheus's: `Get "<url>": context deadline exceeded`,
   * `server returned HTTP status 500 Internal Server Error`.
   */
  scrape(url: string, timeoutMs: number, signal?: AbortSignal): Promise<ScrapeResponse> {
    return new Promise<ScrapeResponse>((resolve, reject) => {
      let settled = false;
      let current: http.ClientRequest | undefined;
      let currentUrl = url;
      const finish = (err: string | undefined, res?: ScrapeResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) {
          current?.destroy();
          reject(new ScrapeHttpError(err));
        } else resolve(res as ScrapeResponse);
      };
      const prefix = () => `Get ${JSON.stringify(currentUrl)}: `;
      const timer = setTimeout(() => finish(prefix() + 'context deadline exceeded'), timeoutMs);
      const onAbort = () => finish(prefix() + 'context canceled');
      signal?.addEventListener('abort', onAbort, { once: true });

      let auth: string | undefined;
      try {
        auth = this.authorization();
      } catch (e) {
        finish(prefix() + (e as Error).message);
        return;
      }
      const originHost = hostOf(url);

      const get = (target: string, redirects: number) => {
        currentUrl = target;
        let parsed: URL;
        try {
          parsed = new URL(target);
        } catch (e) {
          finish(prefix() + (e as Error).message);
          return;
        }
        const headers: http.OutgoingHttpHeaders = {
          Accept: SCRAPE_ACCEPT_HEADER,
          'Accept-Encoding': 'gzip',
          'User-Agent': USER_AGENT,
          'X-Prometheus-Scrape-Timeout-Seconds': String(timeoutMs / 1000),
        };
        if (auth && parsed.host === originHost) headers.Authorization = auth;
        const isHttps = parsed.protocol === 'https:';
        if (!isHttps && parsed.protocol !== 'http:') {
          finish(prefix() + `unsupported protocol scheme ${JSON.stringify(parsed.protocol.replace(/:$/, ''))}`);
          return;
        }
        let req: http.ClientRequest;
        try {
          req = (isHttps ? https : http).request(parsed, { method: 'GET', headers, agent: isHttps ? this.httpsAgent : this.httpAgent });
        } catch (e) {
          finish(prefix() + (e as Error).message);
          return;
        }
        current = req;
        req.on('error', (e) => finish(prefix() + e.message));
        req.on('response', (res) => {
          const status = res.statusCode ?? 0;
          const location = res.headers.location;
          if (status >= 300 && status < 400 && status !== 304 && location) {
            res.resume();
            if (redirects >= 10) {
              finish(prefix() + 'stopped after 10 redirects');
              return;
            }
            get(new URL(location, target).toString(), redirects + 1);
            return;
          }
          if (status !== 200) {
            res.resume();
            finish(`server returned HTTP status ${status} ${res.statusMessage ?? ''}`.trimEnd());
            return;
          }
          const gz = (res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
          const stream = gz ? res.pipe(createGunzip()) : res;
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', (e: Error) => finish(prefix() + (gz ? 'gzip: ' : '') + e.message));
          stream.on('end', () =>
            finish(undefined, { body: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }),
          );
        });
        req.end();
      };
      get(url, 0);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** Reads TLS material, failing with Prometheus's wording so a config reload reports which file is wrong. */
function readTlsFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`unable to load specified ${what} ${path}: ${(e as Error).message}`);
  }
}
