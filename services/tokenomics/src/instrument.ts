// First import of main.ts: tracing must patch http, pg, ioredis and kafkajs before they load.
import { startTelemetryFromEnv } from '@ionet/platform/telemetry';

export const telemetry = startTelemetryFromEnv('tokenomics');
