import { Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, createEventingMetrics, hasRole, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, QueuesModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import { CommandHandlers, EventingModule, EventStore } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { EpochsController } from './api/http/epochs.controller';
import { SlashesController } from './api/http/slashes.controller';
import { StakingController } from './api/http/staking.controller';
import { EpochCloser } from './application/epoch-closer';
import { EpochQueries } from './application/epoch-queries';
import { StakingService } from './application/staking.service';
import { TOKENOMICS_JOBS, tokenomicsSchedules } from './application/jobs/epoch.jobs';
import { allocationProjection } from './application/projections/allocation.projection';
import { eligibilityProjection } from './application/projections/eligibility.projection';
import { slashingProjection } from './application/projections/slashing.projection';
import { CHAIN_CONTROLLERS, CHAIN_JOBS, CHAIN_PROVIDERS, chainDecisionsProjection, chainSchedules } from './chain';
import { TOKENOMICS_MIGRATIONS } from './infrastructure/persistence/migrations';
import { tokenomicsConfigSchema, type TokenomicsConfig } from './tokenomics.config';

/** Shared by the controllers and the jobs (QueuesModule resolves job classes across modules). */
const APPLICATION = [EpochQueries, EpochCloser, StakingService, ...CHAIN_PROVIDERS];

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
          useFactory: (pool: Pool, kafka: Kafka, c: TokenomicsConfig, registry: Registry) => {
            const metrics = createEventingMetrics(registry);
            // The allocation process manager appends through a store of its own on the same
            // database, in its batch's transaction (as the ledger's do, ADR 0330).
            const processManagerHandlers = new CommandHandlers({ store: new EventStore({ pool, producer: 'tokenomics', metrics }) });
            return {
            pool,
            connection: pool.options,
            kafka,
            producer: 'tokenomics',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            runConsumers: hasRole(c, 'consumer'),
            relay: hasRole(c, 'consumer') ? {} : false,
            metrics,
            projections: [eligibilityProjection, allocationProjection(processManagerHandlers), slashingProjection(processManagerHandlers, c.TOKENOMICS_SLASH_TIME_LOCK_BPS), chainDecisionsProjection],
            };
          },
        }),
        TokenomicsApplicationModule,
        {
          ...QueuesModule.forRoot({
            jobs: [...TOKENOMICS_JOBS, ...CHAIN_JOBS] as never[],
            schedules: [...tokenomicsSchedules(config.TOKENOMICS_EPOCH_SWEEP_EVERY_MS), ...chainSchedules(config)] as never[],
            concurrency: 1,
          }),
          imports: [TokenomicsApplicationModule],
        },
      ],
      controllers: [EpochsController, StakingController, SlashesController, ...CHAIN_CONTROLLERS],
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
