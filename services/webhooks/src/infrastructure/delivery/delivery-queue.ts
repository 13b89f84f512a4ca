import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { deterministicJobId, wallDelayMs, type Clock, type Logger } from '@ionet/platform';
import type { Pool } from 'pg';
import { scheduledAttempt, type AttemptJob, type AttemptResult } from '../../application/delivery-attempts';
import type { DeliveryStart, DeliveryStarter } from '../../application/fan-out';

export const DELIVERY_QUEUE_NAME = 'webhook-deliveries';
const JOB_NAME = 'webhook-attempt';
/** Deliveries whose attempt is this overdue (service clock) are re-queued by the sweeper. */
const OVERDUE_CLOCK_MS = 60_000;
const SWEEP_INTERVAL_MS = 15_000;
const SWEEP_BATCH_MAX = 1_000;

export interface DeliveryQueueOptions {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  runWorker: boolean;
  clock: Clock;
  logger: Logger;
  pool: Pool;
  /** Wall time a new delivery's first attempt belongs to the process that fanned it out (it sends
   *  it directly): the sweeper re-queues a first attempt only after this, whatever the clock's rate. */
  firstAttemptLeaseMs: number;
  run(job: AttemptJob): Promise<AttemptResult>;
  /** Counts each attempt's outcome (metrics). */
  onAttempt?(outcome: AttemptResult['outcome']): void;
}

/**
 * The attempts in BullMQ: one job per (delivery, attempt) with an id derived from both, so a
 * second add of the same attempt (a replay, the sweeper) is ignored while the job exists, and a
 * job that runs again finds its attempt recorded. Delays are on the service's clock. The job's
 * own retries cover faults of ours only (the delivery not committed yet, the database down); a
 * receiver's failure is an attempt of the schedule, not a job retry.
 */
export class DeliveryQueue implements DeliveryStarter {
  private readonly connection: ConnectionOptions;
  private readonly queue: Queue<AttemptJob>;
  private worker: Worker<AttemptJob> | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: DeliveryQueueOptions) {
    this.connection = { url: options.redisUrl, maxRetriesPerRequest: null } as ConnectionOptions;
    this.queue = new Queue<AttemptJob>(DELIVERY_QUEUE_NAME, {
      connection: this.connection,
      prefix: options.prefix,
      // A job that exhausted its retries is removed (and logged), so the sweeper can add it again.
      defaultJobOptions: { attempts: 10, backoff: { type: 'exponential', delay: 100 }, removeOnComplete: 10_000, removeOnFail: true },
    });
    this.queue.on('error', (err) => options.logger.warn({ err: err.message }, 'webhook queue connection error'));
  }

  start(deliveries: DeliveryStart[]): void {
    this.addMany(deliveries.map((d) => ({ job: { deliveryId: d.deliveryId, attemptKey: scheduledAttempt(0) }, delayClockMs: 0 }))).catch((err: Error) =>
      // The sweeper queues them within its interval.
      this.options.logger.warn({ err: err.message, deliveries: deliveries.length }, 'queueing new deliveries failed'),
    );
  }

  async add(job: AttemptJob, delayClockMs = 0): Promise<void> {
    await this.addMany([{ job, delayClockMs }]);
  }

  async addMany(jobs: Array<{ job: AttemptJob; delayClockMs: number }>): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue.addBulk(
      jobs.map(({ job, delayClockMs }) => ({
        name: JOB_NAME,
        data: job,
        opts: { jobId: deterministicJobId(JOB_NAME, [job.deliveryId, job.attemptKey]), ...(delayClockMs > 0 ? { delay: wallDelayMs(this.options.clock, delayClockMs) } : {}) },
      })),
    );
  }

  async startWorker(): Promise<void> {
    if (!this.options.runWorker) return;
    this.worker = new Worker<AttemptJob>(DELIVERY_QUEUE_NAME, (job: Job<AttemptJob>) => this.process(job), {
      connection: this.connection,
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
    });
    this.worker.on('failed', (job, err) => this.options.logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'webhook attempt job failed'));
    this.worker.on('error', (err) => this.options.logger.warn({ err: err.message }, 'webhook worker error'));
    this.sweeper = setInterval(() => void this.sweep().catch((err: Error) => this.options.logger.warn({ err: err.message }, 'webhook sweep failed')), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Re-queues attempts that are overdue: a job lost between a commit and its add, or one whose
   *  next attempt could not be added. Existing jobs make these adds no-ops. */
  async sweep(): Promise<number> {
    const now = this.options.clock.now().getTime();
    const cutoff = new Date(now - OVERDUE_CLOCK_MS);
    // A first attempt may still be on its way from the fan-out's process (no job for it exists to
    // make an add a no-op): wait out its lease, in wall time (an accelerated clock would make 60
    // of its seconds a few milliseconds).
    const rate = (this.options.clock as { rate?: number }).rate ?? 1;
    const firstCutoff = new Date(now - Math.max(OVERDUE_CLOCK_MS, this.options.firstAttemptLeaseMs * rate));
    const due = await this.options.pool.query<{ delivery_id: string; next_attempt: number }>(
      `select delivery_id, next_attempt from webhook_deliveries
        where status = 'pending' and next_attempt_at < $1 and (next_attempt > 0 or next_attempt_at < $2)
        order by next_attempt_at limit ${SWEEP_BATCH_MAX}`,
      [cutoff, firstCutoff],
    );
    await this.addMany(due.rows.map((r) => ({ job: { deliveryId: r.delivery_id, attemptKey: scheduledAttempt(r.next_attempt) }, delayClockMs: 0 })));
    return due.rows.length;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.worker?.close();
    await this.queue.close();
  }

  private async process(job: Job<AttemptJob>): Promise<string> {
    const result = await this.options.run(job.data);
    this.options.onAttempt?.(result.outcome);
    if (result.next) await this.add(result.next.job, result.next.delayClockMs);
    return result.outcome;
  }
}
