import { Module, type DynamicModule } from '@nestjs/common';
import { CLOCK, CONFIG, createEventingMetrics, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, QueuesModule, type Clock, type Logger, type ServiceDefinition } from '@ionet/platform';
import { DEFAULT_TOKENOMICS_PARAMETERS } from '@ionet/tokenomics';
import { EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { AccountsController } from './api/http/accounts.controller';
import { AccountsService } from './application/accounts.service';
import { MoneyController } from './api/http/money.controller';
import { EscrowService, TOKENOMICS_PARAMETERS } from './application/escrow.service';
import { MoneyService, PUBLIC_CLOUD_PRICES } from './application/money.service';
import { billingDirectoryProjection } from './application/projections/billing-directory.projection';
import { LeasingConsumer } from './infrastructure/messaging/leasing-consumer';
import { FixedIoPriceFeed, IoPriceOracle } from './infrastructure/oracle/io-price-oracle';
import { loadPublicCloudPrices } from './infrastructure/pricing/public-cloud-prices';
import { ExpireFundingJob, FUNDING_EXPIRY } from './infrastructure/queues/expire-funding.job';
import { IssueInvoicesJob } from './infrastructure/queues/issue-invoices.job';
import { SchedulePayoutsJob } from './infrastructure/queues/schedule-payouts.job';
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
            runConsumers: c.SERVICE_ROLES.includes('consumer'),
            relay: c.SERVICE_ROLES.includes('consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
            projections: [billingDirectoryProjection],
          }),
        }),
        QueuesModule.forRoot({
          jobs: [ExpireFundingJob, IssueInvoicesJob, SchedulePayoutsJob],
          schedules: [
            { job: IssueInvoicesJob, schedulerId: 'issue-invoices', everyClockMs: config.INVOICE_PERIOD_MS, payload: {} as never },
            { job: SchedulePayoutsJob, schedulerId: 'schedule-payouts', everyClockMs: config.PAYOUT_RUN_EVERY_MS, payload: {} as never },
          ],
        }),
      ],
      controllers: [AccountsController, MoneyController],
      providers: [
        AccountsService,
        EscrowService,
        { provide: FUNDING_EXPIRY, useExisting: EscrowService },
        MoneyService,
        LeasingConsumer,
        // Governance's ParameterChanged is not consumed yet: the fees are the defaults of ADR 0104.
        { provide: TOKENOMICS_PARAMETERS, useValue: DEFAULT_TOKENOMICS_PARAMETERS },
        { provide: PUBLIC_CLOUD_PRICES, useValue: loadPublicCloudPrices(config.PUBLIC_CLOUD_PRICES_FILE) },
        {
          provide: IoPriceOracle,
          inject: [CLOCK],
          useFactory: (clock: Clock) => new IoPriceOracle(new FixedIoPriceFeed(config.IO_PRICE_USD_MICROS), clock, config.IO_PRICE_REFRESH_MS),
        },
      ],
    };
  }
}

export const billingService: ServiceDefinition<BillingConfig> = {
  configSchema: billingConfigSchema,
  module: (config, platform) => BillingModule.forRoot(config, platform),
  openApi: {
    title: 'ionet billing',
    description: 'Organizations and their API keys (one key works on every service); balances, deposits, escrow per lease, hourly charges and refunds, transactions, invoices, cost reports and payouts.',
    version: '1',
  },
};
