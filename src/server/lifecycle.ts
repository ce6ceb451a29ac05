/** /-/healthy, /-/ready and /-/reload, as Prometheus's --web.enable-lifecycle endpoints behave. */
import type { FastifyInstance } from 'fastify';

export interface LifecycleDeps {
  isReady: () => boolean;
  /** Reloads the configuration; rejects with the reason when the new configuration is invalid. */
  reload: () => Promise<void>;
}

export function registerLifecycleRoutes(app: FastifyInstance, deps: LifecycleDeps): void {
  app.get('/-/healthy', async (_req, reply) => reply.type('text/plain').send('Sextant Server is Healthy.\n'));
  app.get('/-/ready', async (_req, reply) =>
    deps.isReady()
      ? reply.type('text/plain').send('Sextant Server is Ready.\n')
      : reply.code(503).type('text/plain').send('Service Unavailable\n'),
  );
  const reload = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    try {
      await deps.reload();
      return reply.code(200).type('text/plain').send('');
    } catch (err) {
      return reply.code(500).type('text/plain').send(`failed to reload config: ${(err as Error).message}\n`);
    }
  };
  app.post('/-/reload', reload);
  app.put('/-/reload', reload);
}
