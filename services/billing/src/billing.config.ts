import { baseConfigSchema } from '@ionet/platform';
import { z } from 'zod';

export const BILLING_HTTP_PORT_DEFAULT = 4105;

const positiveMs = (name: string, defaultMs: number) => z.coerce.number({ invalid_type_error: `${name} must be milliseconds` }).int().min(1_000).default(defaultMs);

export const billingConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535).default(BILLING_HTTP_PORT_DEFAULT),
  /** The fixed IO price of the development oracle: USDC base units per whole IO ($0.50 by default). */
  IO_PRICE_USD_MICROS: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, 'must be a positive integer of USDC base units per IO')
    .default('500000')
    .transform((v) => BigInt(v)),
  /** How old the oracle's price may get on the service's clock before it is read again. */
  IO_PRICE_REFRESH_MS: positiveMs('IO_PRICE_REFRESH_MS', 60_000),
  /** Length of an invoice period on the service's clock (a UTC day by default). */
  INVOICE_PERIOD_MS: positiveMs('INVOICE_PERIOD_MS', 86_400_000),
  /** How often the payout job looks for earnings that fell due. */
  PAYOUT_RUN_EVERY_MS: positiveMs('PAYOUT_RUN_EVERY_MS', 3_600_000),
  /** The dated table of public clouds' GPU list prices (JSON) the cost report compares with. */
  PUBLIC_CLOUD_PRICES_FILE: z.string().min(1).optional(),
});
export type BillingConfig = z.infer<typeof billingConfigSchema>;
