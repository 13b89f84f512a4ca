import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { matchingService } from './matching.module';

void runService(matchingService, () => telemetry.shutdown());
