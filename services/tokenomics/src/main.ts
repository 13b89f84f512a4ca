import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { tokenomicsService } from './tokenomics.module';

void runService(tokenomicsService, () => telemetry.shutdown());
