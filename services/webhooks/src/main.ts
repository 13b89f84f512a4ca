import { telemetry } from './instrument';
import { runService } from '@ionet/platform';
import { webhooksService } from './webhooks.module';

void runService(webhooksService, () => telemetry.shutdown());
