import { baseConfigSchema } from '@ionet/platform';
import { z } from 'zod';

export const LEDGER_HTTP_PORT_DEFAULT = 4108;

export const ledgerConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65_535).default(LEDGER_HTTP_PORT_DEFAULT),
});
export type LedgerConfig = z.infer<typeof ledgerConfigSchema>;
