/**
 * Pieces the alerting end-to-end tests share: a silent logger, timers that never fire (the tests drive
 * evaluation with their own clock), and a scrape target that can go away and come back on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Timers } from '../../src/alerting/rules/manager.js';

export const logger = pino({ level: 'silent' });
export const noTimers: Timers = { setTimeout: () => undefined, clearTimeout: () => undefined };

export interface FlappingTarget {
  /** host:port, unchanged across down()/up(). */
  address: string;
  /** Closes the port so scrapes fail. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A scrape target that can go away (close its port) and come back on the same port. */
export async function flappingTarget(): Promise<FlappingTarget> {
  let server: http.Server | undefined;
  let port = 0;
  const listen = async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('app_ready 1\n');
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  };
  const close = async () => {
    if (!server) return;
    const s = server;
    server = undefined;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return { address: `127.0.0.1:${port}`, down: close, up: listen, close };
}
