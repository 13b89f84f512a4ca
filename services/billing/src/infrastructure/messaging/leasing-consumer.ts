import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { leasingV1, toDomain, topicName } from '@ionet/contracts';
import { ConsumerRunner, DeadLetterService, PgTransactionRunner, startConsumerWithRetries, type BatchContext, type ConsumedEvent } from '@ionet/eventing';
import { CONFIG, createEventingMetrics, hasRole, KAFKA, LOGGER, METRICS_REGISTRY, PG_POOL, type Logger } from '@ionet/platform';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { EscrowService } from '../../application/escrow.service';
import type { BillingConfig } from '../../billing.config';

/** Kafka consumer group of billing's leasing consumer (prefixed in tests). */
export const LEASING_CONSUMER_GROUP = 'billing.leasing';
const START_RETRY_DELAY_MS_MAX = 10_000;

/**
 * Leasing's facts into escrow decisions: one transaction per batch holds the decisions, the money
 * tables and the consumer offsets (ADR 0202), so a redelivered event is skipped by its offset and,
 * replayed under another group, appends nothing (ids derive from the event). Contract violations
 * are dead-lettered (and can be re-driven through the ops API); faults pause and retry.
 */
@Injectable()
export class LeasingConsumer implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private runner: ConsumerRunner | undefined;
  private starting: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly escrow: EscrowService,
    private readonly deadLetters: DeadLetterService,
    @Inject(CONFIG) private readonly config: BillingConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  /** Starts in the background: a broker slow to host a fresh topic must not fail the service's
   *  start (subscribing is retried, backing off), as the platform's key projection does. */
  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'consumer')) return;
    this.starting = this.startWithRetries();
  }

  onModuleDestroy(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.starting;
    await this.runner?.stop();
  }

  private async startWithRetries(): Promise<void> {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    const log = (level: 'debug' | 'warn' | 'error') => (message: string) => this.logger[level]({ consumer: LEASING_CONSUMER_GROUP }, message);
    this.runner = await startConsumerWithRetries(
      () =>
        new ConsumerRunner({
          kafka: this.kafka,
          groupId: `${prefix}${LEASING_CONSUMER_GROUP}`,
          topics: [topicName('leasing', prefix)],
          deadLetterTopic: topicName('dlq', prefix),
          transactions: new PgTransactionRunner(this.pool),
          handleBatch: (events, ctx) => this.handleBatch(events, ctx),
          metrics: createEventingMetrics(this.registry),
          logger: { log: log('debug'), warn: log('warn'), error: log('error') },
        }),
      {
        stopping: () => this.stopping,
        delayMsMax: START_RETRY_DELAY_MS_MAX,
        onRetry: (err, attempt, delayMs) => this.logger.warn({ err: (err as Error).message, attempt, delayMs }, 'leasing consumer did not start; retrying'),
      },
    );
    if (this.runner) this.deadLetters.registerRedriver(this.runner);
  }

  private async handleBatch(events: ConsumedEvent[], ctx: BatchContext): Promise<void> {
    for (const { event, metadata } of events) {
      switch (metadata.eventType) {
        case leasingV1.LeaseCreatedSchema.typeName:
          await this.escrow.onLeaseCreated(toDomain(leasingV1.LeaseCreatedSchema, event as leasingV1.LeaseCreated), metadata, ctx.tx);
          break;
        case leasingV1.LeaseExtendedSchema.typeName:
          await this.escrow.onLeaseExtended(toDomain(leasingV1.LeaseExtendedSchema, event as leasingV1.LeaseExtended), metadata, ctx.tx);
          break;
        case leasingV1.LeaseHourCompletedSchema.typeName:
          await this.escrow.onLeaseHourCompleted(toDomain(leasingV1.LeaseHourCompletedSchema, event as leasingV1.LeaseHourCompleted), metadata, ctx.tx);
          break;
        case leasingV1.LeaseTerminatedSchema.typeName:
          await this.escrow.onLeaseTerminated(toDomain(leasingV1.LeaseTerminatedSchema, event as leasingV1.LeaseTerminated), metadata, ctx.tx);
          break;
        default:
          // Other leasing facts (activation, dispatch, replacements) move no money.
          break;
      }
    }
  }
}
