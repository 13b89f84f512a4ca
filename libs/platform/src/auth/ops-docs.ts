import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from '../errors/problem';
import { ApiKeyService } from './api-key.service';
import { MALFORMED, presentedApiKey } from './api-key.guard';
import { pathOf } from './edge-guards';

/** The full document, ops routes included; for ops keys only (ADR 0302). */
export const OPS_OPENAPI_PATH = '/v1/ops/openapi.json';

const isOpsPath = (path: string) => path === '/v1/ops' || path.startsWith('/v1/ops/');

/** The document partners see: without the ops routes (their paths and the ops tag). */
export function publicDocument(document: OpenAPIObject): OpenAPIObject {
  return {
    ...document,
    paths: Object.fromEntries(Object.entries(document.paths).filter(([path]) => !isOpsPath(path))),
    tags: (document.tags ?? []).filter((t) => t.name !== 'ops'),
  };
}

export function serveOpsDocument(fastify: FastifyInstance, app: INestApplication, document: OpenAPIObject): void {
  fastify.get(OPS_OPENAPI_PATH, async (request, reply) => {
    const key = presentedApiKey(request);
    const auth = typeof key === 'string' ? app.get(ApiKeyService).authenticate(key) : undefined;
    if (!auth || key === MALFORMED) {
      void reply.header('www-authenticate', 'Bearer realm="ionet"');
      return reply.code(401).header('content-type', PROBLEM_CONTENT_TYPE).send(problem(401, 'AUTH.INVALID_API_KEY', 'The ops documentation needs an ops API key.', { instance: pathOf(request.url) }));
    }
    if (!auth.scopes.includes('ops')) {
      return reply.code(403).header('content-type', PROBLEM_CONTENT_TYPE).send(problem(403, 'AUTH.INSUFFICIENT_SCOPE', 'This operation needs the ops scope.', { requiredScopes: ['ops'], instance: pathOf(request.url) }));
    }
    return document;
  });
}
