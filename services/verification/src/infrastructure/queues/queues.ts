import { defineQueue, defineQueueRegistry } from '@ionet/platform';

/** The one registry of verification's queues. */
export const VERIFICATION_QUEUES = defineQueueRegistry({
  sweeps: defineQueue<Record<string, never>>('verification-sweeps', { attempts: 3 }),
});
