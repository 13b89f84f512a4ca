import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { billingV1, topicName } from '@ionet/contracts';
import { ConsumerRunner, PgTransactionRunner, startConsumerWithRetries, type ConsumedEvent, type SqlExecutor } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { CONFIG, hasRole, type BaseConfig } from '../config/config';
import { LOGGER, type Logger } from '../logging/logger';
import { createEventingMetrics } from '../metrics/eventing-metrics';
import { METRICS_REGISTRY } from '../metrics/metrics';
import { KAFKA, PG_POOL } from '../platform.tokens';
import type { ApiKeyRow } from './api-key-map';
import { ApiKeyService } from './api-key.service';
import { scopeFromWire } from './api-key-wire';

const ROW_COLUMNS = 'id, key_hash, tenant_id, scopes, revoked_at';
const START_RETRY_DELAY_MS_MAX = 5_000;

/** Applies billing's key events to `api_keys`. Each write is an upsert that keeps a revocation, so
 *  an event delivered twice, or a revocation read before its issue, leaves the same row. Returns
 *  the rows as they now are. */
export async function applyApiKeyEvents(events: ConsumedEvent[], tx: SqlExecutor): Promise<ApiKeyRow[]> {
  const rows: ApiKeyRow[] = [];
  for (const { event, metadata } of events) {
    switch (metadata.eventType) {
      case 'ionet.billing.v1.ApiKeyIssued': {
        const e = event as billingV1.ApiKeyIssued;
        const result = await tx.query<ApiKeyRow>(
          `insert into api_keys (id, key_hash, display_prefix, tenant_id, scopes, label, created_at, changed_at)
           values ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())
           on conflict (id) do update set key_hash = excluded.key_hash, display_prefix = excluded.display_prefix, tenant_id = excluded.tenant_id,
             scopes = excluded.scopes, label = excluded.label, created_at = excluded.created_at, changed_at = clock_timestamp()
           returning ${ROW_COLUMNS}`,
          [e.apiKeyId, e.keyHash, e.displayPrefix, e.organizationId, e.scopes.map(scopeFromWire), e.label, timestampDate(e.issuedAt!)],
        );
        rows.push(...result.rows);
        break;
      }
      case 'ionet.billing.v1.ApiKeyRevoked': {
        const e = event as billingV1.ApiKeyRevoked;
        // A revocation seen before its issue leaves a revoked placeholder ('revoked' is no scope),
        // which the issue then completes without reviving it.
        const result = await tx.query<ApiKeyRow>(
          `insert into api_keys (id, key_hash, display_prefix, tenant_id, scopes, label, revoked_at, changed_at)
           values ($1, $2, '', $3, '{revoked}', '', $4, clock_timestamp())
           on conflict (id) do update set revoked_at = coalesce(api_keys.revoked_at, excluded.revoked_at), changed_at = clock_timestamp()
           returning ${ROW_COLUMNS}`,
          [e.apiKeyId, e.keyHash, e.organizationId, timestampDate(e.revokedAt!)],
        );
        rows.push(...result.rows);
        break;
      }
      default:
        // Billing's other facts (organizations, money) do not change who may call.
        break;
    }
  }
  return rows;
}

/** The consumer every service runs (consumer role) to know billing's keys: its own group on
 *  `ionet.billing.v1`, offsets committed with the rows (exactly once), and the in-memory key map
 *  updated as soon as a batch commits. */
@Injectable()
export class ApiKeyProjection implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private runner: ConsumerRunner | undefined;
  private starting: Promise<void> | undefined;
  private stopping = false;

  constructor(
    @Inject(CONFIG) private readonly config: BaseConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    private readonly keys: ApiKeyService,
  ) {}

  static groupId(config: Pick<BaseConfig, 'KAFKA_TOPIC_PREFIX' | 'SERVICE_NAME'>): string {
    return `${config.KAFKA_TOPIC_PREFIX}${config.SERVICE_NAME}.api-keys`;
  }

  /** Starts in the background: the map already serves the table's keys, and a broker that is
   *  slow to host a fresh topic must not fail the service's start (it is retried, backing off). */
  onApplicationBootstrap(): void {
    if (!hasRole(this.config, 'consumer')) return;
    this.starting = this.startWithRetries();
  }

  private async startWithRetries(): Promise<void> {
    const prefix = this.config.KAFKA_TOPIC_PREFIX;
    this.runner = await startConsumerWithRetries(
      () =>
        new ConsumerRunner({
          kafka: this.kafka,
          groupId: ApiKeyProjection.groupId(this.config),
          topics: [topicName('billing', prefix)],
          transactions: new PgTransactionRunner(this.pool),
          deadLetterTopic: topicName('dlq', prefix),
          // A read model: the relay of this database need not wait for its batches (ADR 0221).
          appendsEvents: false,
          metrics: createEventingMetrics(this.registry),
          logger: {
            log: (message) => this.logger.debug({ consumer: 'api-keys' }, message),
            warn: (message) => this.logger.warn({ consumer: 'api-keys' }, message),
            error: (message) => this.logger.error({ consumer: 'api-keys' }, message),
          },
          handleBatch: async (events, ctx) => {
            const rows = await applyApiKeyEvents(events, ctx.tx);
            if (!rows.length) return;
            if (ctx.tx.afterCommit) ctx.tx.afterCommit(() => this.keys.applyRows(rows));
            else this.keys.applyRows(rows);
          },
        }),
      {
        stopping: () => this.stopping,
        delayMsMax: START_RETRY_DELAY_MS_MAX,
        onRetry: (err, attempt, delayMs) => this.logger.warn({ err: (err as Error).message, attempt, delayMs }, 'API key consumer did not start; retrying'),
      },
    );
  }

  /** The first hook of a close: no start attempt begins after it, whatever later hooks do. */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.starting;
    await this.runner?.stop();
  }
}
