import { Inject, Injectable, Module, type CanActivate, type DynamicModule, type ModuleMetadata, type OnApplicationBootstrap, type OnApplicationShutdown, type Type } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { ClientConfig, Pool } from 'pg';
import { EventRegistry, topicName, type EventContext } from '@ionet/contracts';
import { EventStore, type EventStoreOptions } from '../store/event-store';
import { CommandHandlers } from '../command/command-handlers';
import { ProjectionManager, type ProjectionManagerOptions } from '../replay/projection-manager';
import { ProjectionsService } from '../projections/projections.service';
import { ProjectionsController } from '../projections/projections.controller';
import type { ProjectionSpec } from '../projections/projection-spec';
import { consumersHealthCheck, HEALTH_CHECK_CONTRIBUTIONS } from './consumer-health';
import { OutboxRelay, type OutboxRelayOptions } from '../outbox/outbox-relay';
import { KafkaBatchTransport } from './kafka-batch.transport';
import type { ConsumerRunnerOptions } from '../consumer/consumer-runner';
import type { UpcasterRegistry } from '../consumer/upcaster-registry';
import { DeadLetterService } from '../dead-letters/dead-letter.service';
import { DEAD_LETTERS_OPS_GUARD, DeadLettersController, DeadLettersOpsGuard } from '../dead-letters/dead-letters.controller';
import { ensureTopics } from '../topics/ensure-topics';
import { PgTransactionRunner, type TransactionRunner } from '../support/sql-executor';
import type { EventingMetrics } from '../support/eventing-metrics';

export interface EventingModuleOptions {
  /** The service's own database (search_path set to its schema). */
  pool: Pool;
  /** Settings of the same database for the relay's dedicated LISTEN connection. */
  connection: ClientConfig;
  kafka: Kafka;
  /** Service name written into every envelope, e.g. "inventory". */
  producer: string;
  /** Empty in production; a test namespace's prefix in tests. */
  topicPrefix?: string;
  registry?: EventRegistry;
  upcasters?: UpcasterRegistry;
  /** Consumer batches run here; defaults to the pool (use TypeOrmTransactionRunner for tx.manager). */
  transactions?: TransactionRunner;
  /** Outbox relay settings, or false in a process role that must not publish. */
  relay?: Omit<OutboxRelayOptions, 'connection' | 'kafka' | 'topicPrefix' | 'registry'> | false;
  /** The service's consumer (handlers are its @EventPattern methods), if it consumes. */
  consumer?: Partial<Omit<ConsumerRunnerOptions, 'kafka' | 'transactions' | 'handleBatch' | 'topics' | 'groupId'>> & { groupId: string; contexts: EventContext[] };
  /** Create the registry's topics at start (idempotent). */
  ensureTopics?: boolean;
  /** How appends wake relays in other processes (a coalesced NOTIFY after commit, on by default;
   *  false: they poll). The relay of this process is woken directly either way (ADR 0207). */
  commitNotify?: EventStoreOptions['commitNotify'];
  /** Appended, published and consumed events, batch durations and consumer lag (no-op by default):
   *  e.g. `createEventingMetrics(registry)` of @ionet/platform. Reaches the store, the relay and
   *  the consumer unless their own settings name other metrics. */
  metrics?: EventingMetrics;
  /** The service's read models: installed in every role, run live in the consumer role, rebuilt
   *  when their version rises, with ops endpoints under /v1/ops/projections (ADR 0211). */
  projections?: ProjectionSpec[];
  /** Whether this process plays the consumer role (SERVICE_ROLES): the live projections and the
   *  consumer transport run only then (default true). */
  runConsumers?: boolean;
  /** Readiness fails while a consumer retries one batch for longer than this (default 60 s). */
  consumerStuckAfterMs?: number;
  /** Consumer settings of the projections' live and rebuild consumers (e.g. more partitions at once). */
  projectionConsumer?: ProjectionManagerOptions['consumer'];
}

export interface EventingModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<string | symbol | Type<unknown>>;
  useFactory: (...args: never[]) => EventingModuleOptions | Promise<EventingModuleOptions>;
  /** Guards GET /v1/ops/dead-letters and POST /v1/ops/dead-letters/:id/redrive (required). */
  opsGuard: Type<CanActivate>;
}

export const EVENTING_OPTIONS = Symbol('EVENTING_OPTIONS');

