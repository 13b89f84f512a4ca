import { Body, Controller, Get, Inject, Post, SetMetadata } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AgentAuthenticated, AgentCaller, CLOCK, CONFIG, IDEMPOTENCY_EXEMPT, RequestId, type AgentContext, type Clock } from '@ionet/platform';
import { causedByRequest } from '@ionet/eventing';
import { DevicesService } from '../../application/devices.service';
import { EnrollmentService } from '../../application/enrollment.service';
import { deviceMultiplierBps, type InventoryConfig } from '../../inventory.config';
import { DeviceDto } from './device.dto';
import { EnrollDto, EnrolledDto } from './enrollment.dto';

export class AgentDeviceDto extends DeviceDto {
  @ApiProperty({ format: 'date-time' }) platformTime!: string;
  @ApiProperty() clockRate!: number;
}

/** The worker agent's two inventory paths, signed with its ed25519 key, never an API key (ADR 0400). */
@ApiTags('agent')
@Controller('v1/agent')
@AgentAuthenticated()
export class AgentController {
  constructor(
    private readonly enrollment: EnrollmentService,
    private readonly devices: DevicesService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: InventoryConfig,
  ) {}

  /** Redeems a single-use enrollment token and registers the agent's device (pending until verified). */
  @Post('enroll')
  // Idempotent by itself: the same key with the same token gets the same device.
  @SetMetadata(IDEMPOTENCY_EXEMPT, true)
  @ApiCreatedResponse({ type: EnrolledDto })
  async enroll(@AgentCaller() agent: AgentContext, @RequestId() requestId: string, @Body() body: EnrollDto): Promise<EnrolledDto> {
    const now = this.clock.now();
    const enrolled = await this.enrollment.enroll(agent.address, body, causedByRequest(requestId), now);
    return { ...enrolled, platformTime: now.toISOString(), clockRate: this.config.CLOCK_RATE };
  }

  /** The device as the platform sees it: status, why, since when (`ionet-agent status`). */
  @Get('device')
  @ApiOkResponse({ type: AgentDeviceDto })
  async device(@AgentCaller() agent: AgentContext): Promise<AgentDeviceDto> {
    const device = await this.devices.getByAgentKey(agent.address);
    const view = DeviceDto.of(device, deviceMultiplierBps(this.config, device.spec.gpu?.model ?? null));
    return { ...view, platformTime: this.clock.now().toISOString(), clockRate: this.config.CLOCK_RATE };
  }
}
