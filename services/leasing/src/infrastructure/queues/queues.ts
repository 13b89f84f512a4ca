import { defineQueue, defineQueueRegistry } from '@ionet/platform';

/** The one registry of leasing's queues. Dispatch retries fast: a job that ran before the funding
 *  commit was visible tries again 20 ms later. */
export const LEASING_QUEUES = defineQueueRegistry({
  dispatch: defineQueue<unknown>('leasing-dispatch', { attempts: 50, backoff: { type: 'fixed', delay: 20 }, removeOnComplete: 10_000, removeOnFail: 10_000 }),
  lifecycle: defineQueue<unknown>('leasing-lifecycle', { attempts: 20, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: 10_000, removeOnFail: 10_000 }),
});
