import { Inject, Injectable } from '@nestjs/common';
import { isCodedError } from '@ionet/errors';
import type { DomainOf, EventMetadata, leasingV1 } from '@ionet/contracts';
import { causedByEvent, CommandHandlers, ContractViolation, derivedId, type CommandCause, type SqlExecutor } from '@ionet/eventing';
import { CLOCK, JobQueues, type Clock } from '@ionet/platform';
import type { TokenomicsParameters } from '@ionet/tokenomics';
import type { LeaseEscrowCommand, LeaseEscrowEvent } from '../domain/escrow/lease-escrow.decider';
import { assetOf, type Asset } from '../domain/money/billing-money';
import { IoPriceOracle } from '../infrastructure/oracle/io-price-oracle';
import { ExpireFundingJob, type FundingExpiry } from '../infrastructure/queues/expire-funding.job';
import { leaseEscrowAggregate } from './billing-aggregates';
import { lockBalance, recordMoneyEvents } from './money-store';

export const TOKENOMICS_PARAMETERS = Symbol('billing.tokenomics-parameters');

/** Deferred fundings a single deposit tries at most (oldest first); the rest wait for the next one. */
export const FUNDINGS_PER_DEPOSIT_MAX = 100;

type Wire<T> = DomainOf<T>;

/**
 * Billing's side of a lease: leasing's facts (consumed in the batch's transaction) become escrow
 * decisions on the lease's stream, their money applied to the balances in the same transaction.
 * A refusal of the domain (an hour of a lease never funded, say) is a contract violation of the
 * event: it is dead-lettered, never retried forever.
 */
