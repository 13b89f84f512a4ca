import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { leasingV1, toDomain, topicName } from '@ionet/contracts';
import { ConsumerRunner, DeadLetterService, PgTransactionRunner, type ConsumedEvent, type BatchContext } from '@ionet/eventing';
import { CONFIG, hasRole, KAFKA, LOGGER, PG_POOL, type Logger } from '@ionet/platform';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { EscrowService } from '../../application/escrow.service';
import type { BillingConfig } from '../../billing.config';

/** Kafka consumer group of billing's leasing consumer (prefixed in tests). */
export const LEASING_CONSUMER_GROUP = 'billing.leasing';

/**
 * Leasing's facts into escrow decisions: one transaction per batch holds the decisions, the money
 * tables and the consumer offsets (ADR 0202), so a redelivered event is skipped by its offset and,
 * replayed under another group, appends nothing (ids derive from the event). Contract violations
 * are dead-lettered (and can be re-driven through the ops API); faults pause and retry.
 */
@Injectable()
export class LeasingConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private runner: ConsumerRunner | undefined;

  constructor(
    private readonly escrow: EscrowService,
    private readonly deadLetters: DeadLetterService,
    @Inject(CONFIG) private readonly config: BillingConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!hasRole(this.config, 'consumer')) return;
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    this.runner = new ConsumerRunner({
      kafka: this.kafka,
      groupId: `${prefix}${LEASING_CONSUMER_GROUP}`,
      topics: [topicName('leasing', prefix)],
      deadLetterTopic: topicName('dlq', prefix),
      transactions: new PgTransactionRunner(this.pool),
      handleBatch: (events, ctx) => this.handleBatch(events, ctx),
      logger: { log: (m) => this.logger.debug({ consumer: LEASING_CONSUMER_GROUP }, m), warn: (m) => this.logger.warn({ consumer: LEASING_CONSUMER_GROUP }, m), error: (m) => this.logger.error({ consumer: LEASING_CONSUMER_GROUP }, m) },
    });
    this.deadLetters.registerRedriver(this.runner);
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner?.stop();
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
