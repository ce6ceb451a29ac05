/**
 * Starts real peer programs (Debian's prometheus, alertmanager, node_exporter) on loopback for tests,
 * waits until they answer, and stops them by PID. Each peer gets its own temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sextant-${prefix}-`));
}

export interface Peer {
  readonly url: string;
  readonly dir: string;
  readonly proc: ChildProcess;
  /** Output so far, for diagnosing a failed start. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  binary: string;
  args: string[];
  port: number;
  dir: string;
  readyPath: string;
  timeoutMs?: number;
}

export function requireBinary(binary: string): void {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is not installed; run scripts/install-peers.sh (apt-get) first`);
  }
}

export async function startPeer(opts: StartOptions): Promise<Peer> {
  requireBinary(opts.binary);
  const proc = spawn(opts.binary, opts.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  proc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 30000);
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${opts.binary} exited during start:\n${out}`);
    try {
      const res = await fetch(url + opts.readyPath);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${opts.binary} not ready after ${opts.timeoutMs ?? 30000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dir: opts.dir,
    proc,
    output: () => out,
    stop: async () => {
      if (!exited) {
        const gone = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}
