import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { DeliveryAttemptView, DeliveryView, WebhookEndpoint } from '../../application/webhooks.service';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../domain/endpoint/event-types';
import { WEBHOOK_DESCRIPTION_LENGTH_MAX, WEBHOOK_URL_LENGTH_MAX } from '../../domain/endpoint/webhook-endpoint.decider';
import { DELIVERY_ATTEMPTS_MAX } from '../../domain/delivery/retry-schedule';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://hooks.example.com/ionet', maxLength: WEBHOOK_URL_LENGTH_MAX, description: 'https (or http); never a private, loopback or link-local address' })
  @IsString()
  @MaxLength(WEBHOOK_URL_LENGTH_MAX)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, description: 'The event types this endpoint receives' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  eventTypes!: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: WEBHOOK_DESCRIPTION_LENGTH_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(WEBHOOK_DESCRIPTION_LENGTH_MAX)
  description?: string;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' }) webhookEndpointId!: string;
  @ApiProperty() organizationId!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true }) eventTypes!: string[];
  @ApiProperty() description!: string;
  @ApiProperty({ enum: ['active', 'disabled'], description: `disabled: a delivery failed all ${DELIVERY_ATTEMPTS_MAX} attempts (about a day) and nothing reached the endpoint meanwhile` })
  status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true }) disabledAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, description: 'Until then the previous secret signs beside the new one (after a rotation)' })
  previousSecretExpiresAt!: string | null;

  static of(e: WebhookEndpoint): WebhookEndpointDto {
    return { ...e, createdAt: e.createdAt.toISOString(), disabledAt: iso(e.disabledAt), previousSecretExpiresAt: iso(e.previousSecretExpiresAt) };
  }
}

export class CreatedWebhookEndpointDto extends WebhookEndpointDto {
  @ApiProperty({ description: 'The signing secret (Standard Webhooks, whsec_ + base64): shown in this answer only', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret!: string;
}

export class RotatedSecretDto {
  @ApiProperty({ format: 'uuid' }) webhookEndpointId!: string;
  @ApiProperty({ description: 'The new signing secret: shown in this answer only' }) secret!: string;
  @ApiProperty({ format: 'date-time', description: 'Until then deliveries carry a signature with each secret' }) previousSecretExpiresAt!: string;
}

export class WebhookEndpointPageDto {
  @ApiProperty({ type: [WebhookEndpointDto] }) items!: WebhookEndpointDto[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class DeliveryAttemptDto {
  @ApiProperty({ description: 'scheduled.<n> (the n-th attempt of the retry schedule, from 0) or manual.<id> (a redelivery)' }) attempt!: string;
  @ApiProperty({ format: 'date-time' }) attemptedAt!: string;
  @ApiProperty({ nullable: true, description: 'The HTTP status the endpoint answered; null when no answer came' }) statusCode!: number | null;
  @ApiProperty() durationMs!: number;
  @ApiProperty({ nullable: true }) error!: string | null;

  static of(a: DeliveryAttemptView): DeliveryAttemptDto {
    return { ...a, attemptedAt: a.attemptedAt.toISOString() };
  }
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' }) deliveryId!: string;
  @ApiProperty({ description: 'The webhook-id header: the same on every attempt and redelivery' }) webhookId!: string;
  @ApiProperty({ format: 'uuid' }) webhookEndpointId!: string;
  @ApiProperty() eventType!: string;
  @ApiProperty() sourceEventId!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status!: string;
  @ApiProperty({ type: [DeliveryAttemptDto] }) attempts!: DeliveryAttemptDto[];
  @ApiProperty({ nullable: true }) lastStatusCode!: number | null;
  @ApiProperty({ format: 'date-time', nullable: true, description: 'When the next scheduled attempt is due' }) nextAttemptAt!: string | null;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true }) deliveredAt!: string | null;

  static of(d: DeliveryView): DeliveryDto {
    return {
      ...d,
      attempts: d.attempts.map(DeliveryAttemptDto.of),
      nextAttemptAt: iso(d.nextAttemptAt),
      occurredAt: d.occurredAt.toISOString(),
      createdAt: d.createdAt.toISOString(),
      deliveredAt: iso(d.deliveredAt),
    };
  }
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] }) items!: DeliveryDto[];
  @ApiPropertyOptional() nextCursor?: string;
}

export class DeliveryStartedDto {
  @ApiProperty({ format: 'uuid' }) deliveryId!: string;
  @ApiProperty() webhookId!: string;
  @ApiPropertyOptional({ description: 'The attempt queued (redelivery)' }) attempt?: string;
}
