import { deciderSpec } from '@ionet/testing';
import { buildInvoice, decideInvoice, evolveInvoice, initialInvoiceState, type InvoiceCommand, type InvoiceSource } from './invoice.decider';

const spec = deciderSpec({ decide: decideInvoice, evolve: evolveInvoice, initialState: initialInvoiceState });
const periodStart = new Date('2026-11-30T00:00:00Z');
const periodEnd = new Date('2026-12-01T00:00:00Z');
const hour = (h: number) => new Date(periodStart.getTime() + h * 3_600_000);

const sources: InvoiceSource[] = [
  { kind: 'charge', sourceId: 'c-b1', leaseId: 'lease-b', deviceId: 'dev-1', hourIndex: 1, hourStart: hour(3), gpuCount: 1, pricePerGpuHourBaseUnits: 1_000_000n, computeBaseUnits: 1_000_000n, customerFeeBaseUnits: 22_500n },
  { kind: 'charge', sourceId: 'c-a0-2', leaseId: 'lease-a', deviceId: 'dev-2', hourIndex: 0, hourStart: hour(1), gpuCount: 2, pricePerGpuHourBaseUnits: 2_000_000n, computeBaseUnits: 4_000_000n, customerFeeBaseUnits: 90_000n },
  { kind: 'charge', sourceId: 'c-a0-1', leaseId: 'lease-a', deviceId: 'dev-1', hourIndex: 0, hourStart: hour(1), gpuCount: 1, pricePerGpuHourBaseUnits: 2_000_000n, computeBaseUnits: 2_000_000n, customerFeeBaseUnits: 45_000n },
  { kind: 'refund', sourceId: 'r-a1', leaseId: 'lease-a', deviceId: 'dev-1', hourIndex: 1, deviceHours: 1, amountBaseUnits: 2_045_000n, reason: 'time_lock_violated' },
  { kind: 'fee', sourceId: 'f-a', leaseId: 'lease-a', amountBaseUnits: 45_000n },
];

const issue = (overrides: Partial<InvoiceCommand> = {}): InvoiceCommand => ({ type: 'IssueInvoice', invoiceId: 'inv-1', organizationId: 'org-1', asset: 'USDC', periodStart, periodEnd, sources, at: periodEnd, ...overrides });

describe('invoices', () => {
  it('has a line per cluster and hour, the fees per cluster, refunds for the record, and totals that are the sums of the lines', () => {
    const { lines, totals } = buildInvoice(sources);
    expect(lines.map((l) => [l.kind, l.leaseId, l.deviceId, l.hourIndex, l.amountBaseUnits])).toEqual([
      ['charge', 'lease-a', 'dev-1', 0, 2_000_000n],
      ['charge', 'lease-a', 'dev-2', 0, 4_000_000n],
      ['fee', 'lease-a', '', 0, 180_000n],
      ['charge', 'lease-b', 'dev-1', 1, 1_000_000n],
      ['fee', 'lease-b', '', 0, 22_500n],
      ['refund', 'lease-a', 'dev-1', 1, 2_045_000n],
    ]);
    expect(totals).toEqual({ chargesBaseUnits: 7_000_000n, feesBaseUnits: 202_500n, refundsBaseUnits: 2_045_000n, totalBaseUnits: 7_202_500n });
  });

  it('is issued once per organization, asset and period, at its end, and not for an empty period', () => {
    const { lines, totals } = buildInvoice(sources);
    spec.given([]).when(issue()).then([{ type: 'InvoiceIssued', invoiceId: 'inv-1', organizationId: 'org-1', asset: 'USDC', periodStart, periodEnd, lines, totals, at: periodEnd }]);
    spec.given([{ type: 'InvoiceIssued', invoiceId: 'inv-1', organizationId: 'org-1', asset: 'USDC', periodStart, periodEnd, lines, totals, at: periodEnd }]).when(issue()).then([]);
    spec.given([]).when(issue({ sources: [] })).then([]);
    spec.given([]).when(issue({ at: new Date(periodEnd.getTime() - 1) })).thenRefused('BILLING.INVALID_PERIOD');
    spec.given([]).when(issue({ periodEnd: periodStart })).thenRefused('BILLING.INVALID_PERIOD');
  });
});
