/**
 * OAuth 2.0 client credentials for remote_write, as Prometheus's oauth2 block (golang.org/x/oauth2
 * clientcredentials): the token is fetched from token_url, cached until 10 s before it expires, and the
 * client authenticates in the Authorization header first, falling back to form parameters if the server
 * refuses that (Go's AuthStyleAutoDetect). The secret file is re-read for every token request, so rotation
 * needs no reload. The sender calls invalidate() when the remote answers 401, so a revoked token is replaced.
 */
import { readFile } from 'node:fs/promises';
import type { TLSConfig } from '../../config/types.js';
import { RemoteHttpClient, type RemoteFetch } from './write-http.js';

export interface OAuth2Settings {
  clientId: string;
  clientSecret?: string;
  clientSecretFile?: string;
  scopes: string[];
  tokenUrl: string;
  endpointParams: Record<string, string>;
  tlsConfig?: TLSConfig;
  proxyUrl?: string;
}

/** The config's oauth2 block (kept as written, snake_case) in typed form. */
export function oauth2Settings(raw: Record<string, unknown>): OAuth2Settings {
  const str = (k: string): string | undefined => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : undefined);
  return {
    clientId: str('client_id') ?? '',
    clientSecret: str('client_secret'),
    clientSecretFile: str('client_secret_file'),
    scopes: Array.isArray(raw.scopes) ? raw.scopes.filter((s): s is string => typeof s === 'string') : [],
    tokenUrl: str('token_url') ?? '',
    endpointParams: (raw.endpoint_params as Record<string, string> | undefined) ?? {},
    tlsConfig: raw.tls_config as TLSConfig | undefined,
    proxyUrl: str('proxy_url'),
  };
}

/** Refresh this long before the server's expiry, as golang.org/x/oauth2 does. */
const EXPIRY_DELTA_MS = 10_000;

interface CachedToken {
  header: string;
  /** Epoch ms; Infinity when the server gave no expires_in. */
  expiresAt: number;
}

export class OAuth2TokenSource {
  private cached: CachedToken | undefined;
  private inflight: Promise<string> | undefined;
  /** Learned on the first successful token request: credentials in the header or in the form. */
  private style: 'header' | 'params' | undefined;
  private readonly client: RemoteHttpClient | undefined;
  private readonly fetchFn: RemoteFetch;
  /** Token requests made (for tests and debugging). */
  requests = 0;

  constructor(
    private readonly settings: OAuth2Settings,
    opts: { fetch?: RemoteFetch; now?: () => number } = {},
  ) {
    if (opts.fetch) this.fetchFn = opts.fetch;
    else {
      this.client = new RemoteHttpClient({ tlsConfig: settings.tlsConfig, proxyUrl: settings.proxyUrl });
      this.fetchFn = this.client.fetch;
    }
    this.now = opts.now ?? Date.now;
  }

  private readonly now: () => number;

  /** The Authorization header value, e.g. `Bearer abc`; fetches a token when none is cached or it is about to expire. */
  authorization(signal?: AbortSignal): Promise<string> {
    const c = this.cached;
    if (c && this.now() < c.expiresAt - EXPIRY_DELTA_MS) return Promise.resolve(c.header);
    // Concurrent shards share one token request.
    this.inflight ??= this.fetchToken(signal).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** Forgets the cached token (the remote answered 401). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetchToken(signal?: AbortSignal): Promise<string> {
    const s = this.settings;
    const secret = s.clientSecretFile ? (await readFile(s.clientSecretFile, 'utf8')).trim() : (s.clientSecret ?? '');
    const styles: ('header' | 'params')[] = this.style ? [this.style] : ['header', 'params'];
    let lastErr: Error | undefined;
    for (const style of styles) {
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      if (s.scopes.length > 0) form.set('scope', s.scopes.join(' '));
      for (const [k, v] of Object.entries(s.endpointParams)) form.set(k, v);
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
      if (style === 'header') {
        headers.Authorization = 'Basic ' + Buffer.from(`${encodeURIComponent(s.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
      } else {
        form.set('client_id', s.clientId);
        form.set('client_secret', secret);
      }
      this.requests++;
      const res = await this.fetchFn(s.tokenUrl, { method: 'POST', body: Buffer.from(form.toString()), headers, signal });
      const text = await res.text();
      if (res.status < 200 || res.status >= 300) {
        lastErr = new Error(`oauth2: cannot fetch token: ${res.status}\nResponse: ${text.slice(0, 512)}`);
        continue;
      }
      let body: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // Some servers answer form-encoded, which x/oauth2 accepts as well.
        const p = new URLSearchParams(text);
        body = { access_token: p.get('access_token') ?? undefined, token_type: p.get('token_type') ?? undefined, expires_in: p.get('expires_in') ?? undefined };
      }
      if (typeof body.access_token !== 'string' || body.access_token === '') throw new Error('oauth2: server response missing access_token');
      const type = typeof body.token_type === 'string' && body.token_type !== '' ? body.token_type : 'Bearer';
      const expiresIn = Number(body.expires_in);
      this.style = style;
      this.cached = {
        // x/oauth2 normalises the common lower-case spellings.
        header: `${/^(bearer|mac|basic)$/i.test(type) ? type[0].toUpperCase() + type.slice(1).toLowerCase() : type} ${body.access_token}`,
        expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? this.now() + expiresIn * 1000 : Infinity,
      };
      return this.cached.header;
    }
    throw lastErr ?? new Error('oauth2: cannot fetch token');
  }

  close(): void {
    this.client?.close();
  }
}
