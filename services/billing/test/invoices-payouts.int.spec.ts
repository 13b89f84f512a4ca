import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { commonV1, inventoryV1, leasingV1 } from '@ionet/contracts';
import { waitFor } from '@ionet/testing';
import { randomUUID } from 'node:crypto';
import { hourFees, MoneyTestKit, slotsOf } from './support/money-test-kit';

jest.setTimeout(120_000);

type Line = { kind: string; leaseId: string; deviceId: string; hourIndex: number; amountBaseUnits: string };
type Invoice = { invoiceId: string; asset: string; lines: Line[]; chargesBaseUnits: string; feesBaseUnits: string; totalBaseUnits: string };
type Payout = { payoutId: string; supplierId: string; amountBaseUnits: string; deviceHours: number; status: string };

/**
 * The scheduled jobs on an accelerated clock (one hour a wall second, as a demo runs): invoices are
 * issued at the end of each clock hour (INVOICE_PERIOD_MS), payouts looked for every clock hour.
 */
describe('invoices and payouts on the service clock', () => {
  let kit: MoneyTestKit;

  beforeAll(async () => {
    kit = await MoneyTestKit.launch('billing-jobs', { CLOCK_RATE: '3600', CLOCK_ORIGIN: new Date().toISOString(), INVOICE_PERIOD_MS: '3600000', PAYOUT_RUN_EVERY_MS: '3600000' });
  });

  afterAll(async () => kit?.stop());

  it('invoices every charged hour with its fees, and pays the supplier its earnings once the short lease ended', async () => {
    const acme = await kit.organization('Acme invoices');
    const ridge = await kit.organization('Ridge farm', 'supplier');
    const supplierId = randomUUID();
    // Inventory's fact that the supplier belongs to the Ridge organization (billing projects it).
    await kit.publish('inventory', inventoryV1.SupplierRegisteredSchema, supplierId, {
      supplierId,
      tenantId: ridge.organizationId,
      displayName: 'Ridge',
      source: commonV1.SupplySource.MINING_FARM,
      registeredAt: timestampFromDate(new Date()),
    });
    await kit.deposit(acme.organizationId, 100_000_000n);
    const leaseId = randomUUID();
    const slots = slotsOf(supplierId);
    await kit.leaseCreated(leaseId, acme.organizationId, slots, 2);
    await kit.waitPublished('EscrowLocked', leaseId);
    for (const hour of [0, 1]) for (const slot of slots) await kit.hourCompleted(leaseId, acme.organizationId, slot, hour, leasingV1.LeaseHourOutcome.PROVEN);
    await kit.terminated(leaseId, acme.organizationId, leasingV1.LeaseTerminationReason.COMPLETED, 2, 0);
    await kit.waitPublished('UsageCharged', leaseId, 4);
    await kit.waitPublished('EscrowTerminationRecorded', leaseId);

    // The charges may fall in more than one clock hour: every one of them is on exactly one invoice.
    const invoices = await waitFor(
      'the four charged device-hours on invoices',
      async () => {
        const page = await kit.call('GET', '/v1/invoices?limit=200', { key: acme.key });
        const items = (page.body.items ?? []) as unknown as Invoice[];
        return items.flatMap((i) => i.lines).filter((l) => l.kind === 'charge' && l.leaseId === leaseId).length === 4 ? items : undefined;
      },
      30_000,
    );
    const lines = invoices.flatMap((i) => i.lines).filter((l) => l.leaseId === leaseId);
    const charged = (gpus: number) => hourFees(gpus);
    expect(lines.filter((l) => l.kind === 'charge').map((l) => BigInt(l.amountBaseUnits)).reduce((a, b) => a + b, 0n)).toBe(2n * (charged(2).amountBaseUnits + charged(1).amountBaseUnits));
    expect(lines.filter((l) => l.kind === 'fee').map((l) => BigInt(l.amountBaseUnits)).reduce((a, b) => a + b, 0n)).toBe(2n * (charged(2).customer.totalFeeBaseUnits + charged(1).customer.totalFeeBaseUnits));
    for (const invoice of invoices) {
      expect(BigInt(invoice.totalBaseUnits)).toBe(BigInt(invoice.chargesBaseUnits) + BigInt(invoice.feesBaseUnits));
      const one = await kit.call('GET', `/v1/invoices/${invoice.invoiceId}`, { key: acme.key });
      expect(one.body).toMatchObject({ invoiceId: invoice.invoiceId, totalBaseUnits: invoice.totalBaseUnits });
      expect((await kit.call('GET', `/v1/invoices/${invoice.invoiceId}`, { key: ridge.key })).body.code).toBe('BILLING.INVOICE_NOT_FOUND');
    }
    // Each invoice is also a published fact (InvoiceIssued), for the ledger and webhooks.
    await waitFor('the invoices published', () => {
      const ids = new Set(kit.published.filter((p) => p.type === 'ionet.billing.v1.InvoiceIssued').map((p) => (p.event as { invoiceId: string }).invoiceId));
      return invoices.every((i) => ids.has(i.invoiceId)) ? true : undefined;
    });

    const payouts = await waitFor(
      "Ridge's payout for the four device-hours",
      async () => {
        const page = await kit.call('GET', '/v1/payouts', { key: ridge.key });
        const items = (page.body.items ?? []) as unknown as Payout[];
        return items.reduce((s, p) => s + p.deviceHours, 0) === 4 ? items : undefined;
      },
      30_000,
    );
    expect(payouts.every((p) => p.supplierId === supplierId && p.status === 'due')).toBe(true);
    expect(payouts.reduce((s, p) => s + BigInt(p.amountBaseUnits), 0n)).toBe(2n * (charged(2).supplierReceivesBaseUnits + charged(1).supplierReceivesBaseUnits));
    // Later runs (one every wall second here) pay nothing twice.
    await new Promise((r) => setTimeout(r, 2_500));
    const again = (await kit.call('GET', '/v1/payouts', { key: ridge.key })).body.items as unknown as Payout[];
    expect(again.map((p) => p.payoutId).sort()).toEqual(payouts.map((p) => p.payoutId).sort());
    await waitFor('the payouts published once each', () => (kit.published.filter((p) => p.type === 'ionet.billing.v1.PayoutScheduled').length === payouts.length ? true : undefined));
    // The supplier organization's transactions are its earnings, hour by hour.
    const earnings = (await kit.call('GET', '/v1/transactions', { key: ridge.key })).body.items as Array<{ subtype: string; amountBaseUnits: string; feeBaseUnits: string }>;
    expect(earnings.map((t) => t.subtype)).toEqual(['earning', 'earning', 'earning', 'earning']);
    expect(earnings.reduce((s, t) => s + BigInt(t.amountBaseUnits), 0n)).toBe(2n * (charged(2).supplierReceivesBaseUnits + charged(1).supplierReceivesBaseUnits));
    expect(earnings.reduce((s, t) => s + BigInt(t.feeBaseUnits), 0n)).toBe(2n * (charged(2).supplier.totalFeeBaseUnits + charged(1).supplier.totalFeeBaseUnits));
    // A customer key is not a supplier's.
    expect((await kit.call('GET', '/v1/payouts', { key: acme.key })).status).toBe(403);
  });
});
