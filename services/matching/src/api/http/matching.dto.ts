import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PageQueryDto } from '@ionet/platform';
import { CLUSTER_TYPES, CONNECTIVITY_TIERS, SECURITY_TIERS, SUPPLY_SOURCES, type ClusterType, type ConnectivityTier, type SecurityTier, type SupplySource } from '../../domain/placement';

const ASSETS = ['USDC', 'IO', 'CREDIT'] as const;
const BASE_UNITS = /^[0-9]{1,30}$/;
const COUNTRY = /^[A-Za-z]{2}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}\*?$/;
/** The largest cluster one request may ask for (Mega-Ray takes what there is). */
export const GPU_COUNT_MAX = 100_000;
export const DURATION_HOURS_MAX = 24 * 365;

export class MoneyDto {
  @ApiProperty({ example: '2000000', description: 'base units, a decimal string' }) @Matches(BASE_UNITS, { message: 'amountBaseUnits must be an integer in base units, as a string' }) amountBaseUnits!: string;
  @ApiProperty({ enum: ASSETS }) @IsIn(ASSETS) asset!: (typeof ASSETS)[number];
}

export class QuoteRequestDto {
  @ApiProperty({ enum: CLUSTER_TYPES }) @IsIn(CLUSTER_TYPES) clusterType!: ClusterType;
  @ApiProperty({ example: 'H100-80GB', description: 'A model, or a class ending in * ("A100*")' }) @IsString() @Matches(MODEL, { message: 'gpuModel must be a model name or a class such as A100*' }) gpuModel!: string;
  @ApiProperty({ minimum: 1, maximum: GPU_COUNT_MAX }) @IsInt() @Min(1) @Max(GPU_COUNT_MAX) gpuCount!: number;
  @ApiPropertyOptional({ type: [String], example: ['DE', 'NL'], description: 'Empty: any country' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(250)
  @Matches(COUNTRY, { each: true, message: 'countryCodes must be ISO 3166-1 alpha-2 codes' })
  countryCodes?: string[];
  @ApiPropertyOptional({ enum: CONNECTIVITY_TIERS, description: 'Minimum; absent: any' }) @IsOptional() @IsIn(CONNECTIVITY_TIERS) connectivityTier?: ConnectivityTier;
  @ApiPropertyOptional({ enum: SECURITY_TIERS, description: 'Minimum; absent: any' }) @IsOptional() @IsIn(SECURITY_TIERS) securityTier?: SecurityTier;
  @ApiPropertyOptional({ enum: SUPPLY_SOURCES, isArray: true, description: 'Empty: any source' }) @IsOptional() @IsArray() @ArrayMaxSize(4) @IsIn(SUPPLY_SOURCES, { each: true }) sources?: SupplySource[];
  @ApiProperty({ minimum: 1, maximum: DURATION_HOURS_MAX }) @IsInt() @Min(1) @Max(DURATION_HOURS_MAX) durationHours!: number;
  @ApiPropertyOptional({ type: MoneyDto, description: 'Per GPU-hour; absent: no cap' }) @IsOptional() @ValidateNested() @Type(() => MoneyDto) maxPricePerGpuHour?: MoneyDto;
  @ApiProperty({ enum: ASSETS }) @IsIn(ASSETS) paymentAsset!: (typeof ASSETS)[number];
}

export class QuoteDeviceDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ format: 'uuid' }) supplierId!: string;
  @ApiProperty({ enum: ['head', 'worker', 'node'] }) role!: string;
  @ApiProperty() gpuCount!: number;
  @ApiProperty({ type: MoneyDto }) pricePerGpuHour!: MoneyDto;
  @ApiProperty() countryCode!: string;
  @ApiProperty() region!: string;
}

export class QuotePriceDto {
  @ApiProperty({ type: MoneyDto }) compute!: MoneyDto;
  @ApiProperty({ type: MoneyDto }) reservationFee!: MoneyDto;
  @ApiProperty({ type: MoneyDto }) paymentFee!: MoneyDto;
  @ApiProperty({ type: MoneyDto }) total!: MoneyDto;
}

