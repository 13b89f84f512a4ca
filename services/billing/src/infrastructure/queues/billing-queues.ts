import { defineQueue, defineQueueRegistry } from '@ionet/platform';

export interface ExpireFundingPayload {
  fundingId: string;
  leaseId: string;
}

/** Billing's queues, named once. */
export const BILLING_QUEUES = defineQueueRegistry({
  // A funding that fires before its deadline (clock skew) retries until the deadline has passed.
  escrow: defineQueue<ExpireFundingPayload>('billing-escrow', { attempts: 20, backoff: { type: 'exponential', delay: 500 } }),
  invoices: defineQueue<Record<string, never>>('billing-invoices'),
  payouts: defineQueue<Record<string, never>>('billing-payouts'),
});
