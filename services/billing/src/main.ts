import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { billingService } from './billing.module';

void runService(billingService, () => telemetry.shutdown());
