import { baseConfigSchema } from '@ionet/platform';
import { z } from 'zod';
import { DEFAULT_PROOF_OF_WORK_TABLE, parseProofOfWorkTable } from './domain/challenge/proof-of-work-table';

export const VERIFICATION_HTTP_PORT_DEFAULT = 4102;

const ms = (min: number, max: number) => z.coerce.number({ invalid_type_error: 'must be a number of milliseconds' }).int().min(min).max(max);

export const verificationConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535).default(VERIFICATION_HTTP_PORT_DEFAULT),
  /** The longest silence between two heartbeats that still counts as up, in WALL milliseconds (the
   *  agent beats on the wall clock; on an accelerated clock it covers rate times as much platform
   *  time). Beyond it: AgentHeartbeatsStopped, no uptime for the gap, a lease-hour gap violation. */
  VERIFICATION_HEARTBEAT_GAP_TOLERANCE_MS: ms(1, 3_600_000).default(90_000),
  /** Platform-clock uptime a pending device shows (besides a passed proof of work) to qualify. */
  VERIFICATION_QUALIFY_UPTIME_MS: ms(0, 7 * 86_400_000).default(3_600_000),
  /** Consecutive proof-of-work failures that disqualify (block) a device. */
  VERIFICATION_FAILURES_TO_DISQUALIFY: z.coerce.number().int().min(1).max(100).default(3),
  /** How often (platform clock) an idle, qualified device is challenged again. */
  VERIFICATION_CHALLENGE_EVERY_MS: ms(60_000, 7 * 86_400_000).default(3_600_000),
  /** Platform time after a lease-hour's end before it is decided (late batches still count). */
  VERIFICATION_LEASE_HOUR_GRACE_MS: ms(0, 3_600_000).default(300_000),
  /** Platform time after an epoch's end before its Merkle root is committed. */
  VERIFICATION_EPOCH_ROOT_GRACE_MS: ms(0, 3_600_000).default(60_000),
  /** How long (wall) an agent whose key no device has yet gets "retry" (503 + Retry-After) before
   *  a final 403 AGENT.UNKNOWN_DEVICE: covers the moments between enrollment at inventory and its
   *  DeviceRegistered reaching verification. */
  VERIFICATION_UNKNOWN_DEVICE_GRACE_MS: ms(0, 3_600_000).default(60_000),
  /** Epoch 1's start (RFC 3339); io.net's by default (libs/tokenomics). */
  VERIFICATION_EPOCH_ONE_START: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an RFC 3339 instant' })
    .default('2024-04-28T00:00:00Z'),
  /** JSON: per GPU model (and "default", "simulated", "cpu"), the proof-of-work size and the
   *  solve time it must stay under; entries given replace the defaults of the same name. */
  VERIFICATION_POW_TABLE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (!v) return DEFAULT_PROOF_OF_WORK_TABLE;
      try {
        return parseProofOfWorkTable(JSON.parse(v) as unknown);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        return z.NEVER;
      }
    }),
});
export type VerificationConfig = z.infer<typeof verificationConfigSchema>;
