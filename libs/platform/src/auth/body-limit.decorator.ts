import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/** The route config key read by installBodyLimits. */
export const BODY_LIMIT_CONFIG = 'bodyLimitBytes';

/** A route that needs bodies larger (or smaller) than the service's HTTP_BODY_LIMIT_BYTES. */
export const BodyLimit = (bytes: number): MethodDecorator => {
  if (!Number.isInteger(bytes) || bytes < 1) throw new Error(`BodyLimit needs a positive whole number of bytes, not ${bytes}`);
  return RouteConfig({ [BODY_LIMIT_CONFIG]: bytes }) as MethodDecorator;
};

/** Gives each route declaring @BodyLimit its own Fastify bodyLimit (413 beyond it). */
export function installBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const bytes = (route.config as Record<string, unknown> | undefined)?.[BODY_LIMIT_CONFIG];
    if (typeof bytes === 'number') route.bodyLimit = bytes;
  });
}
