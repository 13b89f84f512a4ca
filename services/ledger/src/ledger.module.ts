import { Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, createEventingMetrics, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import { EventingModule, EventStore } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { LedgerController } from './api/http/ledger.controller';
import { LedgerQueries } from './application/ledger-queries';
import { ledgerProjection } from './application/projections/ledger.projection';
import { ledgerConfigSchema, type LedgerConfig } from './ledger.config';
import { LEDGER_MIGRATIONS } from './infrastructure/persistence/migrations';

@Module({})
export class LedgerModule {
  static forRoot(config: LedgerConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: LedgerModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: LEDGER_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: LedgerConfig, registry: Registry) => {
            const metrics = createEventingMetrics(registry);
            return {
              pool,
              connection: pool.options,
              kafka,
              producer: 'ledger',
              topicPrefix: c.KAFKA_TOPIC_PREFIX,
              ensureTopics: true,
              runConsumers: c.SERVICE_ROLES.includes('consumer'),
              relay: c.SERVICE_ROLES.includes('consumer') ? {} : false,
              metrics,
              // The process managers append through a store of their own on the same database: its
              // commits wake the relay by NOTIFY like any other process's (ADR 0207).
              projections: [ledgerProjection({ store: new EventStore({ pool, producer: 'ledger', metrics }) })],
            };
          },
        }),
      ],
      controllers: [LedgerController],
      providers: [LedgerQueries],
    };
  }
}

export const ledgerService: ServiceDefinition<LedgerConfig> = {
  configSchema: ledgerConfigSchema,
  module: (config, platform) => LedgerModule.forRoot(config, platform),
  openApi: {
    title: 'ionet ledger',
    description: 'The double-entry ledger of every money and token event: balances, entries, state hash, invariants; its process managers decide funding, buyback and mints (payouts: billing PayoutScheduled, ADR 0323).',
    version: '1',
  },
};
