import { create, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { eventContractProblem } from '@ionet/contracts';
import { DEFAULT_TOKENOMICS_PARAMETERS } from '@ionet/tokenomics';
import type { DepositEvent } from '../../domain/deposit/deposit.decider';
import { decideLeaseEscrow, evolveLeaseEscrow, initialLeaseEscrowState, type LeaseEscrowCommand, type LeaseEscrowEvent } from '../../domain/escrow/lease-escrow.decider';
import { decideInvoice, type InvoiceEvent } from '../../domain/invoice/invoice.decider';
import { decidePayout, type PayoutEvent } from '../../domain/payout/payout.decider';
import { depositEventCodec, invoiceEventCodec, leaseEscrowEventCodec, payoutEventCodec } from './money-event-codec';

const at = new Date('2026-12-01T10:00:00.123Z');

/** Encodes, checks the catalogue's publish rules (every *_id set, every Money valid), decodes. */
function roundTrip<E>(codec: { encode(e: E): { schema: DescMessage; data: unknown }; decode(m: never, t: string): E }, event: E): E {
  const { schema, data } = codec.encode(event);
  const message = create(schema, data as never);
  expect(eventContractProblem(schema, message)).toBeUndefined();
  return codec.decode(fromBinary(schema, toBinary(schema, message)) as never, schema.typeName);
}

/** Every escrow event a lease can produce, from the decider itself. */
function leaseHistory(): LeaseEscrowEvent[] {
  const parameters = DEFAULT_TOKENOMICS_PARAMETERS;
  const slot = { deviceId: 'dev-a', supplierId: 'sup-1', gpuCount: 2, pricePerGpuHour: { amountBaseUnits: 1_234_567n, asset: 'USDC' as const } };
  const commands: LeaseEscrowCommand[] = [
    { type: 'OpenFunding', fundingId: 'lease-1', creation: true, leaseId: 'lease-1', customerId: 'org-1', asset: 'USDC', slots: [slot], hours: 4, ioPriceUsdMicros: 0n, parameters, availableBaseUnits: 0n, deadline: at, sourceEventId: 'e1', at },
    { type: 'FundFromBalance', fundingId: 'lease-1', availableBaseUnits: 10n ** 12n, sourceEventId: 'e2', at: new Date(at.getTime() - 1) },
    { type: 'OpenFunding', fundingId: 'ext-1', creation: false, leaseId: 'lease-1', customerId: 'org-1', asset: 'USDC', slots: [], hours: 1, ioPriceUsdMicros: 0n, parameters, availableBaseUnits: 0n, deadline: at, sourceEventId: 'e3', at },
    { type: 'ExpireFunding', fundingId: 'ext-1', availableBaseUnits: 0n, sourceEventId: 'e4', at },
    { type: 'SettleHour', settlementId: 'c0', leaseId: 'lease-1', deviceId: 'dev-a', supplierId: 'sup-1', hourIndex: 0, gpuCount: 2, pricePerGpuHour: slot.pricePerGpuHour, outcome: 'proven', hourStart: at, hourEnd: at, parameters, sourceEventId: 'e5', at },
    { type: 'SettleHour', settlementId: 'r1', leaseId: 'lease-1', deviceId: 'dev-a', supplierId: 'sup-1', hourIndex: 1, gpuCount: 2, pricePerGpuHour: slot.pricePerGpuHour, outcome: 'unproven', hourStart: at, hourEnd: at, parameters, sourceEventId: 'e6', at },
    { type: 'Terminate', leaseId: 'lease-1', hoursUsed: 2, terminationReason: 'customer_cancelled', parameters, ids: { refundId: 'rt', feeId: 'ft', minimumId: 'mt', releaseId: 'rel' }, sourceEventId: 'e7', at },
  ];
  let state = initialLeaseEscrowState;
  const events: LeaseEscrowEvent[] = [];
  for (const c of commands) {
    const decided = decideLeaseEscrow(c, state);
    events.push(...decided);
    state = decided.reduce(evolveLeaseEscrow, state);
  }
  return events;
}

describe('money event codec', () => {
  it('round-trips every escrow event through protobuf bytes and the publish rules', () => {
    const events = leaseHistory();
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['EscrowFundingDeferred', 'EscrowLocked', 'EscrowLockFailed', 'UsageCharged', 'RefundIssued', 'FeeRetained', 'EscrowTerminationRecorded', 'EscrowReleased']));
    for (const event of events) expect(roundTrip(leaseEscrowEventCodec as never, event)).toEqual(event);
  });

  it('round-trips deposits, invoices (with fee and refund lines) and payouts', () => {
    const deposit: DepositEvent = { type: 'DepositReceived', depositId: 'd-1', organizationId: 'org-1', asset: 'IO', amountBaseUnits: 123_456_789_012n, method: 'io', externalReference: '', at };
    expect(roundTrip(depositEventCodec as never, deposit)).toEqual(deposit);
    const [invoice] = decideInvoice(
      {
        type: 'IssueInvoice',
        invoiceId: 'inv-1',
        organizationId: 'org-1',
        asset: 'USDC',
        periodStart: new Date('2026-11-30T00:00:00Z'),
        periodEnd: new Date('2026-12-01T00:00:00Z'),
        sources: [
          { kind: 'charge', sourceId: 'charge:c0', leaseId: 'lease-1', deviceId: 'dev-a', hourIndex: 0, hourStart: at, gpuCount: 2, pricePerGpuHourBaseUnits: 5n, computeBaseUnits: 10n, customerFeeBaseUnits: 1n },
          { kind: 'fee', sourceId: 'fee:f', leaseId: 'lease-1', amountBaseUnits: 3n },
          { kind: 'refund', sourceId: 'refund:r', leaseId: 'lease-1', deviceId: '', hourIndex: 0, deviceHours: 2, amountBaseUnits: 20n, reason: 'early_termination' },
        ],
        at,
      },
      { status: 'absent' },
    );
    expect(roundTrip(invoiceEventCodec as never, invoice as InvoiceEvent)).toEqual(invoice);
    const [payout] = decidePayout(
      {
        type: 'SchedulePayout',
        payoutId: 'p-1',
        periodStart: at,
        periodEnd: at,
        due: { supplierId: 'sup-1', asset: 'USDC', amountBaseUnits: 7n, charges: [{ chargeId: 'c0', supplierId: 'sup-1', asset: 'USDC', supplierEarningsBaseUnits: 7n, hourStart: at, hourEnd: at, leaseBookedHours: 1, leaseEndedAt: at }] },
        at,
      },
      { status: 'absent' },
    );
    expect(roundTrip(payoutEventCodec as never, payout as PayoutEvent)).toEqual(payout);
  });
});
