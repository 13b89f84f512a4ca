import { Inject, Module, type DynamicModule, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { DataSource, DataSourceOptions } from 'typeorm';
import { ApiKeyEntity } from './auth/api-key.entity';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyService } from './auth/api-key.service';
import { CLOCK, createClock } from './clock/clock';
import { API_KEY_MIGRATIONS } from './auth/api-key-changes.migration';
import { ApiKeyProjection } from './auth/api-key.projection';
import { EVENTING_MIGRATIONS } from '@ionet/eventing';
import { CONFIG, type BaseConfig } from './config/config';
import type { ProblemKind } from './errors/domain-error';
import { ProblemFilter } from './errors/problem.filter';
import { ProblemMapper } from './errors/problem-mapper';
import { HEALTH_CHECK_CONTRIBUTIONS, HEALTH_CHECKS, kafkaCheck, postgresCheck, redisCheck, type HealthCheck } from './health/health-checks';
import { HealthController } from './health/health.controller';
import { createValidationPipe } from './http/validation';
import { IdempotencyRecordEntity } from './idempotency/idempotency-record.entity';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { LOGGER, type Logger } from './logging/logger';
import { METRICS_REGISTRY, MetricsController } from './metrics/metrics';
import { dataSourceOptions, pgPoolConfig } from './persistence/data-source-options';
import { runMigrations } from './persistence/migrate';
import { PLATFORM_MIGRATIONS } from './persistence/platform-tables.migration';
import { KAFKA, PG_POOL, REDIS } from './platform.tokens';
import { Pool } from 'pg';

export interface PlatformOptions {
  config: BaseConfig;
  logger: Logger;
  metrics: Registry;
  /** The service's TypeORM entities and timestamped migrations (the platform adds its own). */
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations: NonNullable<DataSourceOptions['migrations']>;
  /** Domain error reasons of this service and the problem kind each maps to. */
  reasonKinds?: Record<string, ProblemKind>;
}

const KAFKA_HEALTH_ADMIN = Symbol('ionet.kafka-health-admin');

/** Runs migrations when the database is ready, and closes the shared clients on shutdown. */
class PlatformLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(getDataSourceToken()) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA_HEALTH_ADMIN) private readonly admin: Admin,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.dataSource);
    if (applied.length) this.logger.info({ migrations: applied }, 'database migrated');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
    this.redis.disconnect();
    await this.pool.end().catch(() => undefined);
  }
}

/** Everything a service shares: config, the clock, logs, database and migrations, Redis, Kafka, health,
 *  metrics, problem+json errors, validation, API-key auth and Idempotency-Key handling. */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const { config } = options;
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useValue: options.logger },
      { provide: METRICS_REGISTRY, useValue: options.metrics },
      { provide: CLOCK, useValue: createClock(config) },
      {
        provide: REDIS,
        useFactory: () => {
          const redis = new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
          redis.on('error', (err) => options.logger.warn({ err: err.message }, 'redis connection error'));
          return redis;
        },
      },
      {
        // Plain pg for the event store, the relay and consumers (same database and schema as TypeORM).
        provide: PG_POOL,
        useFactory: () => {
          const pool = new Pool(pgPoolConfig(config));
          pool.on('error', (err) => options.logger.warn({ err: err.message }, 'postgres pool error'));
          return pool;
        },
      },
      {
        provide: KAFKA,
        useFactory: () => new Kafka({ clientId: `ionet-${config.SERVICE_NAME}`, brokers: config.KAFKA_BROKERS, logLevel: logLevel.WARN }),
      },
      {
        // Its own client without retries, so a readiness probe answers within its time box.
        provide: KAFKA_HEALTH_ADMIN,
        useFactory: () =>
          new Kafka({
            clientId: `ionet-${config.SERVICE_NAME}-health`,
            brokers: config.KAFKA_BROKERS,
            logLevel: logLevel.NOTHING,
            connectionTimeout: 1_500,
            retry: { retries: 0 },
          }).admin(),
      },
      {
        provide: HEALTH_CHECKS,
        inject: [getDataSourceToken(), REDIS, KAFKA_HEALTH_ADMIN, { token: HEALTH_CHECK_CONTRIBUTIONS, optional: true }],
        useFactory: (dataSource: DataSource, redis: Redis, admin: Admin, contributed?: HealthCheck[]) => [
          postgresCheck(dataSource),
          redisCheck(redis),
          kafkaCheck(admin),
          ...(contributed ?? []),
        ],
      },
      { provide: ProblemMapper, useValue: new ProblemMapper(options.reasonKinds) },
      { provide: APP_FILTER, inject: [ProblemMapper, LOGGER], useFactory: (mapper: ProblemMapper, logger: Logger) => new ProblemFilter(mapper, logger) },
      { provide: APP_PIPE, useFactory: createValidationPipe },
      { provide: APP_GUARD, useClass: ApiKeyGuard },
      IdempotencyInterceptor,
      { provide: APP_INTERCEPTOR, useExisting: IdempotencyInterceptor },
      ApiKeyService,
      ApiKeyProjection,
      PlatformLifecycle,
    ];
    return {
      module: PlatformModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(config, {
            entities: [ApiKeyEntity, IdempotencyRecordEntity, ...(options.entities as [])],
            // The key projection's consumer offsets live in the eventing tables: every service has
            // them, whether or not its own migrations list them too.
            migrations: uniqueMigrations([...PLATFORM_MIGRATIONS, ...API_KEY_MIGRATIONS, ...EVENTING_MIGRATIONS, ...(options.migrations as [])]),
          }),
          retryAttempts: 5,
          retryDelay: 1_000,
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers,
      exports: [CONFIG, CLOCK, LOGGER, METRICS_REGISTRY, REDIS, KAFKA, PG_POOL, ApiKeyService, ProblemMapper],
    };
  }
}

function uniqueMigrations(migrations: (string | (new () => unknown))[]): (string | (new () => unknown))[] {
  const seen = new Set<unknown>();
  return migrations.filter((m) => !seen.has(m) && seen.add(m));
}
