import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '@ionet/platform';
import { EMISSION_EPOCHS } from '@ionet/tokenomics';
import { EpochQueries, type EpochView } from '../../application/epoch-queries';
import { TokenomicsServiceError } from '../../domain/shared/tokenomics-service.errors';

export function epochParam(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > EMISSION_EPOCHS) {
    throw new TokenomicsServiceError('EPOCH.INVALID', `epoch must be an integer from 1 to ${EMISSION_EPOCHS}`, 'invalid');
  }
  return Number(text);
}

@ApiTags('token')
@Controller('v1')
export class EpochsController {
  constructor(private readonly queries: EpochQueries) {}

  /** A closed epoch: its emission, the GPU and CPU pools, every allocation, the reserve, and the
   *  heartbeat Merkle root verification committed for the hour (with its chain transaction). */
  @Get('epochs/:epoch')
  @RequireScopes('ops', 'supplier', 'customer', 'partner_network')
  @ApiOkResponse({ description: 'The epoch' })
  async epoch(@Param('epoch') epoch: string): Promise<EpochView> {
    return this.queries.epoch(epochParam(epoch));
  }
}
