import { Module, type DynamicModule } from '@nestjs/common';
import { AgentWorkMailbox, CONFIG, createEventingMetrics, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, QueuesModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import { EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { AgentController } from './api/http/agent.controller';
import { ProofsController } from './api/http/proofs.controller';
import { AgentJobsService } from './application/agent-jobs.service';
import { ChallengesService } from './application/challenges.service';
import { DeviceDirectory } from './application/device-directory';
import { HeartbeatIngestService } from './application/heartbeat-ingest.service';
import { VERIFICATION_JOBS, VERIFICATION_SCHEDULES } from './application/jobs/verification-sweep.jobs';
import { deviceRegistryProjection } from './application/projections/device-registry.projection';
import { leasesProjection } from './application/projections/leases.projection';
import { VerificationQueries } from './application/verification-queries.service';
import { VerificationSweeps } from './application/verification-sweeps.service';
import { VERIFICATION_MIGRATIONS } from './infrastructure/persistence/migrations';
import { verificationConfigSchema, type VerificationConfig } from './verification.config';

/** Shared by the controllers and the jobs (QueuesModule resolves job classes across modules). */
const APPLICATION = [DeviceDirectory, HeartbeatIngestService, ChallengesService, AgentJobsService, VerificationQueries, VerificationSweeps, AgentWorkMailbox];

@Module({ providers: APPLICATION, exports: APPLICATION })
class VerificationApplicationModule {}

@Module({})
export class VerificationModule {
  static forRoot(config: VerificationConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: VerificationModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: VERIFICATION_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: VerificationConfig, registry: Registry) => ({
            pool,
            connection: pool.options,
            kafka,
            producer: 'verification',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            runConsumers: c.SERVICE_ROLES.includes('consumer'),
            relay: c.SERVICE_ROLES.includes('consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
            projections: [deviceRegistryProjection, leasesProjection],
          }),
        }),
        VerificationApplicationModule,
        { ...QueuesModule.forRoot({ jobs: VERIFICATION_JOBS as never[], schedules: VERIFICATION_SCHEDULES as never[], concurrency: 1 }), imports: [VerificationApplicationModule] },
      ],
      controllers: [AgentController, ProofsController],
    };
  }
}

export const verificationService: ServiceDefinition<VerificationConfig> = {
  configSchema: verificationConfigSchema,
  module: (config, platform) => VerificationModule.forRoot(config, platform),
  openApi: {
    title: 'ionet verification',
    description: 'Worker agents after enrollment (heartbeats, proof-of-work, job events), Proof of Time-Lock per lease-hour, epoch Merkle roots, reputation and eligibility.',
    version: '1',
  },
};