@Injectable()
export class EventingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(EVENTING_OPTIONS) private readonly options: EventingModuleOptions,
    private readonly relay: OutboxRelay,
    private readonly store: EventStore,
    private readonly projections: ProjectionsService,
  ) {}

  private unsubscribe: (() => void) | undefined;

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.ensureTopics) await ensureTopics(this.options.kafka, { prefix: this.options.topicPrefix });
    if (this.options.relay !== false) {
      this.unsubscribe = this.store.onCommitted(() => this.relay.wake());
      await this.relay.start();
    }
    await this.projections.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projections.stop();
    this.unsubscribe?.();
    await this.relay.stop();
  }
}

/** Wires the event store, the outbox relay (started with the application), the consumer transport
 *  (connect it with `app.connectMicroservice({ strategy: app.get(KafkaBatchTransport) })`) and the
 *  dead-letter ops API. */
@Module({})
export class EventingModule {
  static forRootAsync(options: EventingModuleAsyncOptions): DynamicModule {
    return {
      module: EventingModule,
      global: true,
      imports: options.imports ?? [],
      controllers: [DeadLettersController, ProjectionsController],
      providers: [
        { provide: EVENTING_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: EventStore,
          inject: [EVENTING_OPTIONS],
          useFactory: (o: EventingModuleOptions) => new EventStore({ pool: o.pool, producer: o.producer, registry: o.registry, commitNotify: o.commitNotify, metrics: o.metrics }),
        },
        {
          provide: CommandHandlers,
          inject: [EVENTING_OPTIONS, EventStore],
          useFactory: (o: EventingModuleOptions, store: EventStore) => new CommandHandlers({ store, registry: o.registry, upcasters: o.upcasters }),
        },
        {
          provide: OutboxRelay,
          inject: [EVENTING_OPTIONS],
          useFactory: (o: EventingModuleOptions) =>
            new OutboxRelay({ metrics: o.metrics, ...(o.relay || {}), connection: o.connection, kafka: o.kafka, topicPrefix: o.topicPrefix, registry: o.registry }),
        },
        { provide: DeadLetterService, inject: [EVENTING_OPTIONS], useFactory: (o: EventingModuleOptions) => new DeadLetterService(o.pool) },
        {
          provide: KafkaBatchTransport,
          inject: [EVENTING_OPTIONS, DeadLetterService],
          useFactory: (o: EventingModuleOptions, deadLetters: DeadLetterService) => {
            if (!o.consumer || o.runConsumers === false) return null;
            const { contexts, ...consumer } = o.consumer;
            const transport = new KafkaBatchTransport({
              metrics: o.metrics,
              ...consumer,
              kafka: o.kafka,
              transactions: o.transactions ?? new PgTransactionRunner(o.pool),
              topics: contexts.map((c) => topicName(c, o.topicPrefix)),
              deadLetterTopic: consumer.deadLetterTopic ?? topicName('dlq', o.topicPrefix),
              registry: o.registry,
              upcasters: o.upcasters,
            });
            deadLetters.registerRedriver(transport.consumerRunner);
            return transport;
          },
        },
        {
          provide: ProjectionManager,
          inject: [EVENTING_OPTIONS],
          useFactory: (o: EventingModuleOptions) =>
            new ProjectionManager({
              kafka: o.kafka,
              transactions: new PgTransactionRunner(o.pool),
              deadLetterTopic: topicName('dlq', o.topicPrefix),
              registry: o.registry,
              upcasters: o.upcasters,
              metrics: o.metrics,
              ...(o.projectionConsumer ? { consumer: o.projectionConsumer } : {}),
            }),
        },
        {
          provide: ProjectionsService,
          inject: [EVENTING_OPTIONS, ProjectionManager, DeadLetterService],
          useFactory: (o: EventingModuleOptions, manager: ProjectionManager, deadLetters: DeadLetterService) =>
            new ProjectionsService({ specs: o.projections ?? [], topicPrefix: o.topicPrefix, manager, pool: o.pool, runLive: o.runConsumers !== false, deadLetters }),
        },
        {
          provide: HEALTH_CHECK_CONTRIBUTIONS,
          inject: [EVENTING_OPTIONS, ProjectionsService, KafkaBatchTransport],
          useFactory: (o: EventingModuleOptions, projections: ProjectionsService, transport: KafkaBatchTransport | null) => [
            consumersHealthCheck(() => [...projections.liveRunners(), ...(transport ? [transport.consumerRunner] : [])], o.consumerStuckAfterMs),
          ],
        },
        { provide: DEAD_LETTERS_OPS_GUARD, useClass: options.opsGuard },
        DeadLettersOpsGuard,
        EventingLifecycle,
      ],
      exports: [EventStore, CommandHandlers, OutboxRelay, DeadLetterService, KafkaBatchTransport, ProjectionManager, ProjectionsService, HEALTH_CHECK_CONTRIBUTIONS, EVENTING_OPTIONS],
    };
  }
}
