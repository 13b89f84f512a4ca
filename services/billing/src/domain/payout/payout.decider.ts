import type { Asset } from '../money/billing-money';
import { BillingError } from '../shared/billing.errors';

/** Suppliers are paid for proven hours: a lease shorter than a day at its end, a longer one daily
 *  (DOMAIN.md). A payout's id derives from (supplier, asset, period), so a rerun or a replay of the
 *  payout job schedules nothing twice; the chain transfer is the token issue's (PayoutSettled). */

export const DAY_MS = 86_400_000;
export const HOURS_PER_DAY = 24;

/** A charge not yet in any payout, with what the rule needs to know about its lease. */
export interface UnpaidCharge {
  chargeId: string;
  supplierId: string;
  asset: Asset;
  supplierEarningsBaseUnits: bigint;
  hourStart: Date;
  hourEnd: Date;
  /** Hours the lease booked (all its fundings). */
  leaseBookedHours: number;
  /** When the lease ended, or null while it runs. */
  leaseEndedAt: Date | null;
}

/** Whether a charge is due at `now`: a lease shorter than a day once it has ended; a longer one
 *  for hours in a UTC day that is over. */
export function isDue(charge: UnpaidCharge, now: Date): boolean {
  if (charge.leaseBookedHours < HOURS_PER_DAY) return charge.leaseEndedAt !== null && charge.leaseEndedAt.getTime() <= now.getTime();
  const startOfToday = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return charge.hourEnd.getTime() <= startOfToday;
}

export interface DuePayout {
  supplierId: string;
  asset: Asset;
  charges: UnpaidCharge[];
  amountBaseUnits: bigint;
}

/** The charges due at `now`, one payout per supplier and asset, in a stable order. */
export function duePayouts(charges: readonly UnpaidCharge[], now: Date): DuePayout[] {
  const groups = new Map<string, DuePayout>();
  for (const charge of charges) {
    if (!isDue(charge, now)) continue;
    const key = `${charge.supplierId}\u0000${charge.asset}`;
    const group = groups.get(key) ?? { supplierId: charge.supplierId, asset: charge.asset, charges: [], amountBaseUnits: 0n };
    group.charges.push(charge);
    group.amountBaseUnits += charge.supplierEarningsBaseUnits;
    groups.set(key, group);
  }
  for (const g of groups.values()) g.charges.sort((a, b) => a.hourStart.getTime() - b.hourStart.getTime() || a.chargeId.localeCompare(b.chargeId));
  return [...groups.values()].sort((a, b) => a.supplierId.localeCompare(b.supplierId) || a.asset.localeCompare(b.asset));
}

export type PayoutEvent = {
  type: 'PayoutScheduled';
  payoutId: string;
  supplierId: string;
  asset: Asset;
  amountBaseUnits: bigint;
  periodStart: Date;
  periodEnd: Date;
  chargeIds: string[];
  deviceHours: number;
  at: Date;
};

export type PayoutCommand = { type: 'SchedulePayout'; payoutId: string; periodStart: Date; periodEnd: Date; due: DuePayout; at: Date };

export type PayoutState = { status: 'absent' } | { status: 'scheduled'; payoutId: string; chargeIds: ReadonlySet<string> };

export const initialPayoutState: PayoutState = { status: 'absent' };

export function decidePayout(command: PayoutCommand, state: PayoutState): PayoutEvent[] {
  switch (command.type) {
    case 'SchedulePayout': {
      if (state.status === 'scheduled') return [];
      const { due } = command;
      if (due.charges.length === 0 || due.amountBaseUnits <= 0n) return [];
      const total = due.charges.reduce((sum, c) => sum + c.supplierEarningsBaseUnits, 0n);
      if (total !== due.amountBaseUnits) throw new BillingError('BILLING.INVALID_AMOUNT', `a payout of ${due.amountBaseUnits} does not equal its charges' ${total}`);
      if (due.charges.some((c) => c.supplierId !== due.supplierId || c.asset !== due.asset)) throw new BillingError('BILLING.INVALID_AMOUNT', 'a payout pays one supplier in one asset');
      return [
        {
          type: 'PayoutScheduled',
          payoutId: command.payoutId,
          supplierId: due.supplierId,
          asset: due.asset,
          amountBaseUnits: due.amountBaseUnits,
          periodStart: command.periodStart,
          periodEnd: command.periodEnd,
          chargeIds: due.charges.map((c) => c.chargeId),
          deviceHours: due.charges.length,
          at: command.at,
        },
      ];
    }
    default: {
      const unhandled: never = command.type;
      throw new Error(`unhandled command ${String(unhandled)}`);
    }
  }
}

export function evolvePayout(_state: PayoutState, event: PayoutEvent): PayoutState {
  switch (event.type) {
    case 'PayoutScheduled':
      return { status: 'scheduled', payoutId: event.payoutId, chargeIds: new Set(event.chargeIds) };
    default: {
      const unhandled: never = event.type;
      throw new Error(`unhandled event ${String(unhandled)}`);
    }
  }
}
