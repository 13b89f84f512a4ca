import { Injectable, createParamDecorator, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/scopes';
import { ProblemError } from '../errors/problem';
import { isValidIdempotencyKey, requestFingerprint } from './fingerprint';
import { IdempotencyRecordEntity } from './idempotency-record.entity';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_EXEMPT = 'ionet:idempotency-exempt';
/** How long a key is remembered; a key older than this may be used again for a new request. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** A first request still unfinished after this long died with its process (requests are far
 *  shorter): a retry may claim the key again rather than wait out the TTL. */
export const IDEMPOTENCY_IN_PROGRESS_STALE_MS = 60 * 1000;

/**
 * Every POST carries an Idempotency-Key. The first request with a key runs and its successful
 * response is stored; a retry with the same key and the same request gets that response again
 * (`Idempotent-Replayed: true`) without running twice; the same key with a different request is
 * refused (422), and a retry while the first is still running gets 409. A failed request releases
 * its key, so the client can retry it.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { auth?: AuthContext }>();
    if (request.method !== 'POST' || this.reflector.getAllAndOverride<boolean>(IDEMPOTENCY_EXEMPT, [context.getHandler(), context.getClass()])) {
      return next.handle();
    }
    return from(this.handle(context, request, next));
  }

  private async handle(context: ExecutionContext, request: FastifyRequest & { auth?: AuthContext }, next: CallHandler): Promise<unknown> {
    const header = request.headers[IDEMPOTENCY_HEADER];
    const key = Array.isArray(header) ? header[0] : header;
    if (!key) throw ProblemError.of('invalid', 'IDEMPOTENCY.KEY_REQUIRED', 'POST requests need an Idempotency-Key header (for example a UUID).');
    if (!isValidIdempotencyKey(key)) throw ProblemError.of('invalid', 'IDEMPOTENCY.KEY_INVALID', 'The Idempotency-Key must be 1 to 255 printable ASCII characters.');
    const tenantId = request.auth?.tenantId ?? 'anonymous';
    const fingerprint = requestFingerprint(request.method, request.url, request.body);
    const repo = this.dataSource.getRepository(IdempotencyRecordEntity);
    const now = new Date();

    const claimed = await this.dataSource.query(
      `insert into idempotency_keys (tenant_id, idempotency_key, request_fingerprint, created_at)
       values ($1, $2, $3, $4)
       on conflict (tenant_id, idempotency_key) do update
         set request_fingerprint = excluded.request_fingerprint, created_at = excluded.created_at,
             response_status = null, response_body = null, completed_at = null
         where idempotency_keys.created_at < $5
            or (idempotency_keys.response_status is null and idempotency_keys.created_at < $6
                and idempotency_keys.request_fingerprint = excluded.request_fingerprint)
       returning tenant_id`,
      [tenantId, key, fingerprint, now, new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS), new Date(now.getTime() - IDEMPOTENCY_IN_PROGRESS_STALE_MS)],
    );
    if (claimed.length === 0) {
      const existing = await repo.findOneByOrFail({ tenantId, key });
      if (existing.requestFingerprint !== fingerprint) {
        throw ProblemError.of('unprocessable', 'IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
      }
      if (existing.responseStatus === null) {
        throw ProblemError.of('conflict', 'IDEMPOTENCY.REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry later.');
      }
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      void reply.status(existing.responseStatus).header('idempotent-replayed', 'true');
      return existing.responseBody;
    }

    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
      await repo.update({ tenantId, key }, { responseStatus: status, responseBody: (body ?? null) as object, completedAt: new Date() });
      return body;
    } catch (err) {
      await repo.delete({ tenantId, key });
      throw err;
    }
  }
}

/** The request's Idempotency-Key with its tenant, or undefined without one: handlers derive the
 *  ids of what the request creates from it, so a retry after a crash creates nothing twice
 *  (ADR 0210). The interceptor has validated the key by the time this runs. */
export const IdempotencyKey = createParamDecorator((_data: unknown, ctx: ExecutionContext): { tenantId: string; key: string } | undefined => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest & { auth?: AuthContext }>();
  const header = request.headers[IDEMPOTENCY_HEADER];
  const key = Array.isArray(header) ? header[0] : header;
  return key && isValidIdempotencyKey(key) ? { tenantId: request.auth?.tenantId ?? 'anonymous', key } : undefined;
});
