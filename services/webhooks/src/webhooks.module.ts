import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, CONFIG, createEventingMetrics, hasRole, KAFKA, LOGGER, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, type Clock, type Logger, type ServiceDefinition } from '@ionet/platform';
import { CommandHandlers, EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { Counter, type Registry } from 'prom-client';
import { WebhooksController } from './api/http/webhooks.controller';
import { DeliveryAttempts } from './application/delivery-attempts';
import { DeliveryStarterHook } from './application/fan-out';
import { webhookFanOutProjection } from './application/projections/webhook-fan-out.projection';
import { WebhooksService } from './application/webhooks.service';
import { DeliveryQueue } from './infrastructure/delivery/delivery-queue';
import { WebhookSender } from './infrastructure/delivery/webhook-sender';
import { WEBHOOKS_MIGRATIONS } from './infrastructure/persistence/migrations';
import { webhooksConfigSchema, type WebhooksConfig } from './webhooks.config';

/** Starts the delivery worker once everything is up, and closes the queue and sockets. */
@Injectable()
class DeliveryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DeliveryQueue) private readonly queue: DeliveryQueue,
    @Inject(WebhookSender) private readonly sender: WebhookSender,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.startWorker();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    this.sender.close();
  }
}

const PROJECTION_PARTITIONS_AT_ONCE = 8;

@Module({})
export class WebhooksModule {
  static forRoot(config: WebhooksConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    // The projection is declared before the queue exists; the queue binds itself here.
    const starter = new DeliveryStarterHook();
    return {
      module: WebhooksModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: WEBHOOKS_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY, CLOCK],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: WebhooksConfig, registry: Registry, clock: Clock) => ({
            pool,
            connection: pool.options,
            kafka,
            producer: 'webhooks',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            runConsumers: hasRole(c, 'consumer'),
            relay: hasRole(c, 'consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
            projections: [webhookFanOutProjection(starter, clock)],
            // The fan-out waits on the database per event: partitions side by side keep it busy.
            projectionConsumer: { partitionsConsumedConcurrently: PROJECTION_PARTITIONS_AT_ONCE },
          }),
        }),
      ],
      controllers: [WebhooksController],
      providers: [
        {
          provide: WebhookSender,
          useFactory: () => new WebhookSender({ allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS, timeoutMs: config.WEBHOOKS_DELIVERY_TIMEOUT_MS }),
        },
        {
          provide: DeliveryAttempts,
          inject: [PG_POOL, CommandHandlers, WebhookSender, CLOCK],
          useFactory: (pool: Pool, handlers: CommandHandlers, sender: WebhookSender, clock: Clock) => new DeliveryAttempts(pool, handlers, sender, clock),
        },
        {
          provide: DeliveryQueue,
          inject: [PG_POOL, CLOCK, LOGGER, DeliveryAttempts, METRICS_REGISTRY],
          useFactory: (pool: Pool, clock: Clock, logger: Logger, attempts: DeliveryAttempts, registry: Registry) => {
            const attemptsTotal = new Counter({
              name: 'webhooks_attempts_total',
              help: 'Delivery attempts by outcome: delivered (2xx), failed (anything else or no answer), skipped (already done or superseded)',
              labelNames: ['outcome'],
              registers: [registry],
            });
            const queue = new DeliveryQueue({
              redisUrl: config.REDIS_URL,
              prefix: config.QUEUE_PREFIX,
              concurrency: config.WEBHOOKS_DELIVERY_CONCURRENCY,
              runWorker: hasRole(config, 'worker'),
              clock,
              logger,
              pool,
              run: (job) => attempts.run(job),
              onAttempt: (outcome) => attemptsTotal.inc({ outcome }),
            });
            starter.bind(queue);
            return queue;
          },
        },
        {
          provide: WebhooksService,
          inject: [PG_POOL, CommandHandlers, WebhookSender, DeliveryQueue, CLOCK],
          useFactory: (pool: Pool, handlers: CommandHandlers, sender: WebhookSender, queue: DeliveryQueue, clock: Clock) =>
            new WebhooksService({
              pool,
              handlers,
              sender,
              queue,
              clock,
              allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
              secretOverlapMs: config.WEBHOOKS_SECRET_OVERLAP_MS,
              endpointsPerOrganizationMax: config.WEBHOOKS_ENDPOINTS_PER_ORGANIZATION_MAX,
            }),
        },
        DeliveryLifecycle,
      ],
    };
  }
}

export const webhooksService: ServiceDefinition<WebhooksConfig> = {
  configSchema: webhooksConfigSchema,
  module: (config, platform) => WebhooksModule.forRoot(config, platform),
  openApi: {
    title: 'ionet webhooks',
    description:
      'Standard Webhooks for organizations: endpoints with event-type filters, signed deliveries (webhook-id, webhook-timestamp, webhook-signature), retries over about a day, a delivery log, redelivery, secret rotation and test events.',
    version: '1',
  },
};
