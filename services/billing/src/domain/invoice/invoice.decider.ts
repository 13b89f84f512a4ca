import type { Asset } from '../money/billing-money';
import { BillingError } from '../shared/billing.errors';

/** An invoice per organization, asset and period (stream id = invoice id, derived from the three):
 *  a line per device-hour charged, the customer's fees per lease, the refunds for the record. */

export type InvoiceLineKind = 'charge' | 'fee' | 'refund';

export interface InvoiceLine {
  kind: InvoiceLineKind;
  leaseId: string;
  deviceId: string;
  hourIndex: number;
  hourStart: Date | null;
  description: string;
  /** GPUs for a charge, device-hours for a refund, 1 for fees. */
  quantity: number;
  unitPriceBaseUnits: bigint;
  amountBaseUnits: bigint;
  sourceId: string;
}

/** One money movement of the period as the invoice job reads it. */
export type InvoiceSource =
  | { kind: 'charge'; sourceId: string; leaseId: string; deviceId: string; hourIndex: number; hourStart: Date; gpuCount: number; pricePerGpuHourBaseUnits: bigint; computeBaseUnits: bigint; customerFeeBaseUnits: bigint }
  | { kind: 'fee'; sourceId: string; leaseId: string; amountBaseUnits: bigint }
  | { kind: 'refund'; sourceId: string; leaseId: string; deviceId: string; hourIndex: number; deviceHours: number; amountBaseUnits: bigint; reason: string };

export interface InvoiceTotals {
  chargesBaseUnits: bigint;
  feesBaseUnits: bigint;
  refundsBaseUnits: bigint;
  totalBaseUnits: bigint;
}

/** Lines in a stable order (lease, then hour, then device; fees after a lease's hours, refunds last),
 *  and totals that are exactly the sums of their lines. */
export function buildInvoice(sources: readonly InvoiceSource[]): { lines: InvoiceLine[]; totals: InvoiceTotals } {
  const charges: InvoiceLine[] = [];
  const feesByLease = new Map<string, { amount: bigint; sources: string[] }>();
  const refunds: InvoiceLine[] = [];
  const addFee = (leaseId: string, amount: bigint, sourceId: string) => {
    if (amount === 0n) return;
    const entry = feesByLease.get(leaseId) ?? { amount: 0n, sources: [] };
    entry.amount += amount;
    entry.sources.push(sourceId);
    feesByLease.set(leaseId, entry);
  };
  for (const s of sources) {
    switch (s.kind) {
      case 'charge':
        charges.push({
          kind: 'charge',
          leaseId: s.leaseId,
          deviceId: s.deviceId,
          hourIndex: s.hourIndex,
          hourStart: s.hourStart,
          description: `hour ${s.hourIndex + 1} of device ${s.deviceId}: ${s.gpuCount} GPU(s)`,
          quantity: s.gpuCount,
          unitPriceBaseUnits: s.pricePerGpuHourBaseUnits,
          amountBaseUnits: s.computeBaseUnits,
          sourceId: s.sourceId,
        });
        addFee(s.leaseId, s.customerFeeBaseUnits, s.sourceId);
        break;
      case 'fee':
        addFee(s.leaseId, s.amountBaseUnits, s.sourceId);
        break;
      case 'refund':
        refunds.push({
          kind: 'refund',
          leaseId: s.leaseId,
          deviceId: s.deviceId,
          hourIndex: s.hourIndex,
          hourStart: null,
          description: s.reason === 'time_lock_violated' ? `hour ${s.hourIndex + 1} of device ${s.deviceId} not proven: refunded` : `${s.deviceHours} unused device-hour(s) refunded at early termination`,
          quantity: s.deviceHours,
          unitPriceBaseUnits: s.deviceHours > 0 ? s.amountBaseUnits / BigInt(s.deviceHours) : s.amountBaseUnits,
          amountBaseUnits: s.amountBaseUnits,
          sourceId: s.sourceId,
        });
        break;
      default: {
        const unhandled: never = s;
        throw new Error(`unhandled invoice source ${String((unhandled as { kind: string }).kind)}`);
      }
    }
  }
  const byTime = (a: InvoiceLine, b: InvoiceLine) =>
    a.leaseId.localeCompare(b.leaseId) || (a.hourStart?.getTime() ?? 0) - (b.hourStart?.getTime() ?? 0) || a.hourIndex - b.hourIndex || a.deviceId.localeCompare(b.deviceId) || a.sourceId.localeCompare(b.sourceId);
  charges.sort(byTime);
  refunds.sort(byTime);
  const lines: InvoiceLine[] = [];
  const leases = [...new Set([...charges.map((c) => c.leaseId), ...feesByLease.keys()])].sort();
  for (const leaseId of leases) {
    lines.push(...charges.filter((c) => c.leaseId === leaseId));
    const fee = feesByLease.get(leaseId);
    if (fee) {
      lines.push({ kind: 'fee', leaseId, deviceId: '', hourIndex: 0, hourStart: null, description: 'reservation and payment fees', quantity: 1, unitPriceBaseUnits: fee.amount, amountBaseUnits: fee.amount, sourceId: `fees:${leaseId}` });
    }
  }
  lines.push(...refunds);
  const sum = (kind: InvoiceLineKind) => lines.filter((l) => l.kind === kind).reduce((total, l) => total + l.amountBaseUnits, 0n);
  const totals = { chargesBaseUnits: sum('charge'), feesBaseUnits: sum('fee'), refundsBaseUnits: sum('refund'), totalBaseUnits: 0n };
  totals.totalBaseUnits = totals.chargesBaseUnits + totals.feesBaseUnits;
  return { lines, totals };
}

