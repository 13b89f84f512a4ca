import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Equals, IsDefined, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsUuid, PageQueryDto } from '@ionet/platform';
import type { Device } from '../../application/devices.service';
// The edge refuses what the decider would (the same bounds), so no value reaches an event that a
// read model's integer column cannot hold (the cpuCores: 3,000,000,000 poison).
import {
  CONNECTIVITY_TIERS,
  CPU_CORES_MAX,
  DEVICE_CLASSES,
  DEVICE_STATUSES,
  DISK_GIB_MAX,
  GPU_COUNT_MAX,
  RAM_MIB_MAX,
  SECURITY_TIERS,
  VRAM_MIB_MAX,
  type ConnectivityTier,
  type DeviceClass,
  type DeviceStatus,
  type SecurityTier,
} from '../../domain/device/device.decider';
import { multiplierText } from '../../inventory.config';
import { SUPPLIER_SOURCES, type SupplierSource } from '../../domain/supplier/supplier.decider';

const BASE_UNITS = /^[1-9][0-9]{0,29}$/;

export class UsdcPriceDto {
  @ApiProperty({ description: 'USDC base units (6 decimals) per GPU-hour, as a decimal string', example: '1990000' })
  @Matches(BASE_UNITS, { message: 'amountBaseUnits must be a positive integer in base units, as a string' })
  amountBaseUnits!: string;

  @ApiProperty({ enum: ['USDC'] })
  @Equals('USDC')
  asset!: 'USDC';
}

export class GpuDto {
  @ApiProperty({ example: 'H100' }) @IsString() @Length(1, 64) model!: string;
  @ApiProperty({ example: 81920, maximum: VRAM_MIB_MAX }) @IsInt() @Min(1) @Max(VRAM_MIB_MAX) vramMib!: number;
  @ApiProperty({ example: 8, maximum: GPU_COUNT_MAX }) @IsInt() @Min(1) @Max(GPU_COUNT_MAX) count!: number;
}

export class RegisterDeviceDto {
  @ApiProperty({ description: "The worker agent's ed25519 public key (base58)" })
  @IsString()
  @Length(32, 44)
  agentPublicKey!: string;

  @ApiProperty({ enum: DEVICE_CLASSES }) @IsIn(DEVICE_CLASSES) deviceClass!: DeviceClass;

  @ApiPropertyOptional({ type: GpuDto, description: 'Required for GPU devices' })
  @IsOptional()
  @ValidateNested()
  @Type(() => GpuDto)
  gpu?: GpuDto;

  @ApiProperty({ maximum: CPU_CORES_MAX }) @IsInt() @Min(1) @Max(CPU_CORES_MAX) cpuCores!: number;
  @ApiProperty({ maximum: RAM_MIB_MAX }) @IsInt() @Min(1) @Max(RAM_MIB_MAX) ramMib!: number;
  @ApiProperty({ maximum: DISK_GIB_MAX }) @IsInt() @Min(1) @Max(DISK_GIB_MAX) diskGib!: number;
  @ApiProperty({ example: 'DE' }) @Matches(/^[A-Za-z]{2}$/) countryCode!: string;
  @ApiProperty({ example: 'eu-central' }) @IsString() @Length(1, 64) region!: string;
  @ApiProperty({ enum: CONNECTIVITY_TIERS }) @IsIn(CONNECTIVITY_TIERS) connectivityTier!: ConnectivityTier;
  @ApiProperty({ enum: SECURITY_TIERS }) @IsIn(SECURITY_TIERS) securityTier!: SecurityTier;

