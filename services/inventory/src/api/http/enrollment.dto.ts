import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { CONNECTIVITY_TIERS, CPU_CORES_MAX, DEVICE_STATUSES, DISK_GIB_MAX, RAM_MIB_MAX, SECURITY_TIERS, VRAM_MIB_MAX, type ConnectivityTier, type DeviceStatus, type SecurityTier } from '../../domain/device/device.decider';
import { ENROLLMENT_TOKEN_TTL_SECONDS_MAX } from '../../domain/enrollment/enrollment-token.decider';
import type { IssuedToken } from '../../application/enrollment.service';
import { UsdcPriceDto } from './device.dto';

export class DeviceDefaultsDto {
  @ApiPropertyOptional({ type: UsdcPriceDto, description: 'Ask price of the enrolled device; default: the platform default (a supplier changes it with PUT /v1/devices/{id}/price)' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => UsdcPriceDto)
  askPricePerGpuHour?: UsdcPriceDto;

  @ApiPropertyOptional({ enum: CONNECTIVITY_TIERS, description: "Declared tier; default: the tier of the agent's measured bandwidth" })
  @IsOptional()
  @IsIn(CONNECTIVITY_TIERS)
  connectivityTier?: ConnectivityTier;

  @ApiPropertyOptional({ enum: SECURITY_TIERS, description: 'Default: standard' }) @IsOptional() @IsIn(SECURITY_TIERS) securityTier?: SecurityTier;

  @ApiPropertyOptional({ description: "Payout wallet of the enrolled device; default: the supplier's" }) @IsOptional() @IsString() @Length(32, 44) payoutWallet?: string;
}

export class IssueEnrollmentTokenDto {
  @ApiPropertyOptional({ minimum: 60, maximum: ENROLLMENT_TOKEN_TTL_SECONDS_MAX, description: 'Default: ENROLLMENT_TOKEN_TTL_SECONDS (24 h)' })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(ENROLLMENT_TOKEN_TTL_SECONDS_MAX)
  expiresInSeconds?: number;

  @ApiPropertyOptional({ type: DeviceDefaultsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DeviceDefaultsDto)
  deviceDefaults?: DeviceDefaultsDto;
}

export class EnrollmentTokenDto {
  @ApiProperty({ format: 'uuid' }) enrollmentTokenId!: string;
  @ApiProperty({ description: 'Shown once: `ionet-agent join --token <token>`. Single use.', example: 'ionet_enroll_0193..._...' }) token!: string;
  @ApiProperty({ format: 'uuid' }) supplierId!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: DeviceDefaultsDto }) deviceDefaults!: DeviceDefaultsDto;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'The partner device this token enrolls an agent for' }) deviceId!: string | null;

  static of(t: IssuedToken): EnrollmentTokenDto {
    const d = t.deviceDefaults;
    return {
      enrollmentTokenId: t.enrollmentTokenId,
      token: t.token,
      supplierId: t.supplierId,
      expiresAt: t.expiresAt.toISOString(),
      deviceDefaults: {
        ...(d.askPricePerGpuHour ? { askPricePerGpuHour: { amountBaseUnits: d.askPricePerGpuHour.amountBaseUnits.toString(), asset: 'USDC' as const } } : {}),
        ...(d.connectivityTier ? { connectivityTier: d.connectivityTier } : {}),
        ...(d.securityTier ? { securityTier: d.securityTier } : {}),
        ...(d.payoutWallet ? { payoutWallet: d.payoutWallet } : {}),
      },
      deviceId: t.deviceId,
    };
  }
}

export class DetectedGpuDto {
  @ApiProperty({ example: 'NVIDIA H100 80GB HBM3' }) @IsString() @Length(1, 64) model!: string;
  @ApiProperty({ example: 81559 }) @IsInt() @Min(1) @Max(VRAM_MIB_MAX) vramMib!: number;
  @ApiProperty({ example: 'GPU-4a3c...' }) @IsString() @Length(1, 128) uuid!: string;
}

export class ConnectivityDto {
  @ApiProperty() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1_000_000) downloadMbps!: number;
  @ApiProperty() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1_000_000) uploadMbps!: number;
  @ApiProperty({ description: 'Measured by the agent (true) or declared (false)' }) @IsBoolean() measured!: boolean;
}

/** What the agent detected (agent protocol: DeviceSpecReport). */
export class AgentSpecDto {
  @ApiProperty({ type: [DetectedGpuDto], description: 'Empty: a CPU device' })
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => DetectedGpuDto)
  gpus!: DetectedGpuDto[];

  @ApiProperty({ description: 'Declared GPUs (--simulate-gpus); refused unless the platform allows simulated devices' }) @IsBoolean() simulated!: boolean;
  @ApiProperty({ maximum: CPU_CORES_MAX }) @IsInt() @Min(1) @Max(CPU_CORES_MAX) cpuCores!: number;
  @ApiProperty({ maximum: RAM_MIB_MAX }) @IsInt() @Min(1) @Max(RAM_MIB_MAX) ramMib!: number;
  @ApiProperty({ maximum: DISK_GIB_MAX }) @IsInt() @Min(1) @Max(DISK_GIB_MAX) diskGib!: number;
  @ApiProperty({ example: 'DE' }) @Matches(/^[A-Za-z]{2}$/) countryCode!: string;
  @ApiProperty({ example: 'eu-central' }) @IsString() @Length(1, 64) region!: string;

  @ApiProperty({ type: ConnectivityDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ConnectivityDto)
  connectivity!: ConnectivityDto;

  @ApiProperty({ example: '0.1.0' }) @IsString() @Length(1, 64) agentVersion!: string;
  @ApiProperty({ example: 'rig-1' }) @IsString() @Length(1, 253) hostname!: string;
}

export class EnrollDto {
  @ApiProperty({ description: 'The enrollment token from POST /v1/suppliers/{supplierId}/enrollment-tokens' }) @IsString() @Length(1, 200) token!: string;
  @ApiProperty({ description: 'The agent key (base58), the same that signs this request' }) @IsString() @Length(32, 44) publicKey!: string;

  @ApiProperty({ type: AgentSpecDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => AgentSpecDto)
  spec!: AgentSpecDto;
}

export class EnrolledDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ format: 'uuid' }) supplierId!: string;
  @ApiProperty({ enum: DEVICE_STATUSES }) status!: DeviceStatus;
  @ApiProperty() statusReason!: string;
  @ApiProperty({ format: 'date-time', description: "The platform's clock (it may run faster than the wall clock)" }) platformTime!: string;
  @ApiProperty({ description: '1 = real time; 60 = an hour a minute' }) clockRate!: number;
}
