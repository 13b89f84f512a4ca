import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Length, Matches, Max, Min, MaxLength } from 'class-validator';
import { PageQueryDto } from '@ionet/platform';

export const CLUSTER_STATUSES = ['awaiting_payment', 'deploying', 'running', 'completed', 'terminated', 'failed'] as const;

export class CreateClusterDto {
  @ApiProperty({ description: 'A live quote of the caller (POST /v1/quotes)' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[A-Za-z0-9_.:-]+$/)
  quoteId!: string;

  @ApiProperty({ maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ description: 'An OCI image reference', example: 'rayproject/ray:2.9.0-gpu' })
  @IsString()
  @Length(1, 500)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/, { message: 'image must be an image reference (registry/name:tag or @digest)' })
  image!: string;

  @ApiPropertyOptional({ type: [String], maxItems: 100 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  command?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Environment of the containers (at most 100 variables)' })
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;

  @ApiPropertyOptional({ type: [Number], maxItems: 20 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(65_535, { each: true })
  ports?: number[];
}

export class ExtendClusterDto {
  @ApiProperty({ minimum: 1, maximum: 8760 })
  @IsInt()
  @Min(1)
  @Max(8_760)
  hours!: number;
}

export class ClustersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CLUSTER_STATUSES })
  @IsOptional()
  @IsIn(CLUSTER_STATUSES)
  status?: (typeof CLUSTER_STATUSES)[number];
}

export class LogsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'One device of the cluster (default: every device)' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  deviceId?: string;
}

export class ClusterCreatedDto {
  @ApiProperty() clusterId!: string;
  @ApiProperty({ enum: CLUSTER_STATUSES }) status!: string;
}
