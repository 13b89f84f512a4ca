import { baseConfigSchema } from '@ionet/platform';
import { z } from 'zod';

export const WEBHOOKS_HTTP_PORT_DEFAULT = 4109;

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'], { errorMap: () => ({ message: 'must be true or false' }) })
    .default(fallback)
    .transform((v) => v === 'true');

const bounded = (min: number, max: number, fallback: number) =>
  z.coerce.number({ invalid_type_error: 'must be a number' }).int().min(min).max(max).default(fallback);

export const webhooksConfigSchema = baseConfigSchema
  .extend({
    HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535).default(WEBHOOKS_HTTP_PORT_DEFAULT),
    /** Deliver to private, loopback and link-local addresses: development and tests only. */
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: flag('false'),
    /** An attempt without a complete answer within this long failed (Svix: 15 s). */
    WEBHOOKS_DELIVERY_TIMEOUT_MS: bounded(100, 60_000, 15_000),
    /** How long the previous secret keeps signing after a rotation, on the service's clock. */
    WEBHOOKS_SECRET_OVERLAP_MS: bounded(0, 7 * 24 * 3_600_000, 24 * 3_600_000),
    /** Attempts one worker process runs at once. */
    WEBHOOKS_DELIVERY_CONCURRENCY: bounded(1, 1_000, 100),
    /** The first attempt of a new delivery goes straight from the fan-out's process to the
     *  receiver (false: every attempt is a BullMQ job, as before ADR 0341). */
    WEBHOOKS_DIRECT_FIRST_ATTEMPT: flag('true'),
    /** Attempts in flight to one endpoint at once, per process. */
    WEBHOOKS_ENDPOINT_CONCURRENCY: bounded(1, 1_000, 50),
    /** Wall time a first attempt belongs to the process that fanned it out; after it the sweeper
     *  queues it again. Above the delivery timeout plus the wait for a slot (a third of it). */
    WEBHOOKS_FIRST_ATTEMPT_LEASE_MS: bounded(1_000, 3_600_000, 60_000),
    /** Live (not deleted) endpoints an organization may have. */
    WEBHOOKS_ENDPOINTS_PER_ORGANIZATION_MAX: bounded(1, 1_000, 50),
  })
  .superRefine((c, ctx) => {
    if (c.WEBHOOKS_FIRST_ATTEMPT_LEASE_MS < 2 * c.WEBHOOKS_DELIVERY_TIMEOUT_MS) {
      // A third of the lease waiting for a slot, then the attempt: it must end within the lease.
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['WEBHOOKS_FIRST_ATTEMPT_LEASE_MS'], message: 'must be at least twice WEBHOOKS_DELIVERY_TIMEOUT_MS' });
    }
    if (c.WEBHOOKS_ALLOW_PRIVATE_TARGETS && c.NODE_ENV === 'production') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['WEBHOOKS_ALLOW_PRIVATE_TARGETS'], message: 'must not be true in production (it opens internal addresses to anyone who registers an endpoint)' });
    }
  });
export type WebhooksConfig = z.infer<typeof webhooksConfigSchema>;
