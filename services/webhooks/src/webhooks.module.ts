import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, CONFIG, createEventingMetrics, hasRole, KAFKA, LOGGER, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, type Clock, type Logger, type ServiceDefinition } from '@ionet/platform';
import { CommandHandlers, EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { Counter, type Registry } from 'prom-client';
import { WebhooksController } from './api/http/webhooks.controller';
import { DeliveryAttempts } from './application/delivery-attempts';
import { DeliveryStarterHook } from './application/fan-out';
import { FirstAttempts } from './application/first-attempts';
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
    @Inject(FirstAttempts) private readonly firstAttempts: FirstAttempts,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.startWorker();
  }

  async onApplicationShutdown(): Promise<void> {
    // The first attempts under way end (and are recorded) before the queue that takes the rest closes.
    await this.firstAttempts.close();
    await this.queue.close();
    this.sender.close();
  }
}

/** As many as billing's topic has partitions (the busiest source): a fetch's batches are applied in
 *  one wave, not three, which took a steady load's p50 from about 650 to about 260 ms (ADR 0341).
 *  Beyond the database pool, batches wait for a connection. */
const PROJECTION_PARTITIONS_AT_ONCE = 24;
const ATTEMPTS_TOTAL = Symbol('webhooks.attempts-total');

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
            // The fan-out waits on the database per batch: partitions side by side keep it busy.
            projectionConsumer: { partitionsConsumedConcurrently: PROJECTION_PARTITIONS_AT_ONCE },
          }),
        }),
      ],
      controllers: [WebhooksController],
      providers: [
        {
          provide: WebhookSender,
          useFactory: () =>
            new WebhookSender({ allowPrivateTargets: config.WEBHOOKS_ALLOW_PRIVATE_TARGETS, timeoutMs: config.WEBHOOKS_DELIVERY_TIMEOUT_MS, socketsPerHostMax: config.WEBHOOKS_DELIVERY_CONCURRENCY }),
        },
        {
          provide: ATTEMPTS_TOTAL,
          inject: [METRICS_REGISTRY],
          useFactory: (registry: Registry) =>
            new Counter({
              name: 'webhooks_attempts_total',
              help: 'Delivery attempts by outcome: delivered (2xx), failed (anything else or no answer), skipped (already done or superseded)',
              labelNames: ['outcome'],
              registers: [registry],
            }),
        },
        {
          provide: DeliveryAttempts,
          inject: [PG_POOL, CommandHandlers, WebhookSender, CLOCK],
          useFactory: (pool: Pool, handlers: CommandHandlers, sender: WebhookSender, clock: Clock) => new DeliveryAttempts(pool, handlers, sender, clock),
        },
        {
          provide: DeliveryQueue,
          inject: [PG_POOL, CLOCK, LOGGER, DeliveryAttempts, ATTEMPTS_TOTAL],
          useFactory: (pool: Pool, clock: Clock, logger: Logger, attempts: DeliveryAttempts, attemptsTotal: Counter<'outcome'>) =>
            new DeliveryQueue({
              redisUrl: config.REDIS_URL,
              prefix: config.QUEUE_PREFIX,
              concurrency: config.WEBHOOKS_DELIVERY_CONCURRENCY,
              runWorker: hasRole(config, 'worker'),
              clock,
              logger,
              pool,
              firstAttemptLeaseMs: config.WEBHOOKS_FIRST_ATTEMPT_LEASE_MS,
              run: (job) => attempts.run(job),
              onAttempt: (outcome) => attemptsTotal.inc({ outcome }),
            }),
        },
        {
          // The fan-out's process sends each new delivery's first attempt itself (ADR 0341); any
          // other process (and WEBHOOKS_DIRECT_FIRST_ATTEMPT=false) leaves them to BullMQ.
          provide: FirstAttempts,
          inject: [PG_POOL, WebhookSender, CLOCK, LOGGER, DeliveryQueue, ATTEMPTS_TOTAL],
          useFactory: (pool: Pool, sender: WebhookSender, clock: Clock, logger: Logger, queue: DeliveryQueue, attemptsTotal: Counter<'outcome'>) => {
            const firstAttempts = new FirstAttempts({
              pool,
              sender,
              clock,
              logger,
              queue,
              concurrency: config.WEBHOOKS_DELIVERY_CONCURRENCY,
              endpointConcurrency: config.WEBHOOKS_ENDPOINT_CONCURRENCY,
              handOverAfterMs: Math.floor(config.WEBHOOKS_FIRST_ATTEMPT_LEASE_MS / 3),
              onAttempt: (outcome) => attemptsTotal.inc({ outcome }),
            });
            starter.bind(hasRole(config, 'consumer') && config.WEBHOOKS_DIRECT_FIRST_ATTEMPT ? firstAttempts : queue);
            return firstAttempts;
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
