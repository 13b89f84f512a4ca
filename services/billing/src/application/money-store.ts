import type { SqlExecutor } from '@ionet/eventing';
import type { DepositEvent } from '../domain/deposit/deposit.decider';
import type { LeaseEscrowEvent } from '../domain/escrow/lease-escrow.decider';
import type { Asset } from '../domain/money/billing-money';

/**
 * Billing's money state beside its event store (ADR 0320): written in the transaction that appends
 * the events it derives from, so a funding decision reads a balance no other transaction can change
 * under it (the row is locked), and every list the API serves is consistent with the balances.
 * Each movement is keyed by the id of what it records (deposit, funding, charge, refund, fee,
 * release): applying the same event twice inserts nothing and moves no balance.
 */

/** The organization's balance row in `asset`, created at zero and locked for this transaction. */
export async function lockBalance(tx: SqlExecutor, organizationId: string, asset: Asset, at: Date): Promise<{ availableBaseUnits: bigint; escrowBaseUnits: bigint }> {
  await tx.query(`insert into account_balances (organization_id, asset, updated_at) values ($1, $2, $3) on conflict do nothing`, [organizationId, asset, at]);
  const { rows } = await tx.query<{ available_base_units: string; escrow_base_units: string }>(
    `select available_base_units, escrow_base_units from account_balances where organization_id = $1 and asset = $2 for update`,
    [organizationId, asset],
  );
  return { availableBaseUnits: BigInt(rows[0]!.available_base_units), escrowBaseUnits: BigInt(rows[0]!.escrow_base_units) };
}

interface Movement {
  movementId: string;
  organizationId: string;
  type: 'deposit' | 'escrow' | 'charge' | 'refund' | 'fee';
  subtype: string;
  asset: Asset;
  amountBaseUnits: bigint;
  /** Change of the available and escrow balances. */
  availableDelta: bigint;
  escrowDelta: bigint;
  sourceEventId: string;
  at: Date;
  leaseId?: string;
  supplierId?: string;
  deviceId?: string;
  hourIndex?: number;
  hourStart?: Date;
  hourEnd?: Date;
  gpuCount?: number;
  pricePerGpuHourBaseUnits?: bigint;
  computeBaseUnits?: bigint;
  customerFeeBaseUnits?: bigint;
  supplierEarningsBaseUnits?: bigint;
  platformFeeBaseUnits?: bigint;
  deviceHours?: number;
  reason?: string;
}

async function insertMovement(tx: SqlExecutor, m: Movement): Promise<void> {
  const inserted = await tx.query(
    `insert into money_movements (movement_id, organization_id, type, subtype, asset, amount_base_units, lease_id, supplier_id, device_id, hour_index,
       hour_start, hour_end, gpu_count, price_per_gpu_hour_base_units, compute_base_units, customer_fee_base_units, supplier_earnings_base_units,
       platform_fee_base_units, device_hours, reason, source_event_id, occurred_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
     on conflict (movement_id) do nothing`,
    [
      m.movementId,
      m.organizationId,
      m.type,
      m.subtype,
      m.asset,
      m.amountBaseUnits.toString(),
      m.leaseId ?? null,
      m.supplierId ?? null,
      m.deviceId || null,
      m.hourIndex ?? null,
      m.hourStart ?? null,
      m.hourEnd ?? null,
      m.gpuCount ?? null,
      m.pricePerGpuHourBaseUnits?.toString() ?? null,
      m.computeBaseUnits?.toString() ?? null,
      m.customerFeeBaseUnits?.toString() ?? null,
      m.supplierEarningsBaseUnits?.toString() ?? null,
      m.platformFeeBaseUnits?.toString() ?? null,
      m.deviceHours ?? null,
      m.reason ?? null,
      m.sourceEventId,
      m.at,
    ],
  );
  if (inserted.rowCount === 0) return;
  await tx.query(`insert into account_balances (organization_id, asset, updated_at) values ($1, $2, $3) on conflict do nothing`, [m.organizationId, m.asset, m.at]);
  // The checks on the table (never below zero) turn a decision bug into a failed transaction.
  await tx.query(
    `update account_balances set available_base_units = available_base_units + $3, escrow_base_units = escrow_base_units + $4, updated_at = greatest(updated_at, $5)
      where organization_id = $1 and asset = $2`,
    [m.organizationId, m.asset, m.availableDelta.toString(), m.escrowDelta.toString(), m.at],
  );
}

