import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Caller, ParseUuidPipe, RequireScopes, type AuthContext } from '@ionet/platform';
import { VerificationError } from '../../domain/shared/verification.errors';
import { VerificationQueries } from '../../application/verification-queries.service';

const LEASE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

function integerParam(name: string, text: string | undefined, max: number): number {
  if (text === undefined || !/^\d{1,9}$/.test(text) || Number(text) > max) throw new VerificationError('VERIFICATION.QUERY_INVALID', `${name} must be an integer from 0 to ${max}`, {}, 'invalid');
  return Number(text);
}

@ApiTags('proofs')
@Controller('v1')
export class ProofsController {
  constructor(private readonly queries: VerificationQueries) {}

  /** A lease-hour's heartbeat chain per device, its verdict, and the Merkle proof of the chain's
   *  last heartbeat against the epoch root (algorithm in ADR 0413). The lease's customer, the
   *  devices' suppliers and ops may read it. */
  @Get('proofs/lease-hours/:leaseId/:hour')
  @RequireScopes('ops', 'supplier', 'customer', 'partner_network')
  @ApiOkResponse({ description: 'The lease-hour proof' })
  async leaseHour(@Caller() caller: AuthContext, @Param('leaseId') leaseId: string, @Param('hour') hour: string) {
    if (!LEASE_ID.test(leaseId)) throw new VerificationError('VERIFICATION.QUERY_INVALID', 'leaseId is 1 to 64 letters, digits, "_", ".", ":" or "-"', {}, 'invalid');
    return this.queries.leaseHourProof(caller, leaseId, integerParam('hour', hour, 1_000_000));
  }

  /** Each eligibility rule's verdict for one ended epoch (hour) of a device: uptime, stake, wallet,
   *  multiplier, tier, proof of work. Stake and reward stay "unknown until tokenomics". */
  @Get('devices/:deviceId/eligibility')
  @RequireScopes('ops', 'supplier')
  @ApiOkResponse({ description: 'The eligibility verdicts' })
  async eligibility(@Caller() caller: AuthContext, @Param('deviceId', ParseUuidPipe) deviceId: string, @Query('epoch') epoch: string | undefined) {
    return this.queries.eligibility(caller, deviceId, integerParam('epoch', epoch, 1_000_000_000));
  }
}
