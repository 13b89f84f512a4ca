import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { DomainError, RequireScopes } from '@ionet/platform';
import { CatalogProjectionRunner } from '../../application/projections/catalog-projection.runner';
import { INVENTORY_CATALOG } from '../../application/projections/inventory-catalog.projection';

/** Ops: inspect the catalogue projection (generation, state hash) and rebuild it blue/green. */
@ApiTags('ops')
@Controller('v1/ops/projections')
@RequireScopes('ops')
export class ProjectionsController {
  constructor(private readonly catalog: CatalogProjectionRunner) {}

  @Get(':name')
  async describe(@Param('name') name: string) {
    this.assertKnown(name);
    return this.catalog.describe();
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  rebuild(@Param('name') name: string) {
    this.assertKnown(name);
    return this.catalog.startRebuild(new Date());
  }

  private assertKnown(name: string): void {
    if (name !== INVENTORY_CATALOG) throw new DomainError('PROJECTION.NOT_FOUND', `No projection ${name}; this service has ${INVENTORY_CATALOG}.`);
  }
}
