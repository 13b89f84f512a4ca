import { Inject, Injectable, SetMetadata, UseGuards, applyDecorators, createParamDecorator, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AGENT_AUTH_CODES, AGENT_SIGNATURE_MAX_SKEW_MS, verifyAgentRequest } from '@ionet/agent-protocol';
import type { FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import { PUBLIC_ROUTE } from '../auth/auth.decorators';
import { ProblemError } from '../errors/problem';
import { rawBodyOf } from '../idempotency/raw-body';
import { REDIS } from '../platform.tokens';

/** The worker agent behind a request: its ed25519 address (the Solana public key). Which device it
 *  is, is each service's business (verification and inventory keep their own maps). */
export interface AgentContext {
  address: string;
}

type AgentRequest = FastifyRequest & { agent?: AgentContext };

const NONCE_KEY_PREFIX = 'ionet:agent-nonce:';

/**
 * Authenticates a worker agent's request (ADR 0400): the ed25519 signature over method, path and
 * query as received, timestamp, nonce and the raw body's hash; the timestamp within five minutes of
 * this machine's wall clock (transport time, not the domain clock); the nonce unused by this key
 * within twice that window (Redis SET NX PX: the first of two concurrent replays wins, on every
 * instance). Redis unreachable: 503, never a pass.
 */
@Injectable()
export class AgentAuthGuard implements CanActivate {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AgentRequest>();
    const verdict = verifyAgentRequest({
      headers: request.headers,
      method: request.method,
      pathAndQuery: request.url,
      rawBody: rawBodyOf(request),
      nowMs: Date.now(),
    });
    if (!verdict.ok) throw ProblemError.of('unauthenticated', verdict.code, verdict.detail);
    let fresh: string | null;
    try {
      fresh = await this.redis.set(`${NONCE_KEY_PREFIX}${verdict.address}:${verdict.nonce}`, '1', 'PX', 2 * AGENT_SIGNATURE_MAX_SKEW_MS, 'NX');
    } catch {
      throw ProblemError.of('unavailable', 'AGENT.REPLAY_CHECK_UNAVAILABLE', 'The replay check is unavailable; retry shortly.');
    }
    if (fresh === null) throw ProblemError.of('unauthenticated', AGENT_AUTH_CODES.replayed, 'This nonce was already used by this key: sign every request with a new one.');
    request.agent = { address: verdict.address };
    return true;
  }
}

/** A route called by worker agents: no API key; the agent's signature instead. */
export const AgentAuthenticated = (): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(PUBLIC_ROUTE, true), UseGuards(AgentAuthGuard));

/** The authenticated agent of this request. */
export const AgentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): AgentContext => {
  const request = ctx.switchToHttp().getRequest<AgentRequest>();
  if (!request.agent) throw new Error('AgentCaller used on a route without @AgentAuthenticated()');
  return request.agent;
});
