import { Body, Controller, Inject, Param, Post, SetMetadata } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiTags } from '@nestjs/swagger';
import { CLOCK, Caller, IDEMPOTENCY_EXEMPT, IdempotencyKey, ParseUuidPipe, RequestId, RequireScopes, type AuthContext, type Clock } from '@ionet/platform';
import { causedByRequest } from '@ionet/eventing';
import { EnrollmentService } from '../../application/enrollment.service';
import { EnrollmentTokenDto, IssueEnrollmentTokenDto } from './enrollment.dto';

@ApiTags('suppliers')
@Controller('v1/suppliers')
@RequireScopes('ops', 'supplier')
export class EnrollmentTokensController {
  constructor(
    private readonly enrollment: EnrollmentService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A single-use token for `ionet-agent join`, shown once; stored as a hash (ADR 0402). With an
   *  Idempotency-Key a retry appends nothing and answers 409 (the token is never stored to replay). */
  @Post(':supplierId/enrollment-tokens')
  @SetMetadata(IDEMPOTENCY_EXEMPT, true)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key issues one token at most; a retry answers 409' })
  @ApiCreatedResponse({ type: EnrollmentTokenDto })
  async issue(
    @Caller() caller: AuthContext,
    @RequestId() requestId: string,
    @IdempotencyKey() idempotency: { tenantId: string; key: string } | undefined,
    @Param('supplierId', ParseUuidPipe) supplierId: string,
    @Body() body: IssueEnrollmentTokenDto,
  ): Promise<EnrollmentTokenDto> {
    const d = body.deviceDefaults ?? {};
    const issued = await this.enrollment.issue(
      caller,
      supplierId,
      {
        ...(body.expiresInSeconds !== undefined ? { ttlSeconds: body.expiresInSeconds } : {}),
        defaults: {
          askPricePerGpuHour: d.askPricePerGpuHour ? { amountBaseUnits: BigInt(d.askPricePerGpuHour.amountBaseUnits), asset: 'USDC' } : null,
          connectivityTier: d.connectivityTier ?? null,
          securityTier: d.securityTier ?? null,
          payoutWallet: d.payoutWallet ?? null,
        },
        ...(idempotency ? { idempotency } : {}),
      },
      causedByRequest(requestId, idempotency),
      this.clock.now(),
    );
    return EnrollmentTokenDto.of(issued);
  }
}
