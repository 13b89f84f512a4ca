import { Injectable, createParamDecorator, type CallHandler, type ExecutionContext, type NestInterceptor, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, lastValueFrom } from 'rxjs';
import { DataSource, type QueryRunner } from 'typeorm';
import type { AuthContext } from '../auth/scopes';
import { ProblemError } from '../errors/problem';
import { isValidIdempotencyKey, requestFingerprint } from './fingerprint';
import { rawBodyOf } from './raw-body';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_EXEMPT = 'ionet:idempotency-exempt';
/** How long a key is remembered: a key older than this may be used again for a new request, and
 *  its record is purged. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** How often each replica purges expired records (deletes are idempotent across replicas). */
export const IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** Rows deleted per purge statement, so one purge never holds a long lock. */
const PURGE_BATCH_ROWS_MAX = 10_000;

/** The in-flight lock of (tenant, key): a session-level advisory lock on this process's own
 *  connection, so a process that dies (SIGKILL, OOM) releases it at once (ADR 0210). */
const LOCK_KEYS = `hashtext(current_schema() || ':' || $1), hashtext($2)`;

interface RecordRow {
  request_fingerprint: string;
  response_status: number | null;
  response_body: unknown;
}

/**
 * Idempotency-Key is optional (Stripe's convention): a POST without one is not deduplicated. With
 * one, the first request runs and its successful response is stored; a retry with the same key and
 * the same bytes gets that response again (`Idempotent-Replayed: true`) without running twice; the
 * same key with other bytes is refused (422); a retry while the first still runs in a live process
 * gets 409. A request that failed, or whose process died, leaves the key free: its retry runs
 * again, and handlers that derive ids from the key (`@IdempotencyKey()`) create nothing twice.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnApplicationBootstrap, OnApplicationShutdown {
  private lockSession: Promise<QueryRunner> | undefined;
  private readonly inFlight = new Set<string>();
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => undefined), IDEMPOTENCY_PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.purgeTimer);
    const session = this.lockSession;
    this.lockSession = undefined;
    if (session) await (await session.catch(() => undefined))?.release().catch(() => undefined);
  }

  /** Deletes records older than the TTL, in bounded batches; returns how many. */
  async purgeExpired(ttlMs = IDEMPOTENCY_KEY_TTL_MS): Promise<number> {
    let deleted = 0;
    for (;;) {
      const result = (await this.dataSource.query(
        `delete from idempotency_keys where ctid in (select ctid from idempotency_keys where created_at < now() - make_interval(secs => $1) limit $2)`,
        [ttlMs / 1000, PURGE_BATCH_ROWS_MAX],
      )) as [unknown[], number];
      const count = Array.isArray(result) ? Number(result[1] ?? 0) : 0;
      deleted += count;
      if (count < PURGE_BATCH_ROWS_MAX) return deleted;
    }
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { auth?: AuthContext }>();
    if (request.method !== 'POST' || this.reflector.getAllAndOverride<boolean>(IDEMPOTENCY_EXEMPT, [context.getHandler(), context.getClass()])) {
      return next.handle();
    }
    const header = request.headers[IDEMPOTENCY_HEADER];
    const key = Array.isArray(header) ? header[0] : header;
    if (key === undefined) return next.handle();
    return from(this.handle(context, request, key, next));
  }

  private async handle(context: ExecutionContext, request: FastifyRequest & { auth?: AuthContext }, key: string, next: CallHandler): Promise<unknown> {
    if (!isValidIdempotencyKey(key)) throw ProblemError.of('invalid', 'IDEMPOTENCY.KEY_INVALID', 'The Idempotency-Key must be 1 to 255 printable ASCII characters.');
    const tenantId = request.auth?.tenantId ?? 'anonymous';
    const fingerprint = requestFingerprint(request.method, request.url, rawBodyOf(request));
    // Session advisory locks are re-entrant within one session: this process's own requests are
    // told apart here.
    const local = `${tenantId}\n${key}`;
    if (this.inFlight.has(local)) throw inProgress();
    this.inFlight.add(local);
    try {
      if (!(await this.tryLock(tenantId, key))) throw inProgress();
      try {
        const [existing] = (await this.dataSource.query(
          `select request_fingerprint, response_status, response_body from idempotency_keys
            where tenant_id = $1 and idempotency_key = $2 and created_at >= now() - make_interval(secs => $3)`,
          [tenantId, key, IDEMPOTENCY_KEY_TTL_MS / 1000],
        )) as RecordRow[];
        if (existing && existing.request_fingerprint !== fingerprint) {
          throw ProblemError.of('unprocessable', 'IDEMPOTENCY.KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
        }
        if (existing && existing.response_status !== null) {
          void context.switchToHttp().getResponse<FastifyReply>().status(existing.response_status).header('idempotent-replayed', 'true');
          return existing.response_body;
        }
        // No record, an expired one, or one whose request died with its process (we hold its lock).
        await this.dataSource.query(
          `insert into idempotency_keys (tenant_id, idempotency_key, request_fingerprint, created_at) values ($1, $2, $3, now())
           on conflict (tenant_id, idempotency_key) do update
             set request_fingerprint = excluded.request_fingerprint, created_at = excluded.created_at, response_status = null, response_body = null, completed_at = null`,
          [tenantId, key, fingerprint],
        );
        try {
          const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
          const status = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
          await this.dataSource.query(
            `update idempotency_keys set response_status = $3, response_body = $4, completed_at = now() where tenant_id = $1 and idempotency_key = $2`,
            [tenantId, key, status, JSON.stringify(body ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))],
          );
          return body;
        } catch (err) {
          await this.dataSource.query(`delete from idempotency_keys where tenant_id = $1 and idempotency_key = $2`, [tenantId, key]);
          throw err;
        }
      } finally {
        await this.unlock(tenantId, key);
      }
    } finally {
      this.inFlight.delete(local);
    }
  }

  private async tryLock(tenantId: string, key: string): Promise<boolean> {
    const session = await this.session();
    try {
      const [row] = (await session.query(`select pg_try_advisory_lock(${LOCK_KEYS}) as locked`, [tenantId, key])) as Array<{ locked: boolean }>;
      return row!.locked;
    } catch (err) {
      // A broken session lost its locks with it: start a new one on the next request.
      this.lockSession = undefined;
      await session.release().catch(() => undefined);
      throw err;
    }
  }

  private async unlock(tenantId: string, key: string): Promise<void> {
    const session = await this.session().catch(() => undefined);
    await session?.query(`select pg_advisory_unlock(${LOCK_KEYS})`, [tenantId, key]).catch(() => undefined);
  }

  private session(): Promise<QueryRunner> {
    this.lockSession ??= (async () => {
      const runner = this.dataSource.createQueryRunner();
      await runner.connect();
      return runner;
    })().catch((err: unknown) => {
      this.lockSession = undefined;
      throw err;
    });
    return this.lockSession;
  }
}

function inProgress(): ProblemError {
  return ProblemError.of('conflict', 'IDEMPOTENCY.REQUEST_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry later.');
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
