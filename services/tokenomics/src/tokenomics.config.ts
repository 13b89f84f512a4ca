import { baseConfigSchema } from '@ionet/platform';
import { EMISSION_EPOCHS } from '@ionet/tokenomics';
import { z } from 'zod';
import { tokenomicsChainConfigSchema } from './chain/chain.config';

export const TOKENOMICS_HTTP_PORT_DEFAULT = 4106;

const ms = (min: number, max: number) => z.coerce.number({ invalid_type_error: 'must be a number of milliseconds' }).int().min(min).max(max);

export const tokenomicsConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535).default(TOKENOMICS_HTTP_PORT_DEFAULT),
  /** Epoch 1's start (RFC 3339); io.net's by default (libs/tokenomics). Verification must agree. */
  TOKENOMICS_EPOCH_ONE_START: z
    .string()
    .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an RFC 3339 instant' })
    .default('2024-04-28T00:00:00Z'),
  /** The first epoch this deployment closes (ADR 0610). Unset: the epoch in progress when the
   *  service first starts, recorded in its database so a restart never moves it. */
  TOKENOMICS_FIRST_EPOCH: z.coerce.number({ invalid_type_error: 'must be an epoch number' }).int().min(1).max(EMISSION_EPOCHS).optional(),
  /** How often (platform time) the sweep looks for epochs to close. */
  TOKENOMICS_EPOCH_SWEEP_EVERY_MS: ms(1_000, 3_600_000).default(60_000),
  /** Platform time after an epoch's end before it closes: late uptime facts of the hour still count. */
  TOKENOMICS_EPOCH_CLOSE_GRACE_MS: ms(0, 3_600_000).default(120_000),
  /** Share of a device's stake at risk slashed for one violated lease-hour (basis points; 0: none).
   *  DOMAIN.md names failed service as a cause and no amount: ours (ADR 0612). */
  TOKENOMICS_SLASH_TIME_LOCK_BPS: z.coerce.number({ invalid_type_error: 'must be basis points' }).int().min(0).max(10_000).default(500),
}).merge(tokenomicsChainConfigSchema);
export type TokenomicsConfig = z.infer<typeof tokenomicsConfigSchema>;
