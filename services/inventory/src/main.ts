import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { inventoryService } from './inventory.module';

void runService(inventoryService, () => telemetry.shutdown());
