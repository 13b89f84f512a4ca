import { Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, createEventingMetrics, hasRole, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, QueuesModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import { EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { EpochsController } from './api/http/epochs.controller';
import { EpochQueries } from './application/epoch-queries';
import { CHAIN_CONTROLLERS, CHAIN_JOBS, CHAIN_PROVIDERS, chainDecisionsProjection, chainSchedules } from './chain';
import { TOKENOMICS_MIGRATIONS } from './infrastructure/persistence/migrations';
import { tokenomicsConfigSchema, type TokenomicsConfig } from './tokenomics.config';

/** Shared by the controllers and the jobs (QueuesModule resolves job classes across modules). */
const APPLICATION = [EpochQueries, ...CHAIN_PROVIDERS];

@Module({ providers: APPLICATION, exports: APPLICATION })
class TokenomicsApplicationModule {}

@Module({})
export class TokenomicsModule {
  static forRoot(config: TokenomicsConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: TokenomicsModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: TOKENOMICS_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: TokenomicsConfig, registry: Registry) => ({
            pool,
            connection: pool.options,
            kafka,
            producer: 'tokenomics',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            runConsumers: hasRole(c, 'consumer'),
            relay: hasRole(c, 'consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
            projections: [chainDecisionsProjection],
          }),
        }),
        TokenomicsApplicationModule,
        { ...QueuesModule.forRoot({ jobs: CHAIN_JOBS as never[], schedules: chainSchedules(config) as never[], concurrency: 1 }), imports: [TokenomicsApplicationModule] },
      ],
      controllers: [EpochsController, ...CHAIN_CONTROLLERS],
    };
  }
}

export const tokenomicsService: ServiceDefinition<TokenomicsConfig> = {
  configSchema: tokenomicsConfigSchema,
  module: (config, platform) => TokenomicsModule.forRoot(config, platform),
  openApi: {
    title: 'ionet tokenomics',
    description: 'The IO token: hourly epochs closed, minted and allocated to eligible devices and their co-stakers; staking and co-staking; slashing and appeals; supply.',
    version: '1',
  },
};
