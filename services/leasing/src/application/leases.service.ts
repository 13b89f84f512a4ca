import { Inject, Injectable } from '@nestjs/common';
import { CommandHandlers, derivedId, type CommandCause, type EventingTransaction } from '@ionet/eventing';
import { AgentWorkMailbox, CLOCK, CONFIG, LOGGER, PG_POOL, ProblemError, problem, type Clock, type Logger } from '@ionet/platform';
import type { Pool } from 'pg';
import { type ClusterRole, type ClusterType, type LeaseState, type QuoteTerms, type Workload } from '../domain/lease.decider';
import { LeasingError } from '../domain/leasing.errors';
import { leaseAggregate } from './leasing-aggregates';
import type { LeasingConfig } from '../leasing.config';
import { LeaseScheduler, postJobItems } from './jobs/lease.jobs';

/** The lease (cluster) id of a quote: one quote makes at most one cluster, whoever races for it. */
export const leaseIdOfQuote = (quoteId: string) => derivedId('lease', quoteId);
/** The job id an agent runs for (lease, device): the mailbox item's id and the BullMQ job's key. */
export const jobIdOf = (leaseId: string, deviceId: string) => `job-${derivedId('lease-job', leaseId, deviceId)}`;

interface QuoteRow {
  quote_id: string;
  request_id: string;
  customer_id: string;
  reservations: Array<{ deviceId: string; supplierId: string; gpuCount: number; priceBaseUnits: string; asset: string; role?: ClusterRole }>;
  duration_hours: number;
  compute_price: string;
  reservation_fee: string;
  payment_fee: string;
  total_price: string;
  asset: string;
  expires_at: Date;
  cluster_type: string | null;
}

/** How long (wall) POST /v1/clusters waits for a quote matching has issued to reach leasing's
 *  projection before it answers 404, and how often it looks. */
export const QUOTE_PROJECTION_WAIT_MS = 10_000;
const QUOTE_PROJECTION_POLL_MS = 100;

