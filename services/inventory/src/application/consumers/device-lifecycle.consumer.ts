import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { leasingV1, toDomain, verificationV1 } from '@ionet/contracts';
import { CommandHandlers, ContractViolation, EventHandlers, causedByEvent, type EventMessage } from '@ionet/eventing';
import type { BlockReason, DeviceCommand } from '../../domain/device/device.decider';
import { InventoryError } from '../../domain/shared/inventory.errors';
import { deviceAggregate } from '../inventory-aggregates';

/** Lease slots processed per lease event at most (a Mega-Ray lease may hold hundreds of devices). */
const LEASE_DEVICES_MAX = 10_000;

/**
 * Moves devices through their lifecycle on verification's verdicts and leasing's facts (ADR 0401,
 * 0403). Each command runs in the batch's transaction, which also stores the offsets, with ids
 * derived from the triggering event: a redelivered event appends nothing. A fact about a device
 * inventory never registered is a contract violation: dead-lettered, never retried.
 */
@Controller()
@EventHandlers()
export class DeviceLifecycleConsumer {
  constructor(private readonly handlers: CommandHandlers) {}

  @EventPattern(verificationV1.DeviceQualifiedSchema.typeName)
  async onQualified(@Payload() m: EventMessage<verificationV1.DeviceQualified>): Promise<void> {
    const e = toDomain(verificationV1.DeviceQualifiedSchema, m.event);
    await this.command(m, { type: 'QualifyDevice', deviceId: e.deviceId, challengeId: e.challengeId, at: e.qualifiedAt! });
  }

  @EventPattern(verificationV1.DeviceDisqualifiedSchema.typeName)
  async onDisqualified(@Payload() m: EventMessage<verificationV1.DeviceDisqualified>): Promise<void> {
    const e = toDomain(verificationV1.DeviceDisqualifiedSchema, m.event);
    // DisqualificationReason's names are a subset of DeviceBlockReason's (the codec asserts both lists).
    await this.command(m, { type: 'BlockDevice', deviceId: e.deviceId, reason: e.reason as BlockReason, detail: e.detail, at: e.disqualifiedAt! });
  }

  @EventPattern(verificationV1.AgentHeartbeatsStoppedSchema.typeName)
  async onHeartbeatsStopped(@Payload() m: EventMessage<verificationV1.AgentHeartbeatsStopped>): Promise<void> {
    const e = toDomain(verificationV1.AgentHeartbeatsStoppedSchema, m.event);
    await this.command(m, { type: 'MarkDeviceOffline', deviceId: e.deviceId, lastSeenAt: e.lastHeartbeatAt!, at: e.detectedAt! });
  }

  @EventPattern(verificationV1.AgentHeartbeatsResumedSchema.typeName)
  async onHeartbeatsResumed(@Payload() m: EventMessage<verificationV1.AgentHeartbeatsResumed>): Promise<void> {
    const e = toDomain(verificationV1.AgentHeartbeatsResumedSchema, m.event);
    await this.command(m, { type: 'MarkDeviceOnline', deviceId: e.deviceId, at: e.resumedAt! });
  }

  @EventPattern(leasingV1.LeaseCreatedSchema.typeName)
  async onLeaseCreated(@Payload() m: EventMessage<leasingV1.LeaseCreated>): Promise<void> {
    const e = toDomain(leasingV1.LeaseCreatedSchema, m.event);
    if (e.slots.length > LEASE_DEVICES_MAX) throw new ContractViolation(`lease ${e.leaseId} names ${e.slots.length} devices, more than ${LEASE_DEVICES_MAX}`, 'INVENTORY.LEASE_TOO_LARGE');
    await m.tx.query(`insert into leases (lease_id) values ($1) on conflict do nothing`, [e.leaseId]);
    for (const slot of e.slots) await m.tx.query(`insert into lease_devices (lease_id, device_id) values ($1, $2) on conflict do nothing`, [e.leaseId, slot.deviceId]);
  }

