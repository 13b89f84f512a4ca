import { ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { DeadLettersOpsGuard } from '../dead-letters/dead-letters.controller';
import { EventingError } from '../support/eventing-errors';
import { PROJECTION_ERROR_CODES, ProjectionsService } from './projections.service';

/** Ops: the service's projections (version, generation, state hash, rebuild status) and a
 *  blue/green rebuild, behind the same ops guard as the dead letters. */
@Controller('v1/ops/projections')
@UseGuards(DeadLettersOpsGuard)
export class ProjectionsController {
  constructor(private readonly projections: ProjectionsService) {}

  @Get()
  async list() {
    return { items: await this.projections.list() };
  }

  @Get(':name')
  async status(@Param('name') name: string) {
    return this.projections.status(name).catch(toHttp);
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  async rebuild(@Param('name') name: string) {
    return this.projections.rebuild(name).catch(toHttp);
  }
}

function toHttp(err: unknown): never {
  if (err instanceof EventingError) {
    const body = { code: err.code, detail: err.message };
    if (err.code === PROJECTION_ERROR_CODES.notFound) throw new NotFoundException(body);
    if (err.code === PROJECTION_ERROR_CODES.rebuildInProgress) throw new ConflictException(body);
  }
  throw err;
}
