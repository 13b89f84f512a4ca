import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import type { ApiKeySummary, IssuedKey, Me, Organization } from '../../application/accounts.service';
import { API_KEY_LABEL_LENGTH_MAX, API_KEY_SCOPES, type ApiKeyScope } from '../../domain/api-key/api-key.decider';
import { ORGANIZATION_KINDS, ORGANIZATION_NAME_LENGTH_MAX, type OrganizationKind } from '../../domain/organization/organization.decider';

export class CreateOrganizationDto {
  @ApiProperty({ example: 'Acme AI', maxLength: ORGANIZATION_NAME_LENGTH_MAX })
  @IsString()
  @Length(1, ORGANIZATION_NAME_LENGTH_MAX)
  name!: string;

  @ApiProperty({ enum: ORGANIZATION_KINDS, description: "Bounds the scopes of the organization's keys: each key carries the scope of the same name" })
  @IsIn(ORGANIZATION_KINDS)
  kind!: OrganizationKind;
}

export class OrganizationDto {
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ORGANIZATION_KINDS }) kind!: OrganizationKind;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static of(o: Organization): OrganizationDto {
    return { ...o, createdAt: o.createdAt.toISOString() };
  }
}

export class IssueApiKeyDto {
  @ApiPropertyOptional({ enum: API_KEY_SCOPES, isArray: true, description: "Default: the organization's kind. Only the scope named like the organization's kind is allowed" })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @IsIn(API_KEY_SCOPES, { each: true })
  scopes?: ApiKeyScope[];

  @ApiPropertyOptional({ maxLength: API_KEY_LABEL_LENGTH_MAX, example: 'ci runner' })
  @IsOptional()
  @IsString()
  @MaxLength(API_KEY_LABEL_LENGTH_MAX)
  label?: string;
}

export class IssuedApiKeyDto {
  @ApiProperty({ format: 'uuid' }) apiKeyId!: string;
  @ApiProperty({ description: 'The key: shown in this answer only. Send it as "Authorization: Bearer <key>"', example: 'ionet_customer_...' })
  key!: string;
  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true }) scopes!: ApiKeyScope[];
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty({ description: 'The first characters of the key, to tell keys apart' }) displayPrefix!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ format: 'date-time' }) issuedAt!: string;

  static of(k: IssuedKey): IssuedApiKeyDto {
    return { ...k, issuedAt: k.issuedAt.toISOString() };
  }
}

export class MeDto {
  @ApiProperty({ description: "The calling key's id ('bootstrap' for the operator's configured key)" }) apiKeyId!: string;
  @ApiProperty({ description: "The caller's tenant: its organization's id ('ops' for the bootstrap key)" }) organizationId!: string;
  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true }) scopes!: string[];
  @ApiProperty({ type: OrganizationDto, nullable: true, description: 'Null for the bootstrap ops key, which belongs to no organization' }) organization!: OrganizationDto | null;

  static of(me: Me): MeDto {
    return { apiKeyId: me.apiKeyId, organizationId: me.organizationId, scopes: me.scopes, organization: me.organization ? OrganizationDto.of(me.organization) : null };
  }
}

export class ApiKeySummaryDto {
  @ApiProperty({ format: 'uuid' }) apiKeyId!: string;
  @ApiProperty({ description: 'The first characters of the key, to tell keys apart' }) displayPrefix!: string;
  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true }) scopes!: string[];
  @ApiProperty() label!: string;
  @ApiProperty({ format: 'date-time' }) issuedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true }) revokedAt!: string | null;

  static of(k: ApiKeySummary): ApiKeySummaryDto {
    return { ...k, issuedAt: k.issuedAt.toISOString(), revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null };
  }
}

export class ApiKeyPageDto {
  @ApiProperty({ type: [ApiKeySummaryDto] }) items!: ApiKeySummaryDto[];
  @ApiPropertyOptional() nextCursor?: string;
}
