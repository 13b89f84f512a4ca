import { baseConfigSchema } from '@ionet/platform';
import { z } from 'zod';

export const matchingConfigSchema = baseConfigSchema.extend({
  /** How long a quote holds its devices unpaid (DOMAIN.md: 20 minutes; a governed parameter later). */
  QUOTE_HOLD_SECONDS: z.coerce.number().int().min(10).max(24 * 3600).default(20 * 60),
  /** The IO price in USD micros per IO, fixed in development (DOMAIN.md). The same default as
   *  billing's development oracle ($0.50), so a quote in IO and the escrow billing locks for it
   *  agree; set both together. Reading billing's oracle directly is left for the token issue. */
  IO_PRICE_USD_MICROS: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive integer (USD micros per IO)')
    .default('500000')
    .transform((v) => BigInt(v)),
  /** Placement attempts when another quote took a chosen device first (the constraint refused it). */
  QUOTE_ATTEMPTS_MAX: z.coerce.number().int().min(1).max(100).default(20),
  /** Quote transactions one instance runs at once; more wait in order (never for a pooled
   *  connection past its timeout): keep it below DATABASE_POOL_MAX, which consumers share. */
  QUOTE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Quote requests of one GPU family decided and committed in one transaction at most: a
   *  family's requests queue while its batch commits and make up the next one (ADR 0501). */
  QUOTE_BATCH_MAX: z.coerce.number().int().min(1).max(1_000).default(128),
  /** Quote requests of one family waiting on one instance at most; more are answered 503
   *  MATCHING.BUSY at once rather than waiting past any client's patience. */
  QUOTE_QUEUE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
});
export type MatchingConfig = z.infer<typeof matchingConfigSchema>;
