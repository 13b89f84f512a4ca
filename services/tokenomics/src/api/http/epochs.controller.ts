import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { PAGE_LIMIT_DEFAULT, PageQueryDto, RequireScopes, type Page } from '@ionet/platform';
import { EMISSION_EPOCHS } from '@ionet/tokenomics';
import { EpochQueries, type EpochView, type RewardView } from '../../application/epoch-queries';
import { TokenomicsServiceError } from '../../domain/shared/tokenomics-service.errors';

export function epochParam(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1 || Number(text) > EMISSION_EPOCHS) {
    throw new TokenomicsServiceError('EPOCH.INVALID', `epoch must be an integer from 1 to ${EMISSION_EPOCHS}`, 'invalid');
  }
  return Number(text);
}

export class RewardQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'The Solana wallet (base58) the rewards were allocated to' })
  @IsString()
  @Length(32, 44)
  @Matches(/^[1-9A-HJ-NP-Za-km-z]+$/, { message: 'wallet must be a base58 Solana address' })
  wallet!: string;
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

  /** A wallet's block rewards per epoch and device, newest first: a supplier's payout wallet or a
   *  co-staker's. Rewards are public on chain, so any key may read any wallet's. */
  @Get('rewards')
  @RequireScopes('ops', 'supplier', 'customer', 'partner_network')
  @ApiOkResponse({ description: 'A page of rewards' })
  async rewards(@Query() query: RewardQueryDto): Promise<Page<RewardView>> {
    return this.queries.rewards(query.wallet, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }
}
