/**
 * The two systems under test, each started as its own process exactly as a user would start it, on
 * loopback, with a configuration that scrapes nothing (only the benchmark's load counts). Stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/peers/process.js';

export type SystemName = 'prometheus' | 'sextant';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const SEXTANT_BIN = join(REPO_ROOT, 'bin', 'sextant.js');

const CONFIG = 'global:\n  scrape_interval: 15s\n';

export interface RunningSystem {
  readonly name: SystemName;
  readonly url: string;
  readonly pid: number;
  /** Spawn to the first 200 from /-/ready, ms. */
  readonly readyMs: number;
  readonly proc: ChildProcess;
  /** Last lines of output, for diagnosing failures. */
  output(): string;
  /** Sends the signal and waits for the exit (SIGKILL after `graceMs`). */
  stop(signal: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface SystemOptions {
  /** Working directory of this system: config and data live below it and survive restarts. */
  dir: string;
  /** Extra Node flags for Sextant (e.g. --cpu-prof). */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

function commandFor(name: SystemName, dir: string, port: number, nodeFlags: string[]): { bin: string; args: string[] } {
  const cfg = join(dir, 'config.yml');
  const data = join(dir, 'data');
  if (name === 'prometheus') {
    return {
      bin: PROMETHEUS_BIN,
      args: [
        `--config.file=${cfg}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--storage.tsdb.retention.time=30d',
      ],
    };
  }
  return {
    bin: process.execPath,
    // The OTLP/gRPC receiver stays on (as by default) but on a free port: its default 4317 may be taken by
    // another Sextant on a shared machine.
    args: [...nodeFlags, SEXTANT_BIN, 'serve', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--config', cfg, '--otlp-grpc-listen', '127.0.0.1:0'],
  };
}

/** The exact command line, for the record. */
export function describeCommand(name: SystemName): string {
  const { bin, args } = commandFor(name, 'DIR', 0, []);
  return [name === 'sextant' ? 'node' : bin, ...args]
    .join(' ')
    .replace(/127\.0\.0\.1:0/, '127.0.0.1:PORT')
    .replace(SEXTANT_BIN, 'bin/sextant.js');
}

export function dataDir(dir: string): string {
  return join(dir, 'data');
}

export async function startSystem(name: SystemName, opts: SystemOptions): Promise<RunningSystem> {
  mkdirSync(opts.dir, { recursive: true });
  if (!existsSync(join(opts.dir, 'config.yml'))) writeFileSync(join(opts.dir, 'config.yml'), CONFIG);
  if (name === 'prometheus' && !existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} is not installed`);
  if (name === 'sextant' && !existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('Sextant is not built: run `npm run build:server` first');
  }
  const port = await freePort();
  const { bin, args } = commandFor(name, opts.dir, port, opts.nodeFlags ?? []);
  const t0 = performance.now();
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.dir });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-8000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 600_000);
  let readyMs = 0;
  for (;;) {
    if (exited) throw new Error(`${name} exited during start:\n${out}`);
    try {
      const res = await fetch(url + '/-/ready');
      await res.arrayBuffer();
      if (res.status === 200) {
        readyMs = performance.now() - t0;
        break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} not ready in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  live.add(proc);
  void exit.then(() => live.delete(proc));
  return {
    name,
    url,
    pid: proc.pid as number,
    readyMs,
    proc,
    output: () => out,
    stop: async (signal, graceMs = 60_000) => {
      if (exited) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Children still running; killed by PID if the harness itself is interrupted. */
const live = new Set<ChildProcess>();
export function killAll(): void {
  for (const p of live) p.kill('SIGKILL');
}

/** Resident set size from /proc/PID/status (VmRSS), bytes; also its anonymous and file-backed parts. */
export function readRss(pid: number): { rss: number; anon: number; file: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** User + system CPU seconds the process has used so far (from /proc/PID/stat). */
export function readCpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may contain spaces) start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}
