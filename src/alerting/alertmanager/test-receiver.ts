/** A local HTTP receiver for tests: records JSON bodies per path; `fail` makes the next N requests answer 500. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestReceiver {
  url: string;
  bodies: { path: string; body: Record<string, unknown>; auth?: string }[];
  failNext: (n: number, status?: number) => void;
  /** Requests to this path never answer (timeouts). */
  hang: (path: string) => void;
  close: () => Promise<void>;
  waitFor: (pred: (b: { path: string; body: Record<string, unknown> }[]) => boolean, ms?: number) => Promise<void>;
}

export async function startTestReceiver(): Promise<TestReceiver> {
  const bodies: { path: string; body: Record<string, unknown>; auth?: string }[] = [];
  let failing = 0;
  let failStatus = 500;
  const hung = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (hung.has(req.url ?? '')) return;
      if (failing > 0) {
        failing--;
        res.writeHead(failStatus).end('boom');
        return;
      }
      bodies.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, auth: req.headers.authorization });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    failNext: (n, status = 500) => {
      failing = n;
      failStatus = status;
    },
    hang: (p) => hung.add(p),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
    waitFor: async (pred, ms = 10_000) => {
      const end = Date.now() + ms;
      while (!pred(bodies)) {
        if (Date.now() > end) throw new Error(`timed out waiting; got ${JSON.stringify(bodies).slice(0, 2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
