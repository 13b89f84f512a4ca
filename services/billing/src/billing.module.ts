import { Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, createEventingMetrics, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import { EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { AccountsController } from './api/http/accounts.controller';
import { AccountsService } from './application/accounts.service';
import { billingConfigSchema, type BillingConfig } from './billing.config';
import { BILLING_MIGRATIONS } from './infrastructure/persistence/migrations';

@Module({})
export class BillingModule {
  static forRoot(config: BillingConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: BillingModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: BILLING_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: BillingConfig, registry: Registry) => ({
            pool,
            connection: pool.options,
            kafka,
            producer: 'billing',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            relay: c.SERVICE_ROLES.includes('consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
          }),
        }),
      ],
      controllers: [AccountsController],
      providers: [AccountsService],
    };
  }
}

export const billingService: ServiceDefinition<BillingConfig> = {
  configSchema: billingConfigSchema,
  module: (config, platform) => BillingModule.forRoot(config, platform),
  openApi: {
    title: 'ionet billing',
    description: 'Organizations and their API keys (one key works on every service), balances, invoices and payouts.',
    version: '1',
  },
};
