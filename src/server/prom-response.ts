/** Prometheus HTTP API envelopes: `{status, data}` and `{status, errorType, error}` with its status codes. */
import type { FastifyReply } from 'fastify';

export type PromErrorType = 'bad_data' | 'execution' | 'canceled' | 'timeout' | 'internal' | 'unavailable' | 'not_found';

const STATUS_BY_TYPE: Record<PromErrorType, number> = {
  bad_data: 400,
  execution: 422,
  canceled: 503,
  timeout: 503,
  internal: 500,
  unavailable: 503,
  not_found: 404,
};

export class PromApiError extends Error {
  constructor(
    readonly errorType: PromErrorType,
    message: string,
  ) {
    super(message);
    this.name = 'PromApiError';
  }
}

export function sendData(reply: FastifyReply, data: unknown, warnings?: string[]): FastifyReply {
  const body: Record<string, unknown> = { status: 'success', data };
  if (warnings && warnings.length > 0) body.warnings = warnings;
  return reply.code(200).send(body);
}

export function sendError(reply: FastifyReply, errorType: PromErrorType, message: string): FastifyReply {
  return reply.code(STATUS_BY_TYPE[errorType]).send({ status: 'error', errorType, error: message });
}
