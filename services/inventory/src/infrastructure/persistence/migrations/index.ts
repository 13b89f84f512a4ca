import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { InventorySuppliers1764032400000 } from './1764032400000-inventory-suppliers';
import { InventoryEventSourced1764115200000 } from './1764115200000-inventory-event-sourced';
import { InventoryLeaseDevices1764547200000 } from './1764547200000-inventory-lease-devices';

/** In order; a committed migration is never edited, only followed by a new one. */
export const INVENTORY_MIGRATIONS = [InventorySuppliers1764032400000, InventoryEventSourced1764115200000, ...EVENTING_MIGRATIONS, InventoryLeaseDevices1764547200000];
