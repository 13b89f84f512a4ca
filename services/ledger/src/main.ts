import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { ledgerService } from './ledger.module';

void runService(ledgerService, () => telemetry.shutdown());
