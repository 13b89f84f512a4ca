import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { causedByRequest, newStreamIdFor } from '@ionet/eventing';
import { Caller, IdempotencyKey, PAGE_LIMIT_DEFAULT, PageQueryDto, ProblemError, RequestId, RequireScopes, type AuthContext } from '@ionet/platform';
import { WebhooksService } from '../../application/webhooks.service';
import {
  CreatedWebhookEndpointDto,
  CreateWebhookEndpointDto,
  DeliveryDto,
  DeliveryPageDto,
  DeliveryStartedDto,
  RotatedSecretDto,
  WebhookEndpointDto,
  WebhookEndpointPageDto,
} from './webhooks.dto';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => ProblemError.of('invalid', 'REQUEST.INVALID_ID', 'The id must be a UUID.'),
});

type Idempotency = { tenantId: string; key: string } | undefined;

@ApiTags('webhooks')
@Controller('v1')
@RequireScopes('customer', 'supplier', 'partner_network', 'ops')
export class WebhooksController {
  constructor(@Inject(WebhooksService) private readonly webhooks: WebhooksService) {}

  @Post('webhook-endpoints')
  @ApiCreatedResponse({ type: CreatedWebhookEndpointDto, description: "The endpoint and its signing secret (shown once). A retry with the same Idempotency-Key answers the same" })
  async create(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Body() body: CreateWebhookEndpointDto): Promise<CreatedWebhookEndpointDto> {
    const id = newStreamIdFor('webhook_endpoint', idempotency);
    const created = await this.webhooks.createEndpoint(caller, id, body, causedByRequest(requestId, idempotency));
    return { ...WebhookEndpointDto.of(created), secret: created.secret };
  }

  @Get('webhook-endpoints')
  @ApiOkResponse({ type: WebhookEndpointPageDto, description: "The caller's organization's endpoints, oldest first (ops: every organization's)" })
  async list(@Caller() caller: AuthContext, @Query() page: PageQueryDto): Promise<WebhookEndpointPageDto> {
    const result = await this.webhooks.listEndpoints(caller, page.limit ?? PAGE_LIMIT_DEFAULT, page.cursor);
    return { items: result.items.map(WebhookEndpointDto.of), ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) };
  }

  @Get('webhook-endpoints/:webhookEndpointId')
  @ApiOkResponse({ type: WebhookEndpointDto })
  async get(@Caller() caller: AuthContext, @Param('webhookEndpointId', uuid) id: string): Promise<WebhookEndpointDto> {
    return WebhookEndpointDto.of(await this.webhooks.getEndpoint(caller, id));
  }

  @Delete('webhook-endpoints/:webhookEndpointId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted (or already deleted): it receives nothing more, its pending deliveries end as failed' })
  async delete(@Caller() caller: AuthContext, @RequestId() requestId: string, @Param('webhookEndpointId', uuid) id: string): Promise<void> {
    await this.webhooks.deleteEndpoint(caller, id, causedByRequest(requestId));
  }

  @Post('webhook-endpoints/:webhookEndpointId/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: RotatedSecretDto, description: 'A new secret; the previous one keeps signing beside it until previousSecretExpiresAt (24 h by default)' })
  async rotate(@Caller() caller: AuthContext, @RequestId() requestId: string, @IdempotencyKey() idempotency: Idempotency, @Param('webhookEndpointId', uuid) id: string): Promise<RotatedSecretDto> {
    const rotated = await this.webhooks.rotateSecret(caller, id, causedByRequest(requestId, idempotency));
    return { ...rotated, previousSecretExpiresAt: rotated.previousSecretExpiresAt.toISOString() };
  }

  @Post('webhook-endpoints/:webhookEndpointId/test')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryStartedDto, description: 'A webhook.test delivery, sent now and retried like any other' })
  async test(@Caller() caller: AuthContext, @IdempotencyKey() idempotency: Idempotency, @Param('webhookEndpointId', uuid) id: string): Promise<DeliveryStartedDto> {
    return this.webhooks.sendTest(caller, id, idempotency);
  }

  @Get('webhook-endpoints/:webhookEndpointId/deliveries')
  @ApiOkResponse({ type: DeliveryPageDto, description: 'Newest first: each delivery with its attempts, status codes and next retry' })
  async deliveries(@Caller() caller: AuthContext, @Param('webhookEndpointId', uuid) id: string, @Query() page: PageQueryDto): Promise<DeliveryPageDto> {
    const result = await this.webhooks.listDeliveries(caller, id, page.limit ?? PAGE_LIMIT_DEFAULT, page.cursor);
    return { items: result.items.map(DeliveryDto.of), ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) };
  }

  @Post('webhook-deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryStartedDto, description: 'One more attempt now, with the same webhook-id and body' })
  async redeliver(@Caller() caller: AuthContext, @IdempotencyKey() idempotency: Idempotency, @Param('deliveryId', uuid) id: string): Promise<DeliveryStartedDto> {
    return this.webhooks.redeliver(caller, id, idempotency);
  }
}
