import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, CONFIG, KAFKA, LOGGER, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, createEventingMetrics, hasRole, type Clock, type Logger, type ServiceDefinition } from '@ionet/platform';
import { EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { MatchingController } from './api/http/matching.controller';
import { ReservationLifecycleConsumer } from './application/consumers/reservation-lifecycle.consumer';
import { OffersQuery } from './application/offers.query';
import { offerDevicesProjection } from './application/projections/offer-devices.projection';
import { EXPIRY_SCHEDULER, QuotesService } from './application/quotes.service';
import { QuoteExpiryQueue } from './infrastructure/queues/quote-expiry-queue';
import { MATCHING_MIGRATIONS } from './infrastructure/persistence/migrations';
import { matchingConfigSchema, type MatchingConfig } from './matching.config';

/** Starts the expiry worker once every module is ready, and closes the queue on shutdown. */
class ExpiryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(EXPIRY_SCHEDULER) private readonly queue: QuoteExpiryQueue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }
}

@Module({})
export class MatchingModule {
  static forRoot(config: MatchingConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: MatchingModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: MATCHING_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: MatchingConfig, registry: Registry) => ({
            pool,
            connection: pool.options,
            kafka,
            producer: 'matching',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            runConsumers: c.SERVICE_ROLES.includes('consumer'),
            relay: c.SERVICE_ROLES.includes('consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
            projections: [offerDevicesProjection],
            consumer: { groupId: `${c.KAFKA_TOPIC_PREFIX}matching.reservations`, contexts: ['leasing', 'billing', 'inventory', 'verification'] },
          }),
        }),
      ],
      controllers: [MatchingController, ReservationLifecycleConsumer],
      providers: [
        OffersQuery,
        QuotesService,
        {
          provide: EXPIRY_SCHEDULER,
          inject: [PG_POOL, CLOCK, LOGGER],
          useFactory: (pool: Pool, clock: Clock, logger: Logger) =>
            new QuoteExpiryQueue({
              redisUrl: config.REDIS_URL,
              prefix: config.QUEUE_PREFIX,
              runWorker: hasRole(config, 'worker'),
              clock,
              logger,
              pool,
              holdSeconds: config.QUOTE_HOLD_SECONDS,
            }),
        },
        ExpiryLifecycle,
      ],
    };
  }
}

export const matchingService: ServiceDefinition<MatchingConfig> = {
  configSchema: matchingConfigSchema,
  module: (config, platform) => MatchingModule.forRoot(config, platform),
  openApi: {
    title: 'ionet matching',
    description: 'GPU search (hardware, offers), quotes that hold capacity for 20 minutes, cluster placement with an explain for every refusal, and replacement of failed leased devices.',
    version: '1',
  },
};