  @EventPattern(leasingV1.LeaseActivatedSchema.typeName)
  async onLeaseActivated(@Payload() m: EventMessage<leasingV1.LeaseActivated>): Promise<void> {
    const e = toDomain(leasingV1.LeaseActivatedSchema, m.event);
    const known = await m.tx.query(`update leases set activated_at = coalesce(activated_at, $2) where lease_id = $1 and terminated_at is null returning lease_id`, [e.leaseId, e.activatedAt]);
    // Leasing publishes LeaseCreated first, on the same partition (keyed by the lease id).
    if (!known.rowCount) {
      const ended = await m.tx.query(`select 1 from leases where lease_id = $1`, [e.leaseId]);
      if (ended.rowCount) return;
      throw new ContractViolation(`lease ${e.leaseId} was activated but inventory saw no LeaseCreated naming its devices`, 'INVENTORY.UNKNOWN_LEASE');
    }
    for (const deviceId of await this.devicesOf(m, e.leaseId)) await this.command(m, { type: 'MarkDeviceLeased', deviceId, leaseId: e.leaseId, at: e.activatedAt! });
  }

  @EventPattern(leasingV1.LeaseDeviceReplacedSchema.typeName)
  async onDeviceReplaced(@Payload() m: EventMessage<leasingV1.LeaseDeviceReplaced>): Promise<void> {
    const e = toDomain(leasingV1.LeaseDeviceReplacedSchema, m.event);
    const replacement = e.replacement!.deviceId;
    await m.tx.query(`delete from lease_devices where lease_id = $1 and device_id = $2`, [e.leaseId, e.failedDeviceId]);
    await m.tx.query(`insert into lease_devices (lease_id, device_id) values ($1, $2) on conflict do nothing`, [e.leaseId, replacement]);
    await this.command(m, { type: 'MarkDeviceReleased', deviceId: e.failedDeviceId, leaseId: e.leaseId, at: e.replacedAt! });
    const active = await m.tx.query(`select 1 from leases where lease_id = $1 and activated_at is not null and terminated_at is null`, [e.leaseId]);
    if (active.rowCount) await this.command(m, { type: 'MarkDeviceLeased', deviceId: replacement, leaseId: e.leaseId, at: e.replacedAt! });
  }

  @EventPattern(leasingV1.LeaseTerminatedSchema.typeName)
  async onLeaseTerminated(@Payload() m: EventMessage<leasingV1.LeaseTerminated>): Promise<void> {
    const e = toDomain(leasingV1.LeaseTerminatedSchema, m.event);
    await m.tx.query(`insert into leases (lease_id, terminated_at) values ($1, $2) on conflict (lease_id) do update set terminated_at = coalesce(leases.terminated_at, $2)`, [
      e.leaseId,
      e.terminatedAt,
    ]);
    for (const deviceId of await this.devicesOf(m, e.leaseId)) await this.command(m, { type: 'MarkDeviceReleased', deviceId, leaseId: e.leaseId, at: e.terminatedAt! });
  }

  private async devicesOf(m: EventMessage, leaseId: string): Promise<string[]> {
    const rows = await m.tx.query<{ device_id: string }>(`select device_id from lease_devices where lease_id = $1 order by device_id limit ${LEASE_DEVICES_MAX}`, [leaseId]);
    return rows.rows.map((r) => r.device_id);
  }

  private async command(m: EventMessage, command: DeviceCommand): Promise<void> {
    try {
      await this.handlers.for(deviceAggregate).handle(command.deviceId, command, causedByEvent(m.metadata), { tx: m.tx });
    } catch (err) {
      if (err instanceof InventoryError && err.code === 'DEVICE.NOT_FOUND') {
        throw new ContractViolation(`${m.metadata.eventType} names device ${command.deviceId}, which inventory has not registered`, 'INVENTORY.UNKNOWN_DEVICE');
      }
      throw err;
    }
  }
}
