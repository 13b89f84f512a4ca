import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsNumber, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { Caller, IdempotencyKey, PAGE_LIMIT_DEFAULT, PageQueryDto, RequestId, RequireScopes, type AuthContext, type Page } from '@ionet/platform';
import { StakingService, type StakeView } from '../../application/staking.service';
import { TokenomicsServiceError } from '../../domain/shared/tokenomics-service.errors';

type Idempotency = { tenantId: string; key: string } | undefined;
const BASE_UNITS = /^[1-9][0-9]{0,29}$/;
const SOLANA_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;
const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export class StakeDto {
  @ApiProperty() @IsString() @Matches(DEVICE_ID, { message: 'deviceId is 1 to 64 letters, digits, "_", ".", ":" or "-"' }) deviceId!: string;
  @ApiProperty({ description: 'IO base units (8 decimals), a positive integer as a string', example: '1600000000000' })
  @IsString()
  @Matches(BASE_UNITS, { message: 'amountBaseUnits must be a positive integer string' })
  amountBaseUnits!: string;
}

export class UnstakeDto {
  @ApiPropertyOptional({ description: 'IO base units; absent: the whole stake' })
  @IsOptional()
  @IsString()
  @Matches(BASE_UNITS, { message: 'amountBaseUnits must be a positive integer string' })
  amountBaseUnits?: string;
}

export class CoStakeOfferDto {
  @ApiProperty() @IsString() @Matches(DEVICE_ID, { message: 'deviceId is 1 to 64 letters, digits, "_", ".", ":" or "-"' }) deviceId!: string;
  @ApiProperty({ description: "The co-staker's share of the device's rewards, in percent (two decimals at most)", example: 20 })
  @IsNumber({ maxDecimalPlaces: 2 })
  @Min(0.01)
  @Max(100)
  sharePercent!: number;
  @ApiProperty({ description: 'The co-stake asked for, IO base units: at most half of the device stake' })
  @IsString()
  @Matches(BASE_UNITS, { message: 'amountBaseUnits must be a positive integer string' })
  amountBaseUnits!: string;
}

export class AcceptCoStakeOfferDto {
  @ApiProperty({ description: "The co-staker's Solana wallet (base58): where its share of the rewards goes" })
  @IsString()
  @Length(32, 44)
  @Matches(SOLANA_ADDRESS, { message: 'coStakerWallet must be a base58 Solana address' })
  coStakerWallet!: string;
}

/** Staking and co-staking (API.md, Token; ADR 0611). */
@ApiTags('token')
@Controller('v1')
export class StakingController {
  constructor(private readonly staking: StakingService) {}

  /** Stake IO on one of the caller's devices; the first stake must reach the device's minimum
   *  (200 IO x max(1, multiplier) x GPUs). */
  @Post('stakes')
  @RequireScopes('supplier', 'ops')
  @ApiCreatedResponse({ description: "The device owner's stake position after the deposit" })
  async stake(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Body() body: StakeDto): Promise<StakeView> {
    return this.staking.stake(caller, requestId, idempotency, body.deviceId, BigInt(body.amountBaseUnits));
  }

  @Get('stakes')
  @RequireScopes('supplier', 'customer', 'partner_network', 'ops')
  @ApiOkResponse({ description: "The caller's stake positions (ops: all), oldest first" })
  async list(@Caller() caller: AuthContext, @Query() query: PageQueryDto): Promise<Page<StakeView>> {
    return this.staking.list(caller, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  /** Starts the 14-day cooldown of part or all of a stake; refused while the device is leased. */
  @Post('stakes/:stakeId/unstake')
  @RequireScopes('supplier', 'ops')
  @ApiCreatedResponse({ description: 'The unstake and the end of its cooldown' })
  async unstake(
    @Caller() caller: AuthContext,
    @RequestId() requestId: string,
    @IdempotencyKey() idempotency: Idempotency,
    @Param('stakeId', new ParseUUIDPipe({ exceptionFactory: () => new TokenomicsServiceError('STAKE.NOT_FOUND', 'stakeId is not a stake id', 'invalid') })) stakeId: string,
    @Body() body: UnstakeDto,
  ) {
    return this.staking.unstake(caller, requestId, idempotency, stakeId, body.amountBaseUnits === undefined ? undefined : BigInt(body.amountBaseUnits));
  }

  /** The device owner invites one co-staker: at most half of the device stake, for a share of its rewards. */
  @Post('co-stake-offers')
  @RequireScopes('supplier', 'ops')
  @ApiCreatedResponse({ description: 'The open offer' })
  async createOffer(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Body() body: CoStakeOfferDto) {
    return this.staking.createOffer(caller, requestId, idempotency, body.deviceId, Math.round(body.sharePercent * 100), BigInt(body.amountBaseUnits));
  }

  /** A co-staker takes an open offer (at most two offers per wallet). */
  @Post('co-stake-offers/:offerId/accept')
  @RequireScopes('supplier', 'customer', 'partner_network', 'ops')
  @ApiCreatedResponse({ description: 'The offer, now active, and the co-staker position' })
  async acceptOffer(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Param('offerId') offerId: string, @Body() body: AcceptCoStakeOfferDto) {
    if (!DEVICE_ID.test(offerId)) throw new TokenomicsServiceError('COSTAKE.OFFER_NOT_FOUND', `no co-stake offer ${offerId}`);
    return this.staking.acceptOffer(caller, requestId, idempotency, offerId, body.coStakerWallet);
  }
}