/** Applies newly appended billing events to the money tables, in the appending transaction. */
export async function recordMoneyEvents(tx: SqlExecutor, events: ReadonlyArray<DepositEvent | LeaseEscrowEvent>): Promise<void> {
  for (const e of events) {
    switch (e.type) {
      case 'DepositReceived':
        await insertMovement(tx, { movementId: `deposit:${e.depositId}`, organizationId: e.organizationId, type: 'deposit', subtype: e.method, asset: e.asset, amountBaseUnits: e.amountBaseUnits, availableDelta: e.amountBaseUnits, escrowDelta: 0n, sourceEventId: e.depositId, at: e.at, reason: e.externalReference || undefined });
        break;
      case 'EscrowFundingDeferred':
        await upsertLease(tx, e.leaseId, e.customerId, e.asset, e.terms.ioPriceUsdMicros, 0, e.at);
        await tx.query(
          `insert into escrow_fundings (funding_id, lease_id, organization_id, asset, required_base_units, deadline, status, created_at)
           values ($1, $2, $3, $4, $5, $6, 'deferred', $7) on conflict (funding_id) do nothing`,
          [e.fundingId, e.leaseId, e.customerId, e.asset, e.terms.requiredBaseUnits.toString(), e.deadline, e.at],
        );
        break;
      case 'EscrowLocked':
        await upsertLease(tx, e.leaseId, e.customerId, e.asset, e.terms.ioPriceUsdMicros, e.terms.hours, e.at);
        await tx.query(
          `insert into escrow_fundings (funding_id, lease_id, organization_id, asset, required_base_units, deadline, status, created_at)
           values ($1, $2, $3, $4, $5, $6, 'locked', $6) on conflict (funding_id) do update set status = 'locked'`,
          [e.fundingId, e.leaseId, e.customerId, e.asset, e.terms.requiredBaseUnits.toString(), e.at],
        );
        await insertMovement(tx, {
          movementId: `escrow:${e.fundingId}`,
          organizationId: e.customerId,
          type: 'escrow',
          subtype: 'locked',
          asset: e.asset,
          amountBaseUnits: e.terms.requiredBaseUnits,
          availableDelta: -e.terms.requiredBaseUnits,
          escrowDelta: e.terms.requiredBaseUnits,
          leaseId: e.leaseId,
          computeBaseUnits: e.terms.computeBaseUnits,
          customerFeeBaseUnits: e.terms.reservationFeeBaseUnits + e.terms.paymentFeeBaseUnits,
          deviceHours: e.terms.hours,
          sourceEventId: e.sourceEventId,
          at: e.at,
        });
        break;
      case 'EscrowLockFailed':
        await tx.query(`update escrow_fundings set status = 'failed' where funding_id = $1`, [e.fundingId]);
        break;
      case 'UsageCharged':
        await insertMovement(tx, {
          movementId: `charge:${e.chargeId}`,
          organizationId: e.customerId,
          type: 'charge',
          subtype: 'hour',
          asset: e.asset,
          amountBaseUnits: e.grossBaseUnits,
          availableDelta: 0n,
          escrowDelta: -e.grossBaseUnits,
          leaseId: e.leaseId,
          supplierId: e.supplierId,
          deviceId: e.deviceId,
          hourIndex: e.hourIndex,
          hourStart: e.hourStart,
          hourEnd: e.hourEnd,
          gpuCount: e.gpuCount,
          pricePerGpuHourBaseUnits: e.pricePerGpuHourBaseUnits,
          computeBaseUnits: e.computeBaseUnits,
          customerFeeBaseUnits: e.customerFeeBaseUnits,
          supplierEarningsBaseUnits: e.supplierEarningsBaseUnits,
          platformFeeBaseUnits: e.platformFeeBaseUnits,
          deviceHours: 1,
          sourceEventId: e.sourceEventId,
          at: e.at,
        });
        break;
      case 'RefundIssued':
        await insertMovement(tx, {
          movementId: `refund:${e.refundId}`,
          organizationId: e.customerId,
          type: 'refund',
          subtype: e.reason,
          asset: e.asset,
          amountBaseUnits: e.amountBaseUnits,
          availableDelta: e.amountBaseUnits,
          escrowDelta: -e.amountBaseUnits,
          leaseId: e.leaseId,
          deviceId: e.deviceId,
          hourIndex: e.deviceId ? e.hourIndex : undefined,
          hourStart: e.hourStart,
          gpuCount: e.gpuCount || undefined,
          deviceHours: e.deviceHours,
          reason: e.reason,
          sourceEventId: e.sourceEventId,
          at: e.at,
        });
        break;
      case 'FeeRetained':
        await insertMovement(tx, { movementId: `fee:${e.feeId}`, organizationId: e.customerId, type: 'fee', subtype: e.reason, asset: e.asset, amountBaseUnits: e.amountBaseUnits, availableDelta: 0n, escrowDelta: -e.amountBaseUnits, leaseId: e.leaseId, reason: e.reason, sourceEventId: e.sourceEventId, at: e.at });
        break;
      case 'EscrowReleased':
        await insertMovement(tx, { movementId: `release:${e.escrowId}`, organizationId: e.customerId, type: 'escrow', subtype: 'released', asset: e.asset, amountBaseUnits: e.amountBaseUnits, availableDelta: e.amountBaseUnits, escrowDelta: -e.amountBaseUnits, leaseId: e.leaseId, sourceEventId: e.sourceEventId, at: e.at });
        break;
      case 'EscrowTerminationRecorded':
        await tx.query(`update lease_accounts set ended_at = coalesce(ended_at, $2) where lease_id = $1`, [e.leaseId, e.at]);
        break;
      default: {
        const unhandled: never = e;
        throw new Error(`unhandled money event ${String((unhandled as { type: string }).type)}`);
      }
    }
  }
}

async function upsertLease(tx: SqlExecutor, leaseId: string, organizationId: string, asset: Asset, ioPriceUsdMicros: bigint, addHours: number, at: Date): Promise<void> {
  await tx.query(
    `insert into lease_accounts (lease_id, organization_id, asset, io_price_usd_micros, booked_hours, opened_at) values ($1, $2, $3, $4, $5, $6)
     on conflict (lease_id) do update set booked_hours = lease_accounts.booked_hours + excluded.booked_hours`,
    [leaseId, organizationId, asset, ioPriceUsdMicros.toString(), addHours, at],
  );
}
