import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { billingV1, inventoryV1, leasingV1, toDomain, verificationV1 } from '@ionet/contracts';
import { CommandHandlers, EventHandlers, causedByEvent, type EventMessage } from '@ionet/eventing';
import { quoteAggregate } from '../matching-aggregates';
import { QuotesService } from '../quotes.service';

/**
 * What happens to held devices after the quote: leasing's LeaseCreated keeps them held for the
 * lease (past the quote's expiry), LeaseTerminated and billing's EscrowLockFailed release them, and
 * a leased device that fails (offline, blocked, a time-lock violation) is replaced under the
 * lease's original constraints. Each command runs in the batch's transaction with ids derived from
 * the triggering event: a redelivered event appends nothing.
 */
@Controller()
@EventHandlers()
export class ReservationLifecycleConsumer {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly quotes: QuotesService,
  ) {}

  @EventPattern(leasingV1.LeaseCreatedSchema.typeName)
  async onLeaseCreated(@Payload() m: EventMessage<leasingV1.LeaseCreated>): Promise<void> {
    const e = toDomain(leasingV1.LeaseCreatedSchema, m.event);
    if (!e.quoteId) return;
    await m.tx.query(`insert into lease_quotes (lease_id, quote_id) values ($1, $2) on conflict do nothing`, [e.leaseId, e.quoteId]);
    const res = await this.handlers.for(quoteAggregate).handle(e.quoteId, { type: 'AcceptQuote', leaseId: e.leaseId, at: e.createdAt! }, causedByEvent(m.metadata), { tx: m.tx });
    await this.quotes.afterEvents(m.tx, e.quoteId, res.duplicate ? [] : res.events);
  }

  @EventPattern(leasingV1.LeaseTerminatedSchema.typeName)
  async onLeaseTerminated(@Payload() m: EventMessage<leasingV1.LeaseTerminated>): Promise<void> {
    const e = toDomain(leasingV1.LeaseTerminatedSchema, m.event);
    await this.release(m, e.leaseId, e.reason === 'funding_failed' ? 'funding_failed' : 'lease_ended', e.terminatedAt!);
  }

  @EventPattern(billingV1.EscrowLockFailedSchema.typeName)
  async onEscrowLockFailed(@Payload() m: EventMessage<billingV1.EscrowLockFailed>): Promise<void> {
    const e = toDomain(billingV1.EscrowLockFailedSchema, m.event);
    await this.release(m, e.leaseId, 'funding_failed', e.failedAt!);
  }

  @EventPattern(inventoryV1.DeviceWentOfflineSchema.typeName)
  async onOffline(@Payload() m: EventMessage<inventoryV1.DeviceWentOffline>): Promise<void> {
    await this.replaceLeased(m, toDomain(inventoryV1.DeviceWentOfflineSchema, m.event).deviceId);
  }

  @EventPattern(inventoryV1.DeviceBlockedSchema.typeName)
  async onBlocked(@Payload() m: EventMessage<inventoryV1.DeviceBlocked>): Promise<void> {
    await this.replaceLeased(m, toDomain(inventoryV1.DeviceBlockedSchema, m.event).deviceId);
  }

  @EventPattern(verificationV1.TimeLockViolatedSchema.typeName)
  async onTimeLockViolated(@Payload() m: EventMessage<verificationV1.TimeLockViolated>): Promise<void> {
    const e = toDomain(verificationV1.TimeLockViolatedSchema, m.event);
    await this.replaceLeased(m, e.deviceId, e.leaseId);
  }

  private async release(m: EventMessage, leaseId: string, reason: 'lease_ended' | 'funding_failed', at: Date): Promise<void> {
    const found = await m.tx.query<{ quote_id: string }>(`select quote_id from lease_quotes where lease_id = $1`, [leaseId]);
    const quoteId = found.rows[0]?.quote_id;
    if (!quoteId) return; // a lease not made from a quote of ours
    const res = await this.handlers.for(quoteAggregate).handle(quoteId, { type: 'ReleaseQuote', reason, leaseId, at }, causedByEvent(m.metadata), { tx: m.tx });
    await this.quotes.afterEvents(m.tx, quoteId, res.duplicate ? [] : res.events);
  }

  private async replaceLeased(m: EventMessage, deviceId: string, leaseId?: string): Promise<void> {
    const held = await m.tx.query<{ quote_id: string; lease_id: string }>(`select quote_id, lease_id from reservations where device_id = $1 and lease_id is not null`, [deviceId]);
    const row = held.rows[0];
    if (!row || (leaseId !== undefined && row.lease_id !== leaseId)) return;
    await this.quotes.replace(m.tx, row.quote_id, row.lease_id, deviceId, causedByEvent(m.metadata));
  }
}
