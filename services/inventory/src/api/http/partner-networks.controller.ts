import { Body, Controller, Get, Inject, Param, Put, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags, OmitType } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CLOCK, CONFIG, Caller, PAGE_LIMIT_DEFAULT, PageQueryDto, ProblemError, RequestId, RequireScopes, type AuthContext, type Clock } from '@ionet/platform';
import { causedByRequest } from '@ionet/eventing';
import { DEVICE_STATUSES, EXTERNAL_ID_PATTERN, PARTNER_NETWORK_PATTERN, type DeviceStatus } from '../../domain/device/device.decider';
import { PartnerNetworksService } from '../../application/partner-networks.service';
import { deviceMultiplierBps, type InventoryConfig } from '../../inventory.config';
import { DeviceDto, DevicePageDto, RegisterDeviceDto } from './device.dto';
import { EnrollmentTokenDto } from './enrollment.dto';

/** What a partner network declares about one device of its fleet. */
export class PartnerDeviceDto extends OmitType(RegisterDeviceDto, ['agentPublicKey', 'payoutWallet'] as const) {}

export class PartnerDeviceUpsertedDto {
  @ApiProperty({ format: 'uuid' }) deviceId!: string;
  @ApiProperty({ format: 'uuid' }) supplierId!: string;
  @ApiProperty({ example: 'render' }) network!: string;
  @ApiProperty() externalId!: string;
  @ApiProperty({ description: 'True when this call registered the device (answered 201)' }) created!: boolean;
  @ApiProperty({ description: 'False when the device already had this spec and price' }) changed!: boolean;
  @ApiProperty({ enum: DEVICE_STATUSES }) status!: DeviceStatus;
  @ApiProperty() statusReason!: string;
  @ApiProperty() version!: string;
  @ApiPropertyOptional({ type: EnrollmentTokenDto, nullable: true, description: "While no agent has enrolled for the device: a fresh token bound to it, for the partner's agent (`ionet-agent join`)" })
  enrollment!: EnrollmentTokenDto | null;
}

function parsed(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw ProblemError.of('invalid', 'VALIDATION.FAILED', `${what} is malformed`);
  return value;
}

@ApiTags('partner-networks')
@Controller('v1/partner-networks')
@RequireScopes('partner_network')
export class PartnerNetworksController {
  constructor(
    private readonly partners: PartnerNetworksService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: InventoryConfig,
  ) {}

  /** Upserts one device of the caller's partner fleet: 201 when it is new, 200 after. It starts
   *  pending and is verified like any other device, by an agent the partner runs with the token. */
  @Put(':network/devices/:externalId')
  @ApiOkResponse({ type: PartnerDeviceUpsertedDto })
  async upsert(
    @Caller() caller: AuthContext,
    @RequestId() requestId: string,
    @Param('network') network: string,
    @Param('externalId') externalId: string,
    @Body() body: PartnerDeviceDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PartnerDeviceUpsertedDto> {
    const { askPricePerGpuHour, gpu, ...spec } = body;
    const r = await this.partners.upsert(
      caller,
      parsed(network, PARTNER_NETWORK_PATTERN, 'network'),
      parsed(externalId, EXTERNAL_ID_PATTERN, 'externalId'),
      { spec: { ...spec, gpu: gpu ? { model: gpu.model, vramMib: gpu.vramMib, count: gpu.count } : null }, askPricePerGpuHour: { amountBaseUnits: BigInt(askPricePerGpuHour.amountBaseUnits), asset: 'USDC' } },
      causedByRequest(requestId),
      this.clock.now(),
    );
    void reply.status(r.created ? 201 : 200);
    return { ...r, version: r.version.toString(), enrollment: r.enrollment ? EnrollmentTokenDto.of(r.enrollment) : null };
  }

  @Get(':network/devices')
  @ApiOkResponse({ type: DevicePageDto })
  async list(@Caller() caller: AuthContext, @Param('network') network: string, @Query() page: PageQueryDto): Promise<DevicePageDto> {
    const result = await this.partners.list(caller, parsed(network, PARTNER_NETWORK_PATTERN, 'network'), page.limit ?? PAGE_LIMIT_DEFAULT, page.cursor);
    return {
      items: result.items.map((d) => DeviceDto.of(d, deviceMultiplierBps(this.config, d.spec.gpu?.model ?? null))),
      ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}),
    };
  }
}
