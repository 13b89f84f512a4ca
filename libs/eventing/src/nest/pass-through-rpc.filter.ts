import { Catch, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/** Hands a handler's error to KafkaBatchTransport as thrown. Nest's default RPC filter replaces any
 *  error that is not an RpcException with "Internal server error", which hides a database error's
 *  SQLSTATE, so a poison message (ADR 0211) would be retried forever instead of dead-lettered.
 *  Installing it with `app.connectMicroservice({ strategy }).useGlobalFilters(new
 *  PassThroughRpcExceptionFilter())` is too late (Nest registers the listeners inside
 *  connectMicroservice), so decorate each class of @EventPattern handlers with `@EventHandlers()`. */
@Catch()
export class PassThroughRpcExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** Marks a class of @EventPattern handlers for KafkaBatchTransport: their errors reach the consumer
 *  as thrown, so a database data error dead-letters (ADR 0211) and a fault is retried. */
export const EventHandlers = (): ClassDecorator => UseFilters(new PassThroughRpcExceptionFilter());
