import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Logger, type ServiceDefinition } from '@ionet/platform';
import type { Registry } from 'prom-client';
import { SuppliersController } from './api/http/suppliers.controller';
import { SuppliersService } from './application/suppliers.service';
import { inventoryConfigSchema, type InventoryConfig } from './inventory.config';
import { INVENTORY_MIGRATIONS } from './infrastructure/persistence/migrations';
import { SupplierEntity } from './infrastructure/persistence/supplier.entity';

@Module({})
export class InventoryModule {
  static forRoot(config: InventoryConfig, platform: { logger: Logger; metrics: Registry }): DynamicModule {
    return {
      module: InventoryModule,
      imports: [
        PlatformModule.forRoot({
          config,
          ...platform,
          entities: [SupplierEntity],
          migrations: INVENTORY_MIGRATIONS,
        }),
      ],
      controllers: [SuppliersController],
      providers: [SuppliersService],
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
};
