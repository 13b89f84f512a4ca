import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { IdempotencyKey, PAGE_LIMIT_DEFAULT, PageQueryDto, RequestId, RequireScopes, Caller, type AuthContext } from '@ionet/platform';
import type { SlashReason } from '@ionet/tokenomics';
import { StakingService } from '../../application/staking.service';
import { TokenomicsServiceError } from '../../domain/shared/tokenomics-service.errors';

type Idempotency = { tenantId: string; key: string } | undefined;
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const REASONS = ['spoofed_hardware', 'tampered_data', 'failed_service'] as const;

export class SlashDto {
  @ApiProperty() @IsString() @Matches(ID, { message: 'deviceId is 1 to 64 letters, digits, "_", ".", ":" or "-"' }) deviceId!: string;
  @ApiProperty({ enum: REASONS }) @IsIn(REASONS) reason!: (typeof REASONS)[number];
  @ApiProperty({ description: 'IO base units taken from the stake' })
  @IsString()
  @Matches(/^[1-9][0-9]{0,29}$/, { message: 'amountBaseUnits must be a positive integer string' })
  amountBaseUnits!: string;
  @ApiPropertyOptional({ description: 'The event (or case) the slash rests on' }) @IsOptional() @IsString() @Matches(ID) evidenceEventId?: string;
}

export class ResolveSlashDto {
  @ApiProperty({ description: 'true: the slashed IO returns to its wallets; false: it is burned' }) @IsBoolean() appealWon!: boolean;
}

function slashIdParam(slashId: string): string {
  if (!ID.test(slashId)) throw new TokenomicsServiceError('SLASH.NOT_FOUND', `no slash ${slashId}`);
  return slashId;
}

/** Slashing and appeals (API.md, Token; ADR 0612). */
@ApiTags('token')
@Controller('v1')
export class SlashesController {
  constructor(private readonly staking: StakingService) {}

  @Get('slashes')
  @RequireScopes('supplier', 'ops')
  @ApiOkResponse({ description: "Slashes of the caller's devices (ops: all), newest first" })
  async list(@Caller() caller: AuthContext, @Query() query: PageQueryDto) {
    return this.staking.slashes(caller, query.limit ?? PAGE_LIMIT_DEFAULT, query.cursor);
  }

  /** Ops slash a device's stake; verification's time-lock violations slash on their own. */
  @Post('slashes')
  @RequireScopes('ops')
  @ApiCreatedResponse({ description: 'The slash, open for appeal for a month' })
  async slash(@RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Body() body: SlashDto) {
    return this.staking.slash(requestId, idempotency, body.deviceId, body.reason.toUpperCase() as SlashReason, BigInt(body.amountBaseUnits), body.evidenceEventId);
  }

  @Post('slashes/:slashId/appeal')
  @RequireScopes('supplier', 'ops')
  @ApiCreatedResponse({ description: 'The slash, appealed' })
  async appeal(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Param('slashId') slashId: string) {
    return this.staking.appeal(caller, requestId, idempotency, slashIdParam(slashId));
  }

  @Post('slashes/:slashId/resolve')
  @RequireScopes('ops')
  @ApiCreatedResponse({ description: 'The slash, restored or burned' })
  async resolve(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Param('slashId') slashId: string, @Body() body: ResolveSlashDto) {
    return this.staking.resolve(caller, requestId, idempotency, slashIdParam(slashId), body.appealWon);
  }
}
