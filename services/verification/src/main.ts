import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { verificationService } from './verification.module';

void runService(verificationService, () => telemetry.shutdown());