@Injectable()
export class EscrowService implements FundingExpiry {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly jobs: JobQueues,
    private readonly oracle: IoPriceOracle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TOKENOMICS_PARAMETERS) private readonly parameters: TokenomicsParameters,
  ) {}

  async onLeaseCreated(e: Wire<leasingV1.LeaseCreated>, metadata: EventMetadata, tx: SqlExecutor): Promise<void> {
    const asset = assetOf(e.paymentAsset.toUpperCase());
    const ioPriceUsdMicros = asset === 'IO' ? (await this.oracle.current()).usdMicrosPerIo : 0n;
    await this.openFunding(tx, causedByEvent(metadata), {
      fundingId: e.leaseId,
      creation: true,
      leaseId: e.leaseId,
      customerId: e.customerId,
      asset,
      slots: e.slots.map((s) => ({ deviceId: s.deviceId, supplierId: s.supplierId, gpuCount: s.gpuCount, pricePerGpuHour: { amountBaseUnits: s.pricePerGpuHour!.amountBaseUnits, asset: assetOf(s.pricePerGpuHour!.asset) } })),
      hours: e.durationHours,
      ioPriceUsdMicros,
      deadline: new Date(e.createdAt!.getTime() + this.parameters.quoteHoldMs),
      sourceEventId: metadata.eventId,
    });
  }

  async onLeaseExtended(e: Wire<leasingV1.LeaseExtended>, metadata: EventMetadata, tx: SqlExecutor): Promise<void> {
    const lease = await this.handlers.for(leaseEscrowAggregate).load(e.leaseId, tx);
    if (lease.state.status === 'absent') throw new ContractViolation(`lease ${e.leaseId} was extended before billing saw it created`, 'BILLING.LEASE_NOT_FOUND');
    await this.openFunding(tx, causedByEvent(metadata), {
      fundingId: derivedId('lease-extension', metadata.eventId),
      creation: false,
      leaseId: e.leaseId,
      customerId: lease.state.customerId,
      asset: lease.state.asset,
      slots: [],
      hours: e.additionalHours,
      ioPriceUsdMicros: lease.state.ioPriceUsdMicros,
      deadline: new Date(e.extendedAt!.getTime() + this.parameters.quoteHoldMs),
      sourceEventId: metadata.eventId,
    });
  }

  async onLeaseHourCompleted(e: Wire<leasingV1.LeaseHourCompleted>, metadata: EventMetadata, tx: SqlExecutor): Promise<void> {
    const price = e.pricePerGpuHour!;
    // Never guessed: an hour without its outcome is neither charged nor refunded (dead letter).
    if (e.outcome !== 'proven' && e.outcome !== 'unproven') throw new ContractViolation(`LeaseHourCompleted of lease ${e.leaseId} carries no outcome`, 'CONTRACT.MISSING_FIELD');
    const outcome = e.outcome;
    const decided = await this.decide(tx, e.leaseId, causedByEvent(metadata), {
      type: 'SettleHour',
      settlementId: derivedId('lease-hour', e.leaseId, e.deviceId, String(e.hourIndex)),
      leaseId: e.leaseId,
      deviceId: e.deviceId,
      supplierId: e.supplierId,
      hourIndex: e.hourIndex,
      gpuCount: e.gpuCount,
      pricePerGpuHour: { amountBaseUnits: price.amountBaseUnits, asset: assetOf(price.asset) },
      outcome,
      hourStart: e.hourStart!,
      hourEnd: e.hourEnd!,
      parameters: this.parameters,
      sourceEventId: metadata.eventId,
      at: this.clock.now(),
    });
    await this.afterAvailableRose(tx, decided, causedByEvent(metadata));
  }

  async onLeaseTerminated(e: Wire<leasingV1.LeaseTerminated>, metadata: EventMetadata, tx: SqlExecutor): Promise<void> {
    const decided = await this.decide(tx, e.leaseId, causedByEvent(metadata), {
      type: 'Terminate',
      leaseId: e.leaseId,
      hoursUsed: e.hoursUsed,
      terminationReason: e.reason,
      parameters: this.parameters,
      ids: {
        refundId: derivedId('termination-refund', e.leaseId),
        feeId: derivedId('termination-fees', e.leaseId),
        minimumId: derivedId('termination-minimum', e.leaseId),
        releaseId: derivedId('termination-release', e.leaseId),
      },
      sourceEventId: metadata.eventId,
      at: this.clock.now(),
    });
    await this.afterAvailableRose(tx, decided, causedByEvent(metadata));
  }

  /** Fundings of the organization waiting in `asset`, oldest first, each locked if the balance now
   *  covers it. Called in the transaction that raised the balance. */
  async fundWaiting(tx: SqlExecutor, organizationId: string, asset: Asset, cause: CommandCause): Promise<void> {
    const at = this.clock.now();
    const { rows } = await tx.query<{ funding_id: string; lease_id: string }>(
      `select funding_id, lease_id from escrow_fundings where organization_id = $1 and asset = $2 and status = 'deferred' and deadline > $3
        order by created_at, funding_id limit $4`,
      [organizationId, asset, at, FUNDINGS_PER_DEPOSIT_MAX],
    );
    for (const row of rows) {
      const { availableBaseUnits } = await lockBalance(tx, organizationId, asset, at);
      await this.decide(tx, row.lease_id, cause, { type: 'FundFromBalance', fundingId: row.funding_id, availableBaseUnits, sourceEventId: cause.causationId, at });
    }
  }

  /** The expiry job: fails the funding if it still waits once its deadline has passed. Returns
   *  false when the job ran before the deadline on the service's clock (it is retried). */
  async expireFunding(tx: SqlExecutor, fundingId: string, leaseId: string): Promise<boolean> {
    const at = this.clock.now();
    const { rows } = await tx.query<{ organization_id: string; asset: Asset; deadline: Date; status: string }>(`select organization_id, asset, deadline, status from escrow_fundings where funding_id = $1`, [fundingId]);
    const funding = rows[0];
    if (!funding || funding.status !== 'deferred') return true;
    if (at.getTime() < funding.deadline.getTime()) return false;
    const { availableBaseUnits } = await lockBalance(tx, funding.organization_id, funding.asset, at);
    const cause: CommandCause = { correlationId: fundingId, causationId: derivedId('funding-expiry', fundingId), deterministic: true };
    await this.decide(tx, leaseId, cause, { type: 'ExpireFunding', fundingId, availableBaseUnits, sourceEventId: cause.causationId, at });
    return true;
  }

  private async openFunding(tx: SqlExecutor, cause: CommandCause, input: Omit<Extract<LeaseEscrowCommand, { type: 'OpenFunding' }>, 'type' | 'parameters' | 'availableBaseUnits' | 'at'>): Promise<void> {
    const at = this.clock.now();
    const { availableBaseUnits } = await lockBalance(tx, input.customerId, input.asset, at);
    const decided = await this.decide(tx, input.leaseId, cause, { type: 'OpenFunding', ...input, parameters: this.parameters, availableBaseUnits, at });
    for (const event of decided) {
      if (event.type !== 'EscrowFundingDeferred') continue;
      // Measured on the service's clock: the job fires when the hold ends, however fast the clock runs.
      await this.jobs.add(ExpireFundingJob, { fundingId: event.fundingId, leaseId: event.leaseId }, ['funding-expiry', event.fundingId], {
        delayClockMs: Math.max(1, event.deadline.getTime() - this.clock.now().getTime()),
      });
    }
  }

  /** Decides on the lease's stream inside `tx` and applies the new events' money. Returns only what
   *  this call appended (nothing for a cause already applied). */
  private async decide(tx: SqlExecutor, leaseId: string, cause: CommandCause, command: LeaseEscrowCommand): Promise<LeaseEscrowEvent[]> {
    try {
      const result = await this.handlers.for(leaseEscrowAggregate).handle(leaseId, command, cause, { tx });
      if (result.duplicate) return [];
      await recordMoneyEvents(tx, result.events);
      return result.events;
    } catch (err) {
      if (isCodedError(err) && err.kind !== 'fault') throw new ContractViolation(err.message, err.code);
      throw err;
    }
  }

  private async afterAvailableRose(tx: SqlExecutor, events: LeaseEscrowEvent[], cause: CommandCause): Promise<void> {
    const rose = events.find((e) => e.type === 'RefundIssued' || e.type === 'EscrowReleased');
    if (rose) await this.fundWaiting(tx, rose.customerId, rose.asset, cause);
  }
}
