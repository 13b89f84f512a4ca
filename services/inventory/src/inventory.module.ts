import { Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, createEventingMetrics, KAFKA, METRICS_REGISTRY, OpsScopeGuard, PG_POOL, PlatformModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import { EventingModule } from '@ionet/eventing';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { DevicesController } from './api/http/devices.controller';
import { AgentController } from './api/http/agent.controller';
import { EnrollmentTokensController } from './api/http/enrollment.controller';
import { PartnerNetworksController } from './api/http/partner-networks.controller';
import { EnrollmentService } from './application/enrollment.service';
import { PartnerNetworksService } from './application/partner-networks.service';
import { SuppliersController } from './api/http/suppliers.controller';
import { inventoryFastReads } from './api/http/fast-reads';
import { DevicesService } from './application/devices.service';
import { DeviceLifecycleConsumer } from './application/consumers/device-lifecycle.consumer';
import { inventoryCatalogProjection } from './application/projections/inventory-catalog.projection';
import { SuppliersService } from './application/suppliers.service';
import { inventoryConfigSchema, type InventoryConfig } from './inventory.config';
import { INVENTORY_MIGRATIONS } from './infrastructure/persistence/migrations';

@Module({})
export class InventoryModule {
  static forRoot(config: InventoryConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: InventoryModule,
      imports: [
        PlatformModule.forRoot({ config, ...platform, entities: [], migrations: INVENTORY_MIGRATIONS }),
        EventingModule.forRootAsync({
          inject: [PG_POOL, KAFKA, CONFIG, METRICS_REGISTRY],
          opsGuard: OpsScopeGuard,
          useFactory: (pool: Pool, kafka: Kafka, c: InventoryConfig, registry: Registry) => ({
            pool,
            connection: pool.options,
            kafka,
            producer: 'inventory',
            topicPrefix: c.KAFKA_TOPIC_PREFIX,
            ensureTopics: true,
            runConsumers: c.SERVICE_ROLES.includes('consumer'),
            relay: c.SERVICE_ROLES.includes('consumer') ? {} : false,
            metrics: createEventingMetrics(registry),
            projections: [inventoryCatalogProjection],
            consumer: { groupId: `${c.KAFKA_TOPIC_PREFIX}inventory.lifecycle`, contexts: ['verification', 'leasing'] },
          }),
        }),
      ],
      controllers: [SuppliersController, DevicesController, EnrollmentTokensController, AgentController, PartnerNetworksController, DeviceLifecycleConsumer],
      providers: [SuppliersService, DevicesService, EnrollmentService, PartnerNetworksService],
    };
  }
}

export const inventoryService: ServiceDefinition<InventoryConfig> = {
  configSchema: inventoryConfigSchema,
  module: (config, platform) => InventoryModule.forRoot(config, platform),
  openApi: {
    title: 'ionet inventory',
    description: 'Suppliers, devices (GPUs, specs, region, source, ask price) and listing state.',
    version: '1',
  },
  fastReads: inventoryFastReads,
};
