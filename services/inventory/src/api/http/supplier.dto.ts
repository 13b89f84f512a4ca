import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { Supplier } from '../../application/suppliers.service';
import { PARTNER_NETWORKS, SUPPLIER_NAME_LENGTH_MAX, SUPPLIER_SOURCES, type PartnerNetwork, type SupplierSource } from '../../domain/supplier/supplier.decider';

export class RegisterSupplierDto {
  @ApiProperty({ example: 'North Ridge Mining', maxLength: SUPPLIER_NAME_LENGTH_MAX })
  @IsString()
  @Length(1, SUPPLIER_NAME_LENGTH_MAX)
  name!: string;

  @ApiProperty({ enum: SUPPLIER_SOURCES })
  @IsIn(SUPPLIER_SOURCES)
  source!: SupplierSource;

  @ApiPropertyOptional({ enum: PARTNER_NETWORKS, description: 'Required when source is partner_network' })
  @IsOptional()
  @IsIn(PARTNER_NETWORKS)
  partnerNetwork?: PartnerNetwork;

  @ApiPropertyOptional({ description: 'Solana address (base58) that receives payouts' })
  @IsOptional()
  @IsString()
  @Length(32, 44)
  payoutWallet?: string;

  @ApiPropertyOptional({ description: 'Ops only: the tenant to register for' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  tenantId?: string;
}

export class SupplierDto {
  @ApiProperty({ format: 'uuid' }) supplierId!: string;
  @ApiProperty() tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: SUPPLIER_SOURCES }) source!: SupplierSource;
  @ApiProperty({ enum: PARTNER_NETWORKS, nullable: true }) partnerNetwork!: PartnerNetwork | null;
  @ApiProperty({ nullable: true }) payoutWallet!: string | null;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;

  static of(s: Supplier): SupplierDto {
    return { ...s, registeredAt: s.registeredAt.toISOString() };
  }
}

export class SupplierPageDto {
  @ApiProperty({ type: [SupplierDto] }) items!: SupplierDto[];
  @ApiPropertyOptional() nextCursor?: string;
}
