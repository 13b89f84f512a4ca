import { chainConfigSchema } from '@ionet/chain';
import { z } from 'zod';

const ms = (min: number, max: number) => z.coerce.number({ invalid_type_error: 'must be a number of milliseconds' }).int().min(min).max(max);

/** The chain gateway's variables (CHAIN_ADAPTER, CHAIN_DATA_DIR, ...) and the executors' own. */
export const tokenomicsChainConfigSchema = chainConfigSchema.extend({
  /** Platform time between sweeps that execute the ledger's and billing's pending decisions. */
  CHAIN_SWEEP_EVERY_MS: ms(1_000, 3_600_000).default(60_000),
  /** Platform time between supply reconciliations (books vs the mint on chain). */
  CHAIN_RECONCILE_EVERY_MS: ms(1_000, 86_400_000).default(3_600_000),
  /** The development market's fixed IO price in USDC base units per IO (500,000 = $0.50). */
  CHAIN_IO_PRICE_USDC_BASE_UNITS: z
    .string()
    .regex(/^[1-9]\d{0,15}$/, 'must be a positive whole number of USDC base units')
    .transform((v) => BigInt(v))
    .default('500000'),
});
