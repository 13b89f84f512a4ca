import type { FastifyRequest } from 'fastify';

/** The bytes of the request's body as received (Nest's `rawBody: true`, set by createServiceApp),
 *  or undefined without a body. */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  return (request as FastifyRequest & { rawBody?: Buffer }).rawBody;
}