export type InvoiceEvent = {
  type: 'InvoiceIssued';
  invoiceId: string;
  organizationId: string;
  asset: Asset;
  periodStart: Date;
  periodEnd: Date;
  lines: InvoiceLine[];
  totals: InvoiceTotals;
  at: Date;
};

export type InvoiceCommand = { type: 'IssueInvoice'; invoiceId: string; organizationId: string; asset: Asset; periodStart: Date; periodEnd: Date; sources: InvoiceSource[]; at: Date };

export type InvoiceState = { status: 'absent' } | { status: 'issued'; invoiceId: string };

export const initialInvoiceState: InvoiceState = { status: 'absent' };

export function decideInvoice(command: InvoiceCommand, state: InvoiceState): InvoiceEvent[] {
  switch (command.type) {
    case 'IssueInvoice': {
      // One invoice per organization, asset and period: a second run of the job issues nothing.
      if (state.status === 'issued') return [];
      if (command.periodEnd.getTime() <= command.periodStart.getTime()) throw new BillingError('BILLING.INVALID_PERIOD', 'an invoice period must end after it starts');
      if (command.at.getTime() < command.periodEnd.getTime()) throw new BillingError('BILLING.INVALID_PERIOD', 'an invoice is issued at the end of its period, not before');
      if (command.sources.length === 0) return [];
      const { lines, totals } = buildInvoice(command.sources);
      return [{ type: 'InvoiceIssued', invoiceId: command.invoiceId, organizationId: command.organizationId, asset: command.asset, periodStart: command.periodStart, periodEnd: command.periodEnd, lines, totals, at: command.at }];
    }
    default: {
      const unhandled: never = command.type;
      throw new Error(`unhandled command ${String(unhandled)}`);
    }
  }
}

export function evolveInvoice(_state: InvoiceState, event: InvoiceEvent): InvoiceState {
  switch (event.type) {
    case 'InvoiceIssued':
      return { status: 'issued', invoiceId: event.invoiceId };
    default: {
      const unhandled: never = event.type;
      throw new Error(`unhandled event ${String(unhandled)}`);
    }
  }
}