  @ApiProperty({ type: UsdcPriceDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => UsdcPriceDto)
  askPricePerGpuHour!: UsdcPriceDto;

  @ApiPropertyOptional({ description: "Defaults to the supplier's payout wallet" })
  @IsOptional()
  @IsString()
  @Length(32, 44)
  payoutWallet?: string;
}

export class SetPriceDto {
  @ApiProperty({ type: UsdcPriceDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => UsdcPriceDto)
  askPricePerGpuHour!: UsdcPriceDto;
}

export class DeviceQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUuid() supplierId?: string;
  @ApiPropertyOptional({ enum: DEVICE_STATUSES }) @IsOptional() @IsIn(DEVICE_STATUSES) status?: DeviceStatus;
  @ApiPropertyOptional({ example: 'H100' }) @IsOptional() @IsString() @Length(1, 64) gpuModel?: string;
  @ApiPropertyOptional({ example: 'DE' }) @IsOptional() @Matches(/^[A-Za-z]{2}$/) countryCode?: string;
}

export class DeviceDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ format: 'uuid' }) supplierId!: string;
  @ApiProperty() tenantId!: string;
  @ApiProperty({ enum: DEVICE_CLASSES }) deviceClass!: DeviceClass;
  @ApiPropertyOptional({ type: GpuDto, nullable: true }) gpu!: GpuDto | null;
  @ApiProperty() cpuCores!: number;
  @ApiProperty() ramMib!: number;
  @ApiProperty() diskGib!: number;
  @ApiProperty() countryCode!: string;
  @ApiProperty() region!: string;
  @ApiProperty({ enum: CONNECTIVITY_TIERS }) connectivityTier!: ConnectivityTier;
  @ApiProperty({ enum: SECURITY_TIERS }) securityTier!: SecurityTier;
  @ApiProperty({ enum: SUPPLIER_SOURCES }) source!: SupplierSource;
  @ApiProperty() agentPublicKey!: string;
  @ApiProperty() payoutWallet!: string;
  @ApiProperty({ type: UsdcPriceDto }) askPricePerGpuHour!: UsdcPriceDto;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ description: 'Version of the device stream this view reflects' }) version!: string;
  @ApiProperty({ enum: DEVICE_STATUSES }) status!: DeviceStatus;
  @ApiProperty({ description: 'Why the device has this status, in words a supplier can act on', example: 'pending: waiting for verification (a passed proof of work after the required uptime)' })
  statusReason!: string;
  @ApiProperty({ format: 'date-time', description: 'When the device entered this status' }) statusSince!: string;
  @ApiProperty({ description: 'The GPUs were declared (ionet-agent --simulate-gpus), not detected' }) simulated!: boolean;
  @ApiProperty({ description: 'Reward and stake multiplier of the GPU model (configuration table), as a decimal', example: '10' }) multiplier!: string;
  @ApiProperty({ description: 'The same multiplier in basis points', example: 100000 }) multiplierBps!: number;
  @ApiPropertyOptional({ nullable: true, description: 'The lease holding the device' }) leaseId!: string | null;
  @ApiPropertyOptional({ nullable: true, format: 'uuid' }) enrollmentTokenId!: string | null;
  @ApiPropertyOptional({ nullable: true, example: 'render' }) partnerNetwork!: string | null;
  @ApiPropertyOptional({ nullable: true, description: "The device's id in its partner network" }) partnerExternalId!: string | null;
  @ApiProperty({ description: 'What the agent reported at enrollment', example: { hostname: 'rig-1', agentVersion: '0.1.0', reportedGpuModel: 'NVIDIA H100 80GB HBM3', gpuUuids: ['GPU-...'] } })
  agent!: { hostname: string; agentVersion: string; reportedGpuModel: string; gpuUuids: string[] };

  static of(d: Device, multiplierBps: number): DeviceDto {
    return {
      deviceId: d.deviceId,
      supplierId: d.supplierId,
      tenantId: d.tenantId,
      deviceClass: d.spec.deviceClass,
      gpu: d.spec.gpu,
      cpuCores: d.spec.cpuCores,
      ramMib: d.spec.ramMib,
      diskGib: d.spec.diskGib,
      countryCode: d.spec.countryCode,
      region: d.spec.region,
      connectivityTier: d.spec.connectivityTier,
      securityTier: d.spec.securityTier,
      source: d.source,
      agentPublicKey: d.agentPublicKey,
      payoutWallet: d.payoutWallet,
      askPricePerGpuHour: { amountBaseUnits: d.askPricePerGpuHourUsdcBaseUnits.toString(), asset: 'USDC' },
      registeredAt: d.registeredAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
      version: d.version.toString(),
      status: d.status,
      statusReason: d.statusReason,
      statusSince: d.statusSince.toISOString(),
      simulated: d.simulated,
      multiplier: multiplierText(multiplierBps),
      multiplierBps,
      leaseId: d.leaseId,
      enrollmentTokenId: d.enrollmentTokenId,
      partnerNetwork: d.partner?.network ?? null,
      partnerExternalId: d.partner?.externalId ?? null,
      agent: { hostname: d.agent.hostname, agentVersion: d.agent.agentVersion, reportedGpuModel: d.agent.reportedGpuModel, gpuUuids: d.agent.gpuUuids },
    };
  }
}

export class DeviceStatusChangeDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ enum: DEVICE_STATUSES }) status!: DeviceStatus;
  @ApiProperty() statusReason!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ description: 'False when the device was already so (nothing was appended)' }) changed!: boolean;
}

export class DevicePageDto {
  @ApiProperty({ type: [DeviceDto] }) items!: DeviceDto[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class PriceSetDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty() version!: string;
  @ApiProperty({ description: 'False when the device already had this price (nothing was appended)' }) changed!: boolean;
}
