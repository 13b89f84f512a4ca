import { defineQueue, defineQueueRegistry } from '@ionet/platform';

/** The one registry of tokenomics' queues. */
export const TOKENOMICS_QUEUES = defineQueueRegistry({
  epochs: defineQueue<{ epoch?: number }>('tokenomics-epochs', { attempts: 20, backoff: { type: 'exponential', delay: 500 } }),
});
