import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { PageQueryDto } from '@ionet/platform';
import { ASSETS, type Asset } from '@ionet/ledger';

export class MoneyDto {
  @ApiProperty({ example: '1500000', description: 'Exact base units (decimal string); negative for issuance accounts' }) amountBaseUnits!: string;
  @ApiProperty({ enum: ASSETS }) asset!: Asset;
}

export class AccountBalanceDto {
  @ApiProperty({ enum: ASSETS }) asset!: Asset;
  @ApiProperty() debitsPostedBaseUnits!: string;
  @ApiProperty() creditsPostedBaseUnits!: string;
  @ApiProperty({ type: MoneyDto, description: 'Credits minus debits' }) balance!: MoneyDto;
}

export class AccountDto {
  @ApiProperty({ example: 'customer:0192f0c4-0000-7000-8000-000000000001:available' }) account!: string;
  @ApiProperty({ type: [AccountBalanceDto], description: 'One per asset the account holds' }) balances!: AccountBalanceDto[];
}

export class LegDto {
  @ApiProperty() account!: string;
  @ApiProperty({ enum: ['debit', 'credit'] }) side!: 'debit' | 'credit';
  @ApiProperty({ type: MoneyDto }) amount!: MoneyDto;
}

export class EntryDto {
  @ApiProperty({ format: 'uuid', description: 'Derived from the source event id' }) entryId!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ format: 'uuid' }) sourceEventId!: string;
  @ApiProperty({ example: 'ionet.billing.v1.UsageCharged' }) sourceEventType!: string;
  @ApiProperty() memo!: string;
  @ApiProperty({ type: [LegDto] }) legs!: LegDto[];
}

export class EntryPageDto {
  @ApiProperty({ type: [EntryDto] }) items!: EntryDto[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class EntryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only entries that touch this account' }) @IsOptional() @IsString() @Length(3, 300) account?: string;
}

export class StateHashDto {
  @ApiProperty({ description: 'sha256 (hex) over the sorted non-zero balances, as @ionet/ledger computes it' }) stateHash!: string;
  @ApiProperty() balanceCount!: number;
  @ApiProperty({ description: 'The projection generation serving reads (it grows with each blue/green rebuild)' }) generation!: number;
  @ApiProperty({ format: 'date-time' }) computedAt!: string;
}
