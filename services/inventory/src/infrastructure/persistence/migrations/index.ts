import { InventorySuppliers1764032400000 } from './1764032400000-inventory-suppliers';

/** In order; a committed migration is never edited, only followed by a new one. */
export const INVENTORY_MIGRATIONS = [InventorySuppliers1764032400000];
