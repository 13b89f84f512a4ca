import { Module, type DynamicModule } from '@nestjs/common';
import { AgentWorkMailbox, CONFIG, createEventingMetrics, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, QueuesModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import { EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { ClustersController } from './api/http/clusters.controller';
import { ClusterQueries } from './application/cluster-queries';
import { LeasingInputsConsumer } from './application/consumers/leasing-inputs.consumer';
import { LEASING_JOBS, LeaseScheduler } from './application/jobs/lease.jobs';
import { LeasesService } from './application/leases.service';
import { clustersProjection } from './application/projections/clusters.projection';
import { quotesProjection } from './application/projections/quotes.projection';
import { LEASING_MIGRATIONS } from './infrastructure/persistence/migrations';
import { leasingConfigSchema, type LeasingConfig } from './leasing.config';

/** The agents' work mailbox, one per process: the jobs (in QueuesModule) and the services share it. */
@Module({ providers: [AgentWorkMailbox], exports: [AgentWorkMailbox] })
class AgentWorkModule {}

/** A running job holds two database connections (its effect's transaction, and its commands' own
 *  one): more jobs at once than half the pool, less two for the API and the consumers, would wait
 *  on each other for connections. */
export function jobConcurrency(config: Pick<LeasingConfig, 'LEASING_DISPATCH_CONCURRENCY' | 'DATABASE_POOL_MAX'>): number {
  return Math.max(1, Math.min(config.LEASING_DISPATCH_CONCURRENCY, Math.floor((config.DATABASE_POOL_MAX - 2) / 2)));
}

@Module({})
export class LeasingModule {
  static forRoot(config: LeasingConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: LeasingModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: LEASING_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: LeasingConfig, registry: Registry) => ({
            pool,
            connection: pool.options,
            kafka,
            producer: 'leasing',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            runConsumers: c.SERVICE_ROLES.includes('consumer'),
            relay: c.SERVICE_ROLES.includes('consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
            projections: [quotesProjection, clustersProjection],
            consumer: { groupId: `${c.KAFKA_TOPIC_PREFIX}leasing.inputs`, contexts: ['ledger', 'billing', 'verification', 'matching'] },
          }),
        }),
        AgentWorkModule,
        { ...QueuesModule.forRoot({ jobs: LEASING_JOBS as never[], concurrency: jobConcurrency(config) }), imports: [AgentWorkModule] },
      ],
      controllers: [ClustersController, LeasingInputsConsumer],
      providers: [LeasesService, ClusterQueries, LeaseScheduler],
    };
  }
}

export const leasingService: ServiceDefinition<LeasingConfig> = {
  configSchema: leasingConfigSchema,
  module: (config, platform) => LeasingModule.forRoot(config, platform),
  openApi: {
    title: 'ionet leasing',
    description: 'Clusters from quotes: leases, funding, dispatch of jobs to the worker agents, metering per lease-hour, extension, termination, replacement.',
    version: '1',
  },
};
