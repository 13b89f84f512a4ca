import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import { CodedError } from '@ionet/errors';
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { ApiKeyService } from '../auth/api-key.service';
import { CLOCK, wallDelayMs, type Clock } from '../clock/clock';
import { CONFIG, hasRole, type BaseConfig } from '../config/config';
import { PROBLEM_CONTENT_TYPE, problem } from '../errors/problem';
import { LOGGER, type Logger } from '../logging/logger';
import { PG_POOL } from '../platform.tokens';
import { jobKindOf, type JobClass, type JobContext, type JobEnvelope, type JobKind, type JobProcessor } from './job';
import { runEffectOnce } from './job-effects';
import { currentTraceCarrier, withJobSpan } from './job-tracing';
import { assertJobId, deterministicJobId, type QueueDefinition } from './queues';

/** Where ops see the queues (Bull Board), behind an ops key like every ops route. */
export const QUEUE_BOARD_PATH = '/v1/ops/queues';

/** A job kind that runs on a schedule: every `everyClockMs` of the service's clock (so an hourly
 *  job runs every wall minute at CLOCK_RATE=60). */
export interface JobSchedule<Payload> {
  job: JobClass<Payload>;
  /** Stable, kebab-case: the same id on every replica upserts one scheduler, not one each. */
  schedulerId: string;
  everyClockMs: number;
  payload: Payload;
}

export interface QueuesModuleOptions {
  /** The processor classes (each decorated with @QueueJob); they are Nest providers of this module. */
  jobs: JobClass<never>[];
  schedules?: JobSchedule<never>[];
  /** Jobs run per worker at once; bounded (STYLE.md: a stated limit on every queue). */
  concurrency?: number;
  /** Serve Bull Board at QUEUE_BOARD_PATH (default true). */
  board?: boolean;
}

const QUEUES_OPTIONS = Symbol('ionet.queues-options');
const CONCURRENCY_DEFAULT = 10;
const CONCURRENCY_MAX = 100;

