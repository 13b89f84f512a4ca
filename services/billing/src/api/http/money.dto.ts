import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsUuid, PageQueryDto } from '@ionet/platform';
import { ASSETS, type Asset } from '../../domain/money/billing-money';
import { TRANSACTION_TYPES, type TransactionType } from '../../application/money.service';

const BASE_UNITS = /^[1-9][0-9]{0,29}$/;

export class CreateDepositDto {
  @ApiProperty({ format: 'uuid' })
  @IsUuid()
  organizationId!: string;

  @ApiProperty({ enum: ASSETS, description: 'USDC (6 decimals), IO (8) or CREDIT (6; one credit is one US dollar)' })
  @IsIn(ASSETS)
  asset!: Asset;

  @ApiProperty({ description: 'A positive integer of base units, as a decimal string', example: '25000000' })
  @Matches(BASE_UNITS, { message: 'amountBaseUnits must be a positive integer in base units, as a string' })
  amountBaseUnits!: string;

  @ApiPropertyOptional({ description: 'A grant reason, a payment reference', maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  externalReference?: string;
}

export class BalancesQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Ops only: whose balances (default: the caller organization)' })
  @IsOptional()
  @IsUuid()
  organizationId?: string;
}

export class TransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TRANSACTION_TYPES })
  @IsOptional()
  @IsIn(TRANSACTION_TYPES)
  type?: TransactionType;

  @ApiPropertyOptional({ format: 'date-time', description: 'From this instant (inclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Before this instant (exclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Ops only: whose transactions' })
  @IsOptional()
  @IsUuid()
  organizationId?: string;
}

export class InvoicesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Ops only: whose invoices' })
  @IsOptional()
  @IsUuid()
  organizationId?: string;
}

export class PayoutsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "One of the caller's suppliers (ops: any supplier)" })
  @IsOptional()
  @IsUuid()
  supplierId?: string;
}

export class MoneyDto {
  @ApiProperty({ description: 'Base units as a decimal string' }) amountBaseUnits!: string;
  @ApiProperty({ enum: ASSETS }) asset!: Asset;
}

export class BalanceDto {
  @ApiProperty({ enum: ASSETS }) asset!: Asset;
  @ApiProperty({ description: 'Spendable: base units as a decimal string' }) availableBaseUnits!: string;
  @ApiProperty({ description: 'Locked for leases: base units as a decimal string' }) escrowBaseUnits!: string;
}

export class BalancesDto {
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty({ type: [BalanceDto] }) balances!: BalanceDto[];
}

export class DepositDto {
  @ApiProperty({ format: 'uuid' }) depositId!: string;
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty({ enum: ASSETS }) asset!: Asset;
  @ApiProperty() amountBaseUnits!: string;
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
}
