import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { deterministicJobId, wallDelayMs, type Clock, type Logger } from '@ionet/platform';
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

/** A job's payload: the quotes of one committed batch (they share their expiry instant); jobs
 *  added before batches carry one `quoteId`; the sweep carries neither. */
export interface QuoteExpiryJob {
  quoteIds?: string[];
  quoteId?: string;
}

/**
 * One delayed BullMQ job per committed batch of quotes, due at their common expiry on the
 * service's clock (an accelerated clock shortens the wall delay). The job's id derives from the
 * batch's quote ids, so a retried add adds it once; running it twice is harmless (the quote decider
 * releases a held quote once, and never a leased one). One job per batch rather than per quote:
 * a Redis round trip per quote cost more than the quote's whole transaction (ADR 0501).
 */
export class QuoteExpiryQueue implements ExpiryScheduler {
  private readonly queue: Queue<QuoteExpiryJob>;
  private worker: Worker<QuoteExpiryJob> | undefined;
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

  /** One delayed job for quotes committed together (the same expiry), in one round trip. */
  async scheduleExpiries(quotes: Array<{ quoteId: string; expiresAt: Date }>): Promise<void> {
    const now = this.options.clock.now().getTime();
    const byExpiry = new Map<number, string[]>();
    for (const { quoteId, expiresAt } of quotes) byExpiry.set(expiresAt.getTime(), [...(byExpiry.get(expiresAt.getTime()) ?? []), quoteId]);
    try {
      await this.queue.addBulk(
        [...byExpiry].map(([expiresAtMs, quoteIds]) => ({
          name: 'expire-quotes',
          data: { quoteIds },
          opts: { jobId: QuoteExpiryQueue.jobIdOf(quoteIds), delay: wallDelayMs(this.options.clock, Math.max(1, expiresAtMs - now)) },
        })),
      );
    } catch (err) {
      // The quotes are committed: the sweep releases any whose own job never exists.
      this.options.logger.warn({ quoteIds: quotes.map((q) => q.quoteId), err: (err as Error).message }, 'quote expiry job not added; the sweep will release the quotes');
    }
  }

  /** The job id of the expiry of quotes committed together. */
  static jobIdOf(quoteIds: string[]): string {
    return deterministicJobId('expire-quotes', quoteIds);
  }

  async start(): Promise<void> {
    if (!this.options.runWorker || this.worker) return;
    await this.queue.upsertJobScheduler('quote-expiry-sweep', { every: wallDelayMs(this.options.clock, EXPIRY_SWEEP_EVERY_CLOCK_MS) }, { name: 'sweep-expired', data: {} });
    this.worker = new Worker<QuoteExpiryJob>(QUOTE_EXPIRY_QUEUE, (job: Job<QuoteExpiryJob>) => this.process(job), {
      connection: this.connection,
      prefix: this.options.prefix,
      concurrency: 10,
    });
    this.worker.on('failed', (job, err) => this.options.logger.warn({ jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, 'quote expiry job failed'));
    this.worker.on('error', (err) => this.options.logger.warn({ err: err.message }, 'quote expiry worker error'));
  }

  private async process(job: Job<QuoteExpiryJob>): Promise<void> {
    const runner = this.runner;
    if (!runner) throw new Error('quote expiry ran before the quotes service bound it');
    if (job.name !== 'sweep-expired') {
      // One transaction per quote: a quote that fails is retried with the job, the others stay done.
      for (const quoteId of job.data.quoteIds ?? [job.data.quoteId ?? '']) await this.transactions.transaction((tx) => runner(quoteId, tx));
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

  /** Removes the expiry job that holds a quote (tests: the sweep must release it anyway). */
  async removeExpiryOf(quoteId: string): Promise<boolean> {
    const delayed = await this.queue.getJobs(['delayed', 'waiting']);
    const job = delayed.find((j) => j.data.quoteIds?.includes(quoteId) || j.data.quoteId === quoteId);
    return job?.id !== undefined && (await this.queue.remove(job.id)) === 1;
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
