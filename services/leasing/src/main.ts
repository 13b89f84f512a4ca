import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { leasingService } from './leasing.module';

void runService(leasingService, () => telemetry.shutdown());
