import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError } from '../errors/problem';
import { ApiKeyService } from './api-key.service';
import { PUBLIC_ROUTE, REQUIRED_SCOPES } from './auth.decorators';
import type { AuthContext, Scope } from './scopes';

/** Every route needs an API key unless marked @Public(); @RequireScopes narrows who may call it. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { auth?: AuthContext }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = presentedApiKey(request);
    if (key === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="ionet"');
      throw ProblemError.of('unauthenticated', 'AUTH.MISSING_API_KEY', 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".');
    }
    if (key === MALFORMED) {
      void reply.header('www-authenticate', 'Bearer realm="ionet", error="invalid_request"');
      throw ProblemError.of('unauthenticated', 'AUTH.MALFORMED_AUTHORIZATION', 'The Authorization header must be "Bearer <key>".');
    }
    const auth = this.keys.authenticate(key);
    if (!auth) {
      void reply.header('www-authenticate', 'Bearer realm="ionet", error="invalid_token"');
      throw ProblemError.of('unauthenticated', 'AUTH.INVALID_API_KEY', 'The API key is unknown or revoked.');
    }
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets);
    if (required && !required.some((s) => auth.scopes.includes(s))) {
      throw ProblemError.of('forbidden', 'AUTH.INSUFFICIENT_SCOPE', `This operation needs one of the scopes: ${required.join(', ')}.`, {
        requiredScopes: required,
      });
    }
    request.auth = auth;
    return true;
  }
}

export const MALFORMED = Symbol('malformed credentials');

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/i;

/** The key the request presents: an Authorization header, when present, is the only credential
 *  looked at (a malformed one is refused, never passed over for X-API-Key); otherwise X-API-Key. */
export function presentedApiKey(request: Pick<FastifyRequest, 'headers'>): string | typeof MALFORMED | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = typeof header === 'string' ? BEARER.exec(header.trim()) : null;
    return match ? match[1]! : MALFORMED;
  }
  const apiKey = request.headers['x-api-key'];
  if (apiKey === undefined) return undefined;
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(apiKey.trim())) return MALFORMED;
  return apiKey.trim();
}
