import { baseConfigSchema } from '@ionet/platform';
import { z } from 'zod';

export const BILLING_HTTP_PORT_DEFAULT = 4105;

export const billingConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535).default(BILLING_HTTP_PORT_DEFAULT),
});
export type BillingConfig = z.infer<typeof billingConfigSchema>;