/** Leases: made from quotes, funded, dispatched, metered, extended, ended (ADR 0510). */
@Injectable()
export class LeasesService {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: LeasingConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly handlers: CommandHandlers,
    private readonly scheduler: LeaseScheduler,
    private readonly mailbox: AgentWorkMailbox,
  ) {}

  async create(customerId: string, quoteId: string, workload: Workload, cause: CommandCause): Promise<LeaseState> {
    const quote = await this.quoteSoon(quoteId);
    // Another customer's quote is not there for this one (no oracle on which quotes exist).
    if (!quote || quote.customerId !== customerId) throw new LeasingError('LEASING.QUOTE_NOT_FOUND', `no quote ${quoteId}`);
    const leaseId = leaseIdOfQuote(quoteId);
    const jobIds = Object.fromEntries(quote.reservations.map((r) => [r.deviceId, jobIdOf(leaseId, r.deviceId)]));
    try {
      const result = await this.handlers.for(leaseAggregate).handle(leaseId, { type: 'CreateLease', leaseId, quote, customerId, workload, jobIds, at: this.clock.now() }, cause);
      // The quote's payment window, on the service's clock: unpaid by then, the lease ends.
      await this.scheduler.schedulePaymentWindow(result.state);
      return result.state;
    } catch (err) {
      // An expired quote is gone for good (410), not a refusal a retry could change.
      if (err instanceof LeasingError && err.code === 'LEASING.QUOTE_EXPIRED') throw new ProblemError(problem(410, err.code, err.detail));
      throw err;
    }
  }

  /** The quote, waiting a moment for one leasing has not projected yet: matching answered the
   *  customer's POST /v1/quotes before its ClusterMatched travelled here, and a customer who creates
   *  the cluster at once must not be told the quote does not exist. */
  private async quoteSoon(quoteId: string): Promise<QuoteTerms | undefined> {
    const deadline = Date.now() + QUOTE_PROJECTION_WAIT_MS;
    for (;;) {
      const quote = await this.quote(quoteId);
      if (quote || Date.now() >= deadline) return quote;
      await new Promise((r) => setTimeout(r, QUOTE_PROJECTION_POLL_MS));
    }
  }

  async quote(quoteId: string): Promise<QuoteTerms | undefined> {
    const row = (
      await this.pool.query<QuoteRow>(
        `select q.*, r.cluster_type from quotes q left join requests r on r.request_id = q.request_id where q.quote_id = $1`,
        [quoteId],
      )
    ).rows[0];
    if (!row) return undefined;
    const asset = row.asset;
    const money = (v: string) => ({ amountBaseUnits: BigInt(v), asset });
    // A quote whose request leasing has not seen: more than one device is a Ray cluster (the
    // common case), one device a container.
    const clusterType = (row.cluster_type ?? (row.reservations.length > 1 ? 'ray' : 'container')) as ClusterType;
    return {
      quoteId: row.quote_id,
      requestId: row.request_id,
      customerId: row.customer_id,
      clusterType,
      reservations: row.reservations.map((r) => ({ deviceId: r.deviceId, supplierId: r.supplierId, gpuCount: r.gpuCount, pricePerGpuHour: { amountBaseUnits: BigInt(r.priceBaseUnits), asset: r.asset }, ...(r.role ? { role: r.role } : {}) })),
      durationHours: row.duration_hours,
      computePrice: money(row.compute_price),
      reservationFee: money(row.reservation_fee),
      paymentFee: money(row.payment_fee),
      totalPrice: money(row.total_price),
      expiresAt: row.expires_at,
    };
  }

  async load(leaseId: string, tx?: EventingTransaction): Promise<LeaseState> {
    return (await this.handlers.for(leaseAggregate).load(leaseId, tx)).state;
  }

  /** A customer's own cluster (another's is not found). */
  async get(customerId: string | undefined, leaseId: string): Promise<LeaseState> {
    const state = await this.load(leaseId);
    if (state.status === 'absent' || (customerId !== undefined && state.customerId !== customerId)) throw new LeasingError('LEASING.CLUSTER_NOT_FOUND', `no cluster ${leaseId}`);
    return state;
  }

  /** Funded: the clock starts, every device's job is dispatched, the end is scheduled. */
  async activate(leaseId: string, cause: CommandCause, tx: EventingTransaction): Promise<void> {
    const result = await this.handlers.for(leaseAggregate).handle(leaseId, { type: 'ActivateLease', at: this.clock.now() }, cause, { tx });
    if (result.state.status !== 'deploying' && result.state.status !== 'running') return;
    // The jobs are added in the transaction (durable); the items go out the moment it commits.
    const state = result.state;
    tx.afterCommit?.(() => {
      postJobItems(this.mailbox, this.config, state, this.clock.now().getTime()).catch((err: Error) => this.logger.warn({ leaseId, err: err.message }, 'job items not posted at activation; the dispatch jobs post them'));
    });
    await this.scheduler.dispatchAll(result.state);
    await this.scheduler.scheduleCompletion(result.state);
  }

  async extend(customerId: string, leaseId: string, hours: number, cause: CommandCause): Promise<LeaseState> {
    await this.get(customerId, leaseId);
    const result = await this.handlers.for(leaseAggregate).handle(leaseId, { type: 'ExtendLease', hours, at: this.clock.now() }, cause);
    await this.scheduler.scheduleCompletion(result.state);
    return result.state;
  }

  async terminate(customerId: string | undefined, leaseId: string, cause: CommandCause): Promise<LeaseState> {
    await this.get(customerId, leaseId);
    const result = await this.handlers.for(leaseAggregate).handle(leaseId, { type: 'TerminateLease', reason: customerId === undefined ? 'operator' : 'customer_cancelled', at: this.clock.now() }, cause);
    await this.scheduler.stopAll(result.state);
    return result.state;
  }
}
