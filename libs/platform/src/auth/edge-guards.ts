import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from '../errors/problem';
import { presentedApiKey } from './api-key.guard';
import type { EdgeConfig } from './edge-config';

/** A query parameter that would carry a credential: URLs end up in logs, proxies and histories. */
const KEY_IN_QUERY = /(?:^|[?&])(?:api_key|apikey|api-key|access_token|key)=/i;

/** The path without its query, for problem `instance`s and logs. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, url: string): FastifyReply {
  return reply.code(status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem(status, code, detail, { instance: pathOf(url) }));
}

/** Health probes are never limited: an orchestrator must always be able to ask. */
const isProbe = (request: FastifyRequest) => request.url.startsWith('/health/');

/**
 * The edge's first checks, before routing, parsing or any lookup (ADR 0302):
 * - a key in the query string is refused (401) and its URL is never echoed;
 * - per client address: a budget of requests and a smaller one of refused credentials (past it,
 *   a flood of bad keys gets 429 while live keys still pass), and per API key a budget of requests;
 * every refusal is problem+json, 429 with Retry-After.
 */
export function installEdgeGuards(fastify: FastifyInstance, edge: EdgeConfig, authenticates: (key: string) => boolean): void {
  const window = { timeWindow: edge.RATE_LIMIT_WINDOW_MS };
  const perAddress = fastify.createRateLimit({ ...window, max: edge.RATE_LIMIT_ADDRESS_MAX, keyGenerator: (req) => `a:${req.ip}` });
  const authFailures = fastify.createRateLimit({ ...window, max: edge.RATE_LIMIT_AUTH_FAILURES_MAX, keyGenerator: (req) => `f:${req.ip}` });
  const perKey = fastify.createRateLimit({
    ...window,
    max: edge.RATE_LIMIT_KEY_MAX,
    keyGenerator: (req) => {
      const key = presentedApiKey(req);
      return typeof key === 'string' ? `k:${key}` : '';
    },
  });

  const limited = (reply: FastifyReply, url: string, ttlInSeconds: number, what: string) => {
    void reply.header('retry-after', String(Math.max(1, ttlInSeconds)));
    return sendProblem(reply, 429, 'REQUEST.RATE_LIMITED', `Too many requests ${what}; retry after ${Math.max(1, ttlInSeconds)} s.`, url);
  };

  fastify.addHook('onRequest', async (request, reply) => {
    const queryAt = request.url.indexOf('?');
    if (queryAt !== -1 && KEY_IN_QUERY.test(request.url.slice(queryAt))) {
      void reply.header('www-authenticate', 'Bearer realm="ionet", error="invalid_request"');
      return sendProblem(reply, 401, 'AUTH.KEY_IN_QUERY', 'API keys are never accepted in the URL: send "Authorization: Bearer <key>". Revoke a key that was sent in a URL.', request.url);
    }
    if (isProbe(request)) return;
    const failures = await authFailures(request, { increment: false });
    const key = presentedApiKey(request);
    // Read, not counted: an address that spent its budget of refusals gets 429 for anything but a
    // live key, so guessing stops while callers with good keys behind the same proxy carry on.
    if (!failures.isAllowed && failures.remaining === 0 && !(typeof key === 'string' && authenticates(key))) {
      return limited(reply, request.url, failures.ttlInSeconds, 'with refused credentials from this address');
    }
    const address = await perAddress(request);
    if (!address.isAllowed && address.isExceeded) return limited(reply, request.url, address.ttlInSeconds, 'from this address');
    if (typeof key === 'string') {
      const byKey = await perKey(request);
      if (!byKey.isAllowed && byKey.isExceeded) return limited(reply, request.url, byKey.ttlInSeconds, 'with this API key');
    }
  });

  fastify.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401) await authFailures(request);
  });
}
