import { Body, Controller, Get, Inject, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CLOCK, Caller, IdempotencyKey, ParseUuidPipe, type Clock, PAGE_LIMIT_DEFAULT, RequestId, RequireScopes, type AuthContext } from '@ionet/platform';
import { causedByRequest, newStreamIdFor } from '@ionet/eventing';
import { DevicesService } from '../../application/devices.service';
import { DeviceDto, DevicePageDto, DeviceQueryDto, PriceSetDto, RegisterDeviceDto, SetPriceDto } from './device.dto';

@ApiTags('devices')
@Controller('v1')
@RequireScopes('ops', 'supplier')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

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
    return DeviceDto.of(device);
  }

  @Put('devices/:deviceId/price')
  @HttpCode(200)
  @ApiAcceptedResponse({ type: PriceSetDto })
  async setPrice(@Caller() caller: AuthContext, @RequestId() requestId: string, @Param('deviceId', ParseUuidPipe) deviceId: string, @Body() body: SetPriceDto): Promise<PriceSetDto> {
    const result = await this.devices.setPrice(caller, deviceId, BigInt(body.askPricePerGpuHour.amountBaseUnits), causedByRequest(requestId), this.clock.now());
    return { deviceId: result.deviceId, version: result.version.toString(), changed: result.changed };
  }

  @Get('devices/:deviceId')
  @ApiOkResponse({ type: DeviceDto })
  async get(@Caller() caller: AuthContext, @Param('deviceId', ParseUuidPipe) deviceId: string): Promise<DeviceDto> {
    return DeviceDto.of(await this.devices.get(caller, deviceId));
  }

  @Get('devices')
  @ApiOkResponse({ type: DevicePageDto })
  async list(@Caller() caller: AuthContext, @Query() query: DeviceQueryDto): Promise<DevicePageDto> {
    const { limit, cursor, ...filter } = query;
    const page = await this.devices.list(caller, filter, limit ?? PAGE_LIMIT_DEFAULT, cursor);
    return { items: page.items.map(DeviceDto.of), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }
}
