import { leasingV1 } from '@ionet/contracts';
import { ContractViolation, defineProjection, on } from '@ionet/eventing';

export const LEASES = 'verification_leases';

/**
 * Which devices are leased and when (leasing's events): the lease-hours verification must prove.
 * Each device's span in the lease: `joined_at` (null: from the activation) to `left_at` (null: to the
 * lease's end); a `LeaseDeviceReplaced` ends the failed device's span and starts the replacement's
 * (ADR 0413). A lease's events share its partition, so they arrive in order; every write is idempotent.
 */
export const leasesProjection = defineProjection({
  name: LEASES,
  version: 2,
  consumerGroup: 'verification.leases',
  contexts: ['leasing'],
  tables: [
    {
      name: 'leases',
      columnsSql: `lease_id text not null, customer_id text not null, duration_hours int not null, created_at timestamptz not null, activated_at timestamptz, ends_at timestamptz,
        terminated_at timestamptz, termination_reason text, version bigint not null`,
      primaryKey: ['lease_id'],
    },
    {
      name: 'lease_devices',
      columnsSql: `lease_id text not null, device_id text not null, supplier_id text not null, gpu_count int not null, joined_at timestamptz, left_at timestamptz`,
      primaryKey: ['lease_id', 'device_id'],
    },
  ],
  handlers: [
    on(leasingV1.LeaseCreatedSchema, async (e, m, ctx) => {
      await ctx.tx.query(`insert into ${ctx.table('leases')} (lease_id, customer_id, duration_hours, created_at, version) values ($1, $2, $3, $4, $5) on conflict (lease_id) do nothing`, [
        e.leaseId,
        e.customerId,
        e.durationHours,
        e.createdAt,
        m.aggregateVersion.toString(),
      ]);
      for (const slot of e.slots) {
        await ctx.tx.query(`insert into ${ctx.table('lease_devices')} (lease_id, device_id, supplier_id, gpu_count) values ($1, $2, $3, $4) on conflict do nothing`, [
          e.leaseId,
          slot.deviceId,
          slot.supplierId,
          slot.gpuCount,
        ]);
      }
    }),
    // Guarded by the lease stream's version: a stale re-delivery changes nothing.
    on(leasingV1.LeaseActivatedSchema, async (e, m, ctx) => {
      await ctx.tx.query(`update ${ctx.table('leases')} set activated_at = $2, ends_at = $3, version = $4 where lease_id = $1 and version < $4`, [e.leaseId, e.activatedAt, e.endsAt, m.aggregateVersion.toString()]);
    }),
    on(leasingV1.LeaseExtendedSchema, async (e, m, ctx) => {
      await ctx.tx.query(`update ${ctx.table('leases')} set ends_at = $2, version = $3 where lease_id = $1 and version < $3`, [e.leaseId, e.newEndsAt, m.aggregateVersion.toString()]);
    }),
    // The failed device leaves at the replacement instant (its first leaving stands: a re-delivery
    // writes the same instant); the replacement joins then.
    on(leasingV1.LeaseDeviceReplacedSchema, async (e, _m, ctx) => {
      const r = e.replacement;
      if (!r?.deviceId || !e.replacedAt) throw new ContractViolation(`LeaseDeviceReplaced of lease ${e.leaseId} names no replacement or instant`, 'CONTRACT.MISSING_FIELD');
      await ctx.tx.query(`update ${ctx.table('lease_devices')} set left_at = $3 where lease_id = $1 and device_id = $2 and left_at is null`, [e.leaseId, e.failedDeviceId, e.replacedAt]);
      await ctx.tx.query(`insert into ${ctx.table('lease_devices')} (lease_id, device_id, supplier_id, gpu_count, joined_at) values ($1, $2, $3, $4, $5) on conflict do nothing`, [
        e.leaseId,
        r.deviceId,
        r.supplierId,
        r.gpuCount,
        e.replacedAt,
      ]);
    }),
    on(leasingV1.LeaseTerminatedSchema, async (e, m, ctx) => {
      await ctx.tx.query(`update ${ctx.table('leases')} set terminated_at = $2, termination_reason = $3, version = $4 where lease_id = $1 and version < $4`, [
        e.leaseId,
        e.terminatedAt,
        e.reason,
        m.aggregateVersion.toString(),
      ]);
    }),
  ],
});
