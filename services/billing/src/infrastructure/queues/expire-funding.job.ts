import { forwardRef, Inject } from '@nestjs/common';
import { QueueJob, type JobContext, type JobProcessor } from '@ionet/platform';
import { EscrowService } from '../../application/escrow.service';
import { BILLING_QUEUES, type ExpireFundingPayload } from './billing-queues';

/** Fires when a deferred funding's hold ends (a delayed job on the service's clock): the funding
 *  fails unless a deposit locked it meanwhile. Its id derives from the funding, so it is added once. */
@QueueJob(BILLING_QUEUES.escrow, 'expire-funding')
export class ExpireFundingJob implements JobProcessor<ExpireFundingPayload> {
  constructor(@Inject(forwardRef(() => EscrowService)) private readonly escrow: EscrowService) {}

  async process(payload: ExpireFundingPayload, context: JobContext): Promise<void> {
    const done = await this.escrow.expireFunding(context.tx, payload.fundingId, payload.leaseId);
    // Early (the hosts' clocks disagree a little): fail this attempt so BullMQ retries it later.
    if (!done) throw new Error(`funding ${payload.fundingId} expired early on this clock; retrying`);
  }
}
