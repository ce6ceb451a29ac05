/**
 * The HTTP client of remote_write: POSTs over node:http/https with the destination's tls_config (CA, client
 * certificate, server name, insecure_skip_verify) and proxy_url (plain HTTP forwarding for http:// URLs, a
 * CONNECT tunnel for https:// ones, credentials in the proxy URL sent as Proxy-Authorization), as Go's
 * http.Transport does for Prometheus. Certificate and key files are read when the client is made (a config
 * load); if they cannot be read every request fails with that error, which the queue logs and retries.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TLSConfig } from '../../config/types.js';

export interface RemoteRequestInit {
  method: string;
  body: Uint8Array;
  headers: Record<string, string>;
  signal?: AbortSignal;
}

/** The part of a fetch Response the sender reads. */
export interface RemoteResponse {
  readonly status: number;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** What WriteQueue sends with; the global fetch fits too (tests inject it or a fake). */
export type RemoteFetch = (url: string, init: RemoteRequestInit) => Promise<RemoteResponse>;

export interface RemoteHttpOptions {
  tlsConfig?: TLSConfig;
  proxyUrl?: string;
}

interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized: boolean;
}

function readTls(cfg: TLSConfig | undefined): TlsMaterial {
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`unable to read ${what} ${file}: ${(e as Error).message}`);
    }
  };
  return {
    ca: read(cfg?.caFile, 'CA cert'),
    cert: read(cfg?.certFile, 'client certificate'),
    key: read(cfg?.keyFile, 'client key'),
    servername: cfg?.serverName,
    rejectUnauthorized: !(cfg?.insecureSkipVerify ?? false),
  };
}

class BufferedResponse implements RemoteResponse {
  constructor(
    readonly status: number,
    private readonly body: Buffer,
  ) {}
  async text(): Promise<string> {
    return this.body.toString('utf8');
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer;
  }
}

export class RemoteHttpClient {
  private readonly material: TlsMaterial | undefined;
  private readonly materialError: Error | undefined;
  private readonly proxy: URL | undefined;
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent | undefined;

  constructor(opts: RemoteHttpOptions) {
    try {
      this.material = readTls(opts.tlsConfig);
      this.httpsAgent = new https.Agent({ keepAlive: true, ...this.material });
    } catch (e) {
      this.materialError = e as Error;
    }
    this.proxy = opts.proxyUrl ? new URL(opts.proxyUrl) : undefined;
  }

  /** Sends one request and buffers the whole response. */
  readonly fetch: RemoteFetch = async (url, init) => {
    if (this.materialError) throw this.materialError;
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers, 'Content-Length': String(init.body.byteLength) };
    if (!this.proxy) {
      const secure = target.protocol === 'https:';
      return this.exchange(
        (secure ? https : http).request(target, { method: init.method, headers, agent: secure ? this.httpsAgent : this.httpAgent, signal: init.signal }),
        init.body,
      );
    }
    const proxyAuth = proxyAuthorization(this.proxy);
    if (target.protocol === 'http:') {
      // A plain-HTTP destination through a proxy: the request goes to the proxy with the absolute URL.
      if (proxyAuth) headers['Proxy-Authorization'] = proxyAuth;
      return this.exchange(
        http.request({
          host: this.proxy.hostname,
          port: this.proxy.port || 80,
          path: target.href,
          method: init.method,
          headers: { ...headers, Host: target.host },
          agent: this.httpAgent,
          signal: init.signal,
        }),
        init.body,
      );
    }
    const socket = await this.tunnel(target, proxyAuth, init.signal);
    try {
      return await this.exchange(
        // No agent: with createConnection the request runs on the tunnelled socket (agent: false would dial anew).
        https.request(target, { method: init.method, headers, createConnection: () => socket, signal: init.signal }),
        init.body,
      );
    } finally {
      // One tunnel per request: close it rather than leave it to the proxy's and the receiver's idle timeouts.
      socket.destroy();
    }
  };

  /** Opens a CONNECT tunnel through the proxy and starts TLS with the destination inside it. */
  private tunnel(target: URL, proxyAuth: string | undefined, signal: AbortSignal | undefined): Promise<tls.TLSSocket> {
    const proxy = this.proxy!;
    const port = target.port || '443';
    const authority = `${target.hostname.includes(':') && !target.hostname.startsWith('[') ? `[${target.hostname}]` : target.hostname}:${port}`;
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: proxy.hostname,
        port: proxy.port || 80,
        method: 'CONNECT',
        path: authority,
        headers: { Host: authority, ...(proxyAuth ? { 'Proxy-Authorization': proxyAuth } : {}) },
        agent: false,
        signal,
      });
      req.once('connect', (res, socket) => {
        if (res.statusCode !== 200) {
          socket.destroy();
          reject(new Error(`proxyconnect tcp: proxy ${proxy.host} refused CONNECT: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
          return;
        }
        const m = this.material!;
        const host = target.hostname.replace(/^\[|\]$/g, '');
        const tlsSocket = tls.connect({
          socket,
          ca: m.ca,
          cert: m.cert,
          key: m.key,
          rejectUnauthorized: m.rejectUnauthorized,
          servername: m.servername ?? (isIP(host) ? undefined : host),
        });
        tlsSocket.once('secureConnect', () => resolve(tlsSocket));
        tlsSocket.once('error', reject);
      });
      req.once('error', reject);
      req.end();
    });
  }

  private exchange(req: http.ClientRequest, body: Uint8Array): Promise<RemoteResponse> {
    return new Promise((resolve, reject) => {
      req.once('error', reject);
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve(new BufferedResponse(res.statusCode ?? 0, Buffer.concat(chunks))));
        res.once('error', reject);
      });
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent?.destroy();
  }
}

function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
}
