import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { assertJobId, deterministicJobId, wallDelayMs, type Clock, type Logger } from '@ionet/platform';
import { PgTransactionRunner, type EventingTransaction } from '@ionet/eventing';
import type { Pool } from 'pg';
import type { ExpiryScheduler } from '../../application/quotes.service';

export const QUOTE_EXPIRY_QUEUE = 'matching-quote-expiry';
/** The safety net's period on the service's clock: a quote whose own job was lost (Redis down
 *  between the quote's commit and the job's add) is released at most this late. */
export const EXPIRY_SWEEP_EVERY_CLOCK_MS = 60_000;

export interface QuoteExpiryQueueOptions {
  redisUrl: string;
  prefix: string;
  runWorker: boolean;
  clock: Clock;
  logger: Logger;
  pool: Pool;
  /** How long a quote holds its devices (seconds): the sweep releases unleased holds older than it. */
  holdSeconds: number;
}

/**
 * One delayed BullMQ job per quote, due at its expiry on the service's clock (an accelerated clock
 * shortens the wall delay). The job's id derives from the quote, so a retried quote adds it once;
 * running it twice is harmless (the quote decider releases a held quote once, and never a leased one).
 */
export class QuoteExpiryQueue implements ExpiryScheduler {
  private readonly queue: Queue<{ quoteId: string }>;
  private worker: Worker<{ quoteId: string }> | undefined;
  private readonly connection: ConnectionOptions;
  private runner: ((quoteId: string, tx: EventingTransaction) => Promise<unknown>) | undefined;
  private readonly transactions: PgTransactionRunner;

  constructor(private readonly options: QuoteExpiryQueueOptions) {
    this.connection = { url: options.redisUrl, maxRetriesPerRequest: null } as ConnectionOptions;
    this.queue = new Queue(QUOTE_EXPIRY_QUEUE, {
      connection: this.connection,
      prefix: options.prefix,
      defaultJobOptions: { attempts: 20, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: 1_000, removeOnFail: 10_000 },
    });
    this.queue.on('error', (err) => options.logger.warn({ err: err.message }, 'quote expiry queue connection error'));
    this.transactions = new PgTransactionRunner(options.pool);
  }

  /** The quotes service releases; bound after both exist (it schedules, this runs it). */
  bind(runner: (quoteId: string, tx: EventingTransaction) => Promise<unknown>): void {
    this.runner = runner;
  }

  async scheduleExpiry(quoteId: string, expiresAt: Date): Promise<void> {
    const clockMs = Math.max(1, expiresAt.getTime() - this.options.clock.now().getTime());
    try {
      await this.queue.add('expire-quote', { quoteId }, { jobId: assertJobId(QuoteExpiryQueue.jobIdOf(quoteId)), delay: wallDelayMs(this.options.clock, clockMs) });
    } catch (err) {
      // The quote is committed: the sweep releases it if its own job never exists.
      this.options.logger.warn({ quoteId, err: (err as Error).message }, 'quote expiry job not added; the sweep will release the quote');
    }
  }

  /** The job id of a quote's expiry (tests remove it to prove the sweep). */
  static jobIdOf(quoteId: string): string {
    return deterministicJobId('expire-quote', [quoteId]);
  }

  async start(): Promise<void> {
    if (!this.options.runWorker || this.worker) return;
    await this.queue.upsertJobScheduler('quote-expiry-sweep', { every: wallDelayMs(this.options.clock, EXPIRY_SWEEP_EVERY_CLOCK_MS) }, { name: 'sweep-expired', data: { quoteId: '' } });
    this.worker = new Worker<{ quoteId: string }>(QUOTE_EXPIRY_QUEUE, (job: Job<{ quoteId: string }>) => this.process(job), {
      connection: this.connection,
      prefix: this.options.prefix,
      concurrency: 10,
    });
    this.worker.on('failed', (job, err) => this.options.logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'quote expiry job failed'));
    this.worker.on('error', (err) => this.options.logger.warn({ err: err.message }, 'quote expiry worker error'));
  }

  private async process(job: Job<{ quoteId: string }>): Promise<void> {
    const runner = this.runner;
    if (!runner) throw new Error('quote expiry ran before the quotes service bound it');
    if (job.name !== 'sweep-expired') {
      await this.transactions.transaction((tx) => runner(job.data.quoteId, tx));
      return;
    }
    // The safety net: unleased holds older than the hold, whatever happened to their own jobs.
    const due = new Date(this.options.clock.now().getTime() - this.options.holdSeconds * 1000);
    const { rows } = await this.options.pool.query<{ quote_id: string }>(
      `select distinct quote_id from reservations where lease_id is null and held_at <= $1 limit 1000`,
      [due],
    );
    for (const row of rows) await this.transactions.transaction((tx) => runner(row.quote_id, tx));
  }

  /** Removes a quote's own expiry job (tests: the sweep must release it anyway). */
  async removeExpiryOf(quoteId: string): Promise<boolean> {
    return (await this.queue.remove(QuoteExpiryQueue.jobIdOf(quoteId))) === 1;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
