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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { auth?: AuthContext }>();
    const key = extractKey(request);
    if (!key) {
      void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer realm="ionet"');
      throw ProblemError.of('unauthenticated', 'AUTH.MISSING_API_KEY', 'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".');
    }
    const auth = await this.keys.authenticate(key);
    if (!auth) {
      void context.switchToHttp().getResponse<FastifyReply>().header('www-authenticate', 'Bearer realm="ionet", error="invalid_token"');
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

function extractKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined;
}
