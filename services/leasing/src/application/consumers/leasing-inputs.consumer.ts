import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { billingV1, ledgerV1, matchingV1, toDomain, verificationV1 } from '@ionet/contracts';
import { CommandHandlers, ContractViolation, EventHandlers, causedByEvent, type EventMessage } from '@ionet/eventing';
import type { AgentJobEventKind, LeaseCommand } from '../../domain/lease.decider';
import { LeasingError } from '../../domain/leasing.errors';
import { LeaseScheduler } from '../jobs/lease.jobs';
import { jobIdOf, LeasesService } from '../leases.service';
import { leaseAggregate } from '../leasing-aggregates';

/**
 * What moves a lease from outside: the ledger's funding decision, billing's failed funding,
 * verification's job reports and lease-hour verdicts, matching's replacements. Each command runs in
 * the batch's transaction (which stores the offsets) with ids derived from the triggering event: a
 * redelivered event appends nothing. Side-effect jobs have deterministic ids, so a redelivery adds
 * none twice.
 */
@Controller()
@EventHandlers()
export class LeasingInputsConsumer {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly leases: LeasesService,
    private readonly scheduler: LeaseScheduler,
  ) {}

  /** ARCHITECTURE.md: the ledger drives dispatch. An extension's funding activates nothing more. */
  @EventPattern(ledgerV1.LeaseFundedSchema.typeName)
  async onLeaseFunded(@Payload() m: EventMessage<ledgerV1.LeaseFunded>): Promise<void> {
    const e = toDomain(ledgerV1.LeaseFundedSchema, m.event);
    if (!(await this.known(m, e.leaseId))) throw new ContractViolation(`lease ${e.leaseId} was funded but leasing never created it`, 'LEASING.UNKNOWN_LEASE');
    await this.leases.activate(e.leaseId, causedByEvent(m.metadata), m.tx);
  }

  /** The lease's own funding (funding id = lease id) failed: the lease ends. An extension's failure
   *  is billing's to settle (the extension's hours were never locked). */
  @EventPattern(billingV1.EscrowLockFailedSchema.typeName)
  async onEscrowLockFailed(@Payload() m: EventMessage<billingV1.EscrowLockFailed>): Promise<void> {
    const e = toDomain(billingV1.EscrowLockFailedSchema, m.event);
    if (e.fundingId !== '' && e.fundingId !== e.leaseId) return;
    if (!(await this.known(m, e.leaseId))) return;
    await this.command(m, e.leaseId, { type: 'FailFunding', at: e.failedAt! });
  }

  @EventPattern(verificationV1.AgentJobReportedSchema.typeName)
  async onJobReported(@Payload() m: EventMessage<verificationV1.AgentJobReported>): Promise<void> {
    const e = toDomain(verificationV1.AgentJobReportedSchema, m.event);
    if (!(await this.known(m, e.leaseId))) return; // another platform's job in a shared topic: not ours
    if (e.kind === 'log') {
      await m.tx.query(
        `insert into job_logs (job_id, sequence, lease_id, device_id, stream, text, reported_at) values ($1, $2, $3, $4, $5, $6, $7) on conflict (job_id, sequence) do nothing`,
        [e.jobId, e.sequence.toString(), e.leaseId, e.deviceId, e.stream || 'stdout', e.text, e.reportedAt],
      );
      return;
    }
    await this.command(m, e.leaseId, { type: 'RecordJobEvent', jobId: e.jobId, kind: e.kind as AgentJobEventKind, exitCode: e.exitCode ?? null, text: e.text, at: e.receivedAt ?? e.reportedAt! });
  }

  @EventPattern(verificationV1.TimeLockHourVerifiedSchema.typeName)
  async onHourVerified(@Payload() m: EventMessage<verificationV1.TimeLockHourVerified>): Promise<void> {
    const e = toDomain(verificationV1.TimeLockHourVerifiedSchema, m.event);
    await this.hour(m, e.leaseId, { type: 'CompleteHour', deviceId: e.deviceId, hourIndex: e.hourIndex, outcome: 'proven', hourStart: e.hourStart!, hourEnd: e.hourEnd!, verificationEventId: m.metadata.eventId, at: e.verifiedAt! });
  }

  @EventPattern(verificationV1.TimeLockViolatedSchema.typeName)
  async onHourViolated(@Payload() m: EventMessage<verificationV1.TimeLockViolated>): Promise<void> {
    const e = toDomain(verificationV1.TimeLockViolatedSchema, m.event);
    await this.hour(m, e.leaseId, { type: 'CompleteHour', deviceId: e.deviceId, hourIndex: e.hourIndex, outcome: 'unproven', hourStart: e.hourStart!, hourEnd: e.hourEnd!, verificationEventId: m.metadata.eventId, at: e.detectedAt! });
  }

  /** The new device gets the failed device's job (a job of its own id); the failed one is stopped.
   *  The failed device's unproven hours are refunded by their TimeLockViolated verdicts. */
  @EventPattern(matchingV1.ReplacementMatchedSchema.typeName)
  async onReplacementMatched(@Payload() m: EventMessage<matchingV1.ReplacementMatched>): Promise<void> {
    const e = toDomain(matchingV1.ReplacementMatchedSchema, m.event);
    if (!(await this.known(m, e.leaseId))) throw new ContractViolation(`a replacement names lease ${e.leaseId}, which leasing never created`, 'LEASING.UNKNOWN_LEASE');
    const r = e.replacement!;
    const before = await this.leases.load(e.leaseId, m.tx);
    const failed = before.slots.find((s) => s.deviceId === e.failedDeviceId);
    const result = await this.handlers.for(leaseAggregate).handle(
      e.leaseId,
      {
        type: 'ReplaceDevice',
        failedDeviceId: e.failedDeviceId,
        replacement: { deviceId: r.deviceId, supplierId: r.supplierId, gpuCount: r.gpuCount, pricePerGpuHour: { amountBaseUnits: r.pricePerGpuHour!.amountBaseUnits, asset: r.pricePerGpuHour!.asset } },
        jobId: jobIdOf(e.leaseId, r.deviceId),
        at: e.matchedAt!,
      },
      causedByEvent(m.metadata),
      { tx: m.tx },
    );
    if (!result.events.some((ev) => ev.type === 'LeaseDeviceReplaced')) return;
    await this.scheduler.dispatch(e.leaseId, r.deviceId);
    if (failed) await this.scheduler.stop(e.leaseId, failed.deviceId, failed.jobId);
  }

  private async hour(m: EventMessage, leaseId: string, command: LeaseCommand): Promise<void> {
    if (!(await this.known(m, leaseId))) throw new ContractViolation(`a lease-hour verdict names lease ${leaseId}, which leasing never created`, 'LEASING.UNKNOWN_LEASE');
    try {
      await this.command(m, leaseId, command);
    } catch (err) {
      if (err instanceof LeasingError) throw new ContractViolation(err.detail, err.code);
      throw err;
    }
  }

  private async command(m: EventMessage, leaseId: string, command: LeaseCommand): Promise<void> {
    await this.handlers.for(leaseAggregate).handle(leaseId, command, causedByEvent(m.metadata), { tx: m.tx });
  }

  private async known(m: EventMessage, leaseId: string): Promise<boolean> {
    return (await this.leases.load(leaseId, m.tx)).status !== 'absent';
  }
}