/** Adds jobs (any role) and runs them (only with the `worker` role), each side effect once. */
@Injectable()
export class JobQueues implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly kinds = new Map<string, { kind: JobKind<unknown>; job: JobClass<unknown> }>();
  private readonly connection: ConnectionOptions;

  constructor(
    @Inject(QUEUES_OPTIONS) private readonly options: QueuesModuleOptions,
    @Inject(CONFIG) private readonly config: BaseConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly moduleRef: ModuleRef,
    private readonly http: HttpAdapterHost,
    private readonly keys: ApiKeyService,
  ) {
    // BullMQ's blocking commands need no per-request retry limit on their connections.
    this.connection = { url: config.REDIS_URL, maxRetriesPerRequest: null } as ConnectionOptions;
    for (const job of options.jobs as JobClass<unknown>[]) {
      const kind = jobKindOf(job);
      const key = `${kind.queue.name}/${kind.name}`;
      if (this.kinds.has(key)) throw new Error(`job ${kind.name} on queue ${kind.queue.name} is registered twice`);
      this.kinds.set(key, { kind, job });
      if (!this.queues.has(kind.queue.name)) this.queues.set(kind.queue.name, this.newQueue(kind.queue));
    }
  }

  /** Adds a job whose id derives from `effectKey` (what identifies the side effect). A second add
   *  with the same key while the job exists is ignored by BullMQ; after BullMQ removed it, the job
   *  runs but finds its effect done. Returns the job id. Carries the caller's trace context. */
  async add<P>(job: JobClass<P>, payload: P, effectKey: readonly (string | number | bigint)[], options: { delayClockMs?: number } = {}): Promise<string> {
    const kind = jobKindOf(job);
    const jobId = deterministicJobId(kind.name, effectKey);
    const envelope: JobEnvelope<P> = { payload, ...withTrace() };
    await this.queueOf(kind.queue).add(kind.name, envelope, {
      jobId: assertJobId(jobId),
      ...(options.delayClockMs ? { delay: wallDelayMs(this.clock, options.delayClockMs) } : {}),
    });
    return jobId;
  }

  /** Creates or updates a scheduler (idempotent: every replica may call it). */
  async schedule<P>(schedule: JobSchedule<P>): Promise<void> {
    const kind = jobKindOf(schedule.job);
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(schedule.schedulerId)) throw new Error(`scheduler id ${schedule.schedulerId} must be lower-case kebab-case`);
    if (!Number.isSafeInteger(schedule.everyClockMs) || schedule.everyClockMs < 1_000) throw new Error('a schedule runs at most once a clock second');
    const envelope: JobEnvelope<P> = { payload: schedule.payload, schedule: { schedulerId: schedule.schedulerId, everyClockMs: schedule.everyClockMs } };
    await this.queueOf(kind.queue).upsertJobScheduler(schedule.schedulerId, { every: wallDelayMs(this.clock, schedule.everyClockMs) }, { name: kind.name, data: envelope });
  }

  /** The BullMQ queue of a definition (for inspection; add jobs with `add`). */
  queueOf(def: QueueDefinition<unknown>): Queue {
    const queue = this.queues.get(def.name);
    if (!queue) throw new Error(`queue ${def.name} has no job registered in QueuesModule`);
    return queue;
  }

  get runsWorkers(): boolean {
    return this.workers.length > 0;
  }

  /** The board's routes must exist before Fastify starts. */
  async onModuleInit(): Promise<void> {
    if (this.options.board !== false) await this.mountBoard();
  }

  /** Workers start once every module is ready (the platform's migrations, job_effects among them, ran). */
  async onApplicationBootstrap(): Promise<void> {
    if (!hasRole(this.config, 'worker')) return;
    const concurrency = Math.min(this.options.concurrency ?? CONCURRENCY_DEFAULT, CONCURRENCY_MAX);
    for (const queue of this.queues.values()) {
      const worker = new Worker(queue.name, (job: Job) => this.run(queue.name, job), { connection: this.connection, prefix: this.config.QUEUE_PREFIX, concurrency });
      worker.on('failed', (job, err) => this.logger.warn({ queue: queue.name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'job failed'));
      worker.on('error', (err) => this.logger.warn({ queue: queue.name, err: err.message }, 'queue worker error'));
      this.workers.push(worker);
    }
    for (const schedule of this.options.schedules ?? []) await this.schedule(schedule as JobSchedule<unknown>);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private newQueue(def: QueueDefinition<unknown>): Queue {
    const queue = new Queue(def.name, { connection: this.connection, prefix: this.config.QUEUE_PREFIX, defaultJobOptions: def.defaultJobOptions });
    queue.on('error', (err) => this.logger.warn({ queue: def.name, err: err.message }, 'queue connection error'));
    return queue;
  }

  private async run(queueName: string, job: Job): Promise<'done' | 'already-done'> {
    const registered = this.kinds.get(`${queueName}/${job.name}`);
    if (!registered) throw new UnrecoverableError(`no processor for job ${job.name} on queue ${queueName}`);
    const envelope = job.data as JobEnvelope<unknown>;
    const processor = this.moduleRef.get<JobProcessor<unknown>>(registered.job, { strict: false });
    const jobId = String(job.id);
    const period = envelope.schedule ? lastCompletedPeriod(this.clock.now(), envelope.schedule.everyClockMs) : undefined;
    // A scheduled run stands for a clock period: however often the scheduler fires (replicas,
    // restarts, a late tick), each period's effect happens once.
    const effectId = envelope.schedule && period ? `${job.name}.${envelope.schedule.schedulerId}.${period.index}` : jobId;
    return withJobSpan(envelope.trace, queueName, job.name, jobId, async () => {
      try {
        return await runEffectOnce(this.pool, { effectId, queue: queueName, jobName: job.name, jobId }, (tx) => {
          const context: JobContext = { jobId, effectId, attempt: job.attemptsMade, tx, clock: this.clock, ...(period ? { period } : {}) };
          return processor.process(envelope.payload, context);
        });
      } catch (err) {
        // A refusal will refuse again: fail the job now instead of retrying it. A stream's version
        // conflict is no refusal: another writer got there first, and the next attempt decides
        // against the new state (BullMQ's backoff spaces it).
        if (err instanceof CodedError && err.kind !== 'fault' && err.code !== VERSION_CONFLICT) throw new UnrecoverableError(`${err.code}: ${err.message}`);
        throw err;
      }
    });
  }

  private async mountBoard(): Promise<void> {
    const fastify = this.http.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    const serverAdapter = new BullBoardFastifyAdapter();
    serverAdapter.setBasePath(QUEUE_BOARD_PATH);
    createBullBoard({ queues: [...this.queues.values()].map((q) => new BullMQAdapter(q)), serverAdapter });
    await fastify.register(async (scope) => {
      scope.addHook('onRequest', (request, reply) => this.admitOps(request, reply));
      await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
    });
  }

  /** Bull Board's routes are Fastify's, not Nest's: the ops key is checked here. */
  private async admitOps(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    const apiKey = request.headers['x-api-key'];
    const key = bearer ?? (typeof apiKey === 'string' && apiKey.trim() ? apiKey.trim() : undefined);
    const auth = key ? await this.keys.authenticate(key) : undefined;
    if (auth?.scopes.includes('ops')) return;
    const refusal = auth
      ? problem(403, 'AUTH.INSUFFICIENT_SCOPE', 'This operation needs the ops scope.', { requiredScopes: ['ops'] })
      : problem(401, key ? 'AUTH.INVALID_API_KEY' : 'AUTH.MISSING_API_KEY', 'Send an ops API key as "Authorization: Bearer <key>".');
    await reply.status(refusal.status).header('content-type', PROBLEM_CONTENT_TYPE).header('www-authenticate', 'Bearer realm="ionet"').send(refusal);
  }
}

function withTrace(): { trace?: Record<string, string> } {
  const trace = currentTraceCarrier();
  return trace ? { trace } : {};
}

/** The last period of `everyClockMs` that ended at or before `now` on the service's clock. */
export function lastCompletedPeriod(now: Date, everyClockMs: number): { index: number; start: Date; end: Date } {
  const index = Math.floor(now.getTime() / everyClockMs) - 1;
  return { index, start: new Date(index * everyClockMs), end: new Date((index + 1) * everyClockMs) };
}

/** @ionet/eventing's optimistic-concurrency conflict (the platform does not depend on the kit). */
const VERSION_CONFLICT = 'EVENT_STORE.VERSION_CONFLICT';

/** Process managers and scheduled jobs over BullMQ (ADR 0007). Needs PlatformModule (global). */
@Module({})
export class QueuesModule {
  static forRoot(options: QueuesModuleOptions): DynamicModule {
    return {
      module: QueuesModule,
      providers: [{ provide: QUEUES_OPTIONS, useValue: options }, ...(options.jobs as JobClass<unknown>[]), JobQueues],
      exports: [JobQueues],
    };
  }
}
