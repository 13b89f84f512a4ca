import { baseConfigSchema } from '@ionet/platform';
import type { z } from 'zod';

export const inventoryConfigSchema = baseConfigSchema;
export type InventoryConfig = z.infer<typeof inventoryConfigSchema>;
