import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthContext, Scope } from './scopes';

export const PUBLIC_ROUTE = 'ionet:public';
export const REQUIRED_SCOPES = 'ionet:scopes';

/** No API key needed (health, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The caller needs at least one of these scopes. */
export const RequireScopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPES, scopes);

/** The authenticated caller of this request. */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthContext => {
  const request = ctx.switchToHttp().getRequest<{ auth?: AuthContext }>();
  if (!request.auth) throw new Error('Caller used on a route without authentication');
  return request.auth;
});

/** The request's id (X-Request-Id when the caller sent a valid one): the correlation id of the
 *  events a command appends. */
export const RequestId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => String(ctx.switchToHttp().getRequest<{ id: unknown }>().id));
