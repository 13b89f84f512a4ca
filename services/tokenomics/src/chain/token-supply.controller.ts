import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '@ionet/platform';
import { ChainExecutor, type TokenSupplyView } from './chain-executor';

@ApiTags('token')
@Controller('v1/token')
export class TokenSupplyController {
  constructor(private readonly executor: ChainExecutor) {}

  /** IO's supply as the books have it (genesis + minted - burned) beside the mint's supply on chain,
   *  with the circulating part (outside the platform's custody) and the 800M cap. Base units as
   *  decimal strings; decimals read from the mint. */
  @Get('supply')
  @RequireScopes('ops', 'supplier', 'customer', 'partner_network')
  @ApiOkResponse({ description: 'IO supply: books and chain side by side' })
  supply(): Promise<TokenSupplyView> {
    return this.executor.supply();
  }
}
