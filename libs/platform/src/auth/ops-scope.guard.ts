import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ProblemError } from '../errors/problem';
import type { AuthContext } from './scopes';

/** For controllers owned by libraries (dead letters, projections) that cannot carry our decorators:
 *  runs after the global API-key guard and admits ops keys only. */
@Injectable()
export class OpsScopeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const auth = context.switchToHttp().getRequest<{ auth?: AuthContext }>().auth;
    if (!auth?.scopes.includes('ops')) {
      throw ProblemError.of('forbidden', 'AUTH.INSUFFICIENT_SCOPE', 'This operation needs the ops scope.', { requiredScopes: ['ops'] });
    }
    return true;
  }
}
