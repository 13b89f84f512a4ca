import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DomainError, CONFIG, KAFKA, LOGGER, type Logger } from '@ionet/platform';
import { ConsumerRunner, ProjectionManager, ensureTopics, type ProjectionDefinition, type RebuildProgress, type RebuildResult } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { InventoryConfig } from '../../inventory.config';
import { INVENTORY_CATALOG } from './inventory-catalog.projection';

export const CATALOG_PROJECTION = Symbol('inventory.catalog-projection');

export interface RebuildStatus {
  state: 'idle' | 'running' | 'succeeded' | 'failed';
  startedAt?: string;
  progress?: RebuildProgress;
  result?: Omit<RebuildResult, 'durationMs'> & { durationMs: number };
  error?: string;
}

/** Installs the catalogue's tables and views (every role reads them), runs its live consumer in the
 *  consumer role, and rebuilds it blue/green on an ops request, one rebuild at a time. */
@Injectable()
export class CatalogProjectionRunner implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private live: ConsumerRunner | undefined;
  private rebuildStatus: RebuildStatus = { state: 'idle' };

  constructor(
    private readonly manager: ProjectionManager,
    @Inject(CATALOG_PROJECTION) private readonly definition: ProjectionDefinition,
    @Inject(CONFIG) private readonly config: InventoryConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.manager.install(this.definition);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.SERVICE_ROLES.includes('consumer')) return;
    await ensureTopics(this.kafka, { prefix: this.config.KAFKA_TOPIC_PREFIX });
    this.live = this.manager.liveRunner(this.definition);
    await this.live.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.live?.stop();
  }

  async describe(): Promise<{ name: string; generation: number; stateHash: string; rebuild: RebuildStatus }> {
    return {
      name: INVENTORY_CATALOG,
      generation: await this.manager.currentGeneration(this.definition),
      stateHash: await this.manager.stateHash(this.definition),
      rebuild: this.rebuildStatus,
    };
  }

  /** Starts a rebuild in the background; its progress shows in describe(). */
  startRebuild(at: Date): RebuildStatus {
    if (this.rebuildStatus.state === 'running') throw new DomainError('PROJECTION.REBUILD_IN_PROGRESS', 'A rebuild of this projection is already running.');
    this.rebuildStatus = { state: 'running', startedAt: at.toISOString() };
    void this.manager
      .rebuild(this.definition, {
        onProgress: (progress) => {
          this.rebuildStatus = { ...this.rebuildStatus, progress };
        },
      })
      .then((result) => {
        this.rebuildStatus = { ...this.rebuildStatus, state: 'succeeded', result };
        this.logger.info({ ...result }, 'projection rebuilt');
      })
      .catch((err: Error) => {
        this.rebuildStatus = { ...this.rebuildStatus, state: 'failed', error: err.message };
        this.logger.error({ projection: INVENTORY_CATALOG, err }, 'projection rebuild failed');
      });
    return this.rebuildStatus;
  }
}
