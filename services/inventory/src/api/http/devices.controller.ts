import { Body, Controller, Get, Inject, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CLOCK, CONFIG, Caller, IdempotencyKey, ParseUuidPipe, type Clock, PAGE_LIMIT_DEFAULT, RequestId, RequireScopes, type AuthContext } from '@ionet/platform';
import { causedByRequest, newStreamIdFor } from '@ionet/eventing';
import { DevicesService } from '../../application/devices.service';
import { DeviceDto, DevicePageDto, DeviceQueryDto, DeviceStatusChangeDto, PriceSetDto, RegisterDeviceDto, SetPriceDto } from './device.dto';
import { deviceMultiplierBps, type InventoryConfig } from '../../inventory.config';
import type { Device } from '../../application/devices.service';

@ApiTags('devices')
@Controller('v1')
@RequireScopes('ops', 'supplier', 'partner_network')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: InventoryConfig,
  ) {}

  private view(device: Device): DeviceDto {
    return DeviceDto.of(device, deviceMultiplierBps(this.config, device.spec.gpu?.model ?? null));
  }

  /** Registers a device of a supplier; it is pending until verification proves it. */
  @Post('suppliers/:supplierId/devices')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes a retry safe: the same key creates the device once' })
  @ApiCreatedResponse({ type: DeviceDto })
  async register(
    @Caller() caller: AuthContext,
    @RequestId() requestId: string,
    @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined,
    @Param('supplierId', ParseUuidPipe) supplierId: string,
    @Body() body: RegisterDeviceDto,
  ): Promise<DeviceDto> {
    const { askPricePerGpuHour, payoutWallet, agentPublicKey, gpu, ...spec } = body;
    const device = await this.devices.register(
      caller,
      supplierId,
      newStreamIdFor('device', idempotency),
      {
        agentPublicKey,
        spec: { ...spec, gpu: gpu ? { model: gpu.model, vramMib: gpu.vramMib, count: gpu.count } : null },
        askPricePerGpuHourUsdcBaseUnits: BigInt(askPricePerGpuHour.amountBaseUnits),
        ...(payoutWallet ? { payoutWallet } : {}),
      },
      causedByRequest(requestId, idempotency),
      this.clock.now(),
    );
    return this.view(device);
  }

  @Put('devices/:deviceId/price')
  @HttpCode(200)
  @ApiAcceptedResponse({ type: PriceSetDto })
  async setPrice(@Caller() caller: AuthContext, @RequestId() requestId: string, @Param('deviceId', ParseUuidPipe) deviceId: string, @Body() body: SetPriceDto): Promise<PriceSetDto> {
    const result = await this.devices.setPrice(caller, deviceId, BigInt(body.askPricePerGpuHour.amountBaseUnits), causedByRequest(requestId), this.clock.now());
    return { deviceId: result.deviceId, version: result.version.toString(), changed: result.changed };
  }

  /** The supplier takes the device off the market (not while a lease holds it); resume puts it back. */
  @Post('devices/:deviceId/pause')
  @HttpCode(200)
  @ApiOkResponse({ type: DeviceStatusChangeDto })
  async pause(@Caller() caller: AuthContext, @RequestId() requestId: string, @Param('deviceId', ParseUuidPipe) deviceId: string): Promise<DeviceStatusChangeDto> {
    return this.setPaused(caller, requestId, deviceId, true);
  }

  @Post('devices/:deviceId/resume')
  @HttpCode(200)
  @ApiOkResponse({ type: DeviceStatusChangeDto })
  async resume(@Caller() caller: AuthContext, @RequestId() requestId: string, @Param('deviceId', ParseUuidPipe) deviceId: string): Promise<DeviceStatusChangeDto> {
    return this.setPaused(caller, requestId, deviceId, false);
  }

  private async setPaused(caller: AuthContext, requestId: string, deviceId: string, paused: boolean): Promise<DeviceStatusChangeDto> {
    const r = await this.devices.setPaused(caller, deviceId, paused, causedByRequest(requestId), this.clock.now());
    return { deviceId: r.deviceId, status: r.status, statusReason: r.statusReason, version: r.version.toString(), changed: r.changed };
  }

  @Get('devices/:deviceId')
  @ApiOkResponse({ type: DeviceDto })
  async get(@Caller() caller: AuthContext, @Param('deviceId', ParseUuidPipe) deviceId: string): Promise<DeviceDto> {
    return this.view(await this.devices.get(caller, deviceId));
  }

  @Get('devices')
  @ApiOkResponse({ type: DevicePageDto })
  async list(@Caller() caller: AuthContext, @Query() query: DeviceQueryDto): Promise<DevicePageDto> {
    const { limit, cursor, ...filter } = query;
    const page = await this.devices.list(caller, filter, limit ?? PAGE_LIMIT_DEFAULT, cursor);
    return { items: page.items.map((d) => this.view(d)), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }
}
