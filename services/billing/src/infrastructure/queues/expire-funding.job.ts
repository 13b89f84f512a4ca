import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { SqlExecutor } from '@ionet/eventing';
import { QueueJob, type JobContext, type JobProcessor } from '@ionet/platform';
import { BILLING_QUEUES, type ExpireFundingPayload } from './billing-queues';

/** What the expiry job calls (EscrowService; a token, since that service adds this job). */
export interface FundingExpiry {
  /** False when the deadline has not passed on the service's clock yet. */
  expireFunding(tx: SqlExecutor, fundingId: string, leaseId: string): Promise<boolean>;
}
export const FUNDING_EXPIRY = Symbol('billing.funding-expiry');

/** Fires when a deferred funding's hold ends (a delayed job on the service's clock): the funding
 *  fails unless a deposit locked it meanwhile. Its id derives from the funding, so it is added once. */
@Injectable()
@QueueJob(BILLING_QUEUES.escrow, 'expire-funding')
export class ExpireFundingJob implements JobProcessor<ExpireFundingPayload> {
  // Resolved when a job runs: QueuesModule holds the job, billing's module the service.
  constructor(private readonly moduleRef: ModuleRef) {}

  async process(payload: ExpireFundingPayload, context: JobContext): Promise<void> {
    const escrow = this.moduleRef.get<FundingExpiry>(FUNDING_EXPIRY, { strict: false });
    const done = await escrow.expireFunding(context.tx, payload.fundingId, payload.leaseId);
    // Early (the hosts' clocks disagree a little): fail this attempt so BullMQ retries it later.
    if (!done) throw new Error(`funding ${payload.fundingId} expired early on this clock; retrying`);
  }
}
