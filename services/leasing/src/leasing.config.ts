import { baseConfigSchema } from '@ionet/platform';
import { z } from 'zod';

export const LEASING_HTTP_PORT_DEFAULT = 4104;

const ms = (min: number, max: number) => z.coerce.number({ invalid_type_error: 'must be a number of milliseconds' }).int().min(min).max(max);

export const leasingConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535).default(LEASING_HTTP_PORT_DEFAULT),
  /** WALL milliseconds a dispatched job waits for the agent's `accepted` before it is handed again
   *  (the agent long-polls; an online agent takes it within a poll). */
  LEASING_DISPATCH_ACK_TIMEOUT_MS: ms(100, 600_000).default(15_000),
  /** Deliveries of a job without an `accepted` before it is shown as unacknowledged (it stays in
   *  the device's mailbox; the agent still gets it when it comes back). */
  LEASING_DISPATCH_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** Dispatch jobs run at once per worker process (at most (DATABASE_POOL_MAX - 2) / 2: each holds
   *  two connections while it runs). */
  LEASING_DISPATCH_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  /** The host suffix a Ray worker reaches its head at (`<head device id><suffix>:<port>`, the
   *  devices' overlay network), and the head's Ray port. */
  LEASING_HEAD_HOST_SUFFIX: z.string().default('.devices.ionet.internal'),
  LEASING_RAY_HEAD_PORT: z.coerce.number().int().min(1).max(65_535).default(6379),
});
export type LeasingConfig = z.infer<typeof leasingConfigSchema>;