export class QuoteDto {
  @ApiProperty({ format: 'uuid' }) quoteId!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ enum: CLUSTER_TYPES }) clusterType!: string;
  @ApiProperty() durationHours!: number;
  @ApiProperty({ type: [QuoteDeviceDto] }) devices!: QuoteDeviceDto[];
  @ApiProperty({ type: QuotePriceDto }) price!: QuotePriceDto;
}

const toList = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : String(value).split(','));

export class HardwareQueryDto {
  @ApiPropertyOptional({ example: 'DE' }) @IsOptional() @Matches(COUNTRY) countryCode?: string;
  @ApiPropertyOptional({ enum: CONNECTIVITY_TIERS }) @IsOptional() @IsIn(CONNECTIVITY_TIERS) connectivityTier?: ConnectivityTier;
  @ApiPropertyOptional({ enum: SECURITY_TIERS }) @IsOptional() @IsIn(SECURITY_TIERS) securityTier?: SecurityTier;
  @ApiPropertyOptional({ enum: SUPPLY_SOURCES }) @IsOptional() @IsIn(SUPPLY_SOURCES) source?: SupplySource;
}

export class OffersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'H100-80GB' }) @IsOptional() @Matches(MODEL) gpuModel?: string;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1024) gpuCountMin?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000_000) vramMibMin?: number;
  @ApiPropertyOptional({ example: 'DE', description: 'One code or a comma list' }) @IsOptional() @Transform(toList) @IsArray() @ArrayMaxSize(250) @Matches(COUNTRY, { each: true }) countryCode?: string[];
  @ApiPropertyOptional({ enum: CONNECTIVITY_TIERS, description: 'Minimum' }) @IsOptional() @IsIn(CONNECTIVITY_TIERS) connectivityTier?: ConnectivityTier;
  @ApiPropertyOptional({ enum: SECURITY_TIERS, description: 'Minimum' }) @IsOptional() @IsIn(SECURITY_TIERS) securityTier?: SecurityTier;
  @ApiPropertyOptional({ enum: SUPPLY_SOURCES, description: 'One source or a comma list' }) @IsOptional() @Transform(toList) @IsArray() @IsIn(SUPPLY_SOURCES, { each: true }) source?: SupplySource[];
  @ApiPropertyOptional({ description: 'USDC base units per GPU-hour' }) @IsOptional() @Matches(BASE_UNITS) maxPricePerGpuHour?: string;
  @ApiPropertyOptional({ description: 'Reputation, 0..10000 basis points' }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(10_000) reliabilityMin?: number;
  @ApiPropertyOptional({ enum: ['price', 'reliability'] }) @IsOptional() @IsIn(['price', 'reliability']) sort?: 'price' | 'reliability';
}

export class OfferDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ format: 'uuid' }) supplierId!: string;
  @ApiProperty() gpuModel!: string;
  @ApiProperty() gpuCount!: number;
  @ApiProperty() vramMib!: number;
  @ApiProperty() countryCode!: string;
  @ApiProperty() region!: string;
  @ApiProperty({ enum: CONNECTIVITY_TIERS }) connectivityTier!: string;
  @ApiProperty({ enum: SECURITY_TIERS }) securityTier!: string;
  @ApiProperty({ enum: SUPPLY_SOURCES }) source!: string;
  @ApiProperty({ type: MoneyDto }) pricePerGpuHour!: MoneyDto;
  @ApiProperty({ description: 'Reputation, 0..10000 basis points' }) reliabilityBps!: number;
  @ApiProperty() simulated!: boolean;
}

export class OfferPageDto {
  @ApiProperty({ type: [OfferDto] }) items!: OfferDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class HardwareDto {
  @ApiProperty() gpuModel!: string;
  @ApiProperty() availableDevices!: number;
  @ApiProperty() availableGpus!: number;
  @ApiProperty({ type: [String] }) countries!: string[];
  @ApiProperty({ type: MoneyDto }) lowestPricePerGpuHour!: MoneyDto;
  @ApiProperty({ type: MoneyDto }) medianPricePerGpuHour!: MoneyDto;
}

export class HardwareListDto {
  @ApiProperty({ type: [HardwareDto] }) items!: HardwareDto[];
}
