import { deciderSpec } from '@ionet/testing';
import { DEFAULT_TOKENOMICS_PARAMETERS, leaseFees } from '@ionet/tokenomics';
import { decideLeaseEscrow, evolveLeaseEscrow, initialLeaseEscrowState, type FundingTerms, type LeaseEscrowCommand, type LeaseEscrowEvent, type LeaseEscrowState } from './lease-escrow.decider';

const spec = deciderSpec({ decide: decideLeaseEscrow, evolve: evolveLeaseEscrow, initialState: initialLeaseEscrowState });
const parameters = DEFAULT_TOKENOMICS_PARAMETERS;
const at = new Date('2026-12-01T10:00:00Z');
const deadline = new Date('2026-12-01T10:20:00Z');
const usd = (amountBaseUnits: bigint) => ({ amountBaseUnits, asset: 'USDC' as const });

// Two devices: 2 GPUs at $2.00 and 1 GPU at $1.234567 per GPU-hour, 3 hours: fees that round.
const slots = [
  { deviceId: 'dev-a', supplierId: 'sup-1', gpuCount: 2, pricePerGpuHour: usd(2_000_000n) },
  { deviceId: 'dev-b', supplierId: 'sup-2', gpuCount: 1, pricePerGpuHour: usd(1_234_567n) },
];
const compute = 15_703_701n;
const fees = leaseFees(compute, 'USDC', parameters);
const terms: FundingTerms = {
  slots: [
    { deviceId: 'dev-a', supplierId: 'sup-1', gpuCount: 2, pricePerGpuHourBaseUnits: 2_000_000n },
    { deviceId: 'dev-b', supplierId: 'sup-2', gpuCount: 1, pricePerGpuHourBaseUnits: 1_234_567n },
  ],
  hours: 3,
  computeBaseUnits: compute,
  reservationFeeBaseUnits: fees.customer.reservationFeeBaseUnits,
  paymentFeeBaseUnits: fees.customer.paymentFeeBaseUnits,
  requiredBaseUnits: fees.customerPaysBaseUnits,
  ioPriceUsdMicros: 0n,
};
const common = { leaseId: 'lease-1', customerId: 'org-1', asset: 'USDC' as const };

const open = (availableBaseUnits: bigint, overrides: Partial<Extract<LeaseEscrowCommand, { type: 'OpenFunding' }>> = {}): LeaseEscrowCommand => ({
  type: 'OpenFunding',
  fundingId: 'lease-1',
  creation: true,
  ...common,
  slots,
  hours: 3,
  ioPriceUsdMicros: 0n,
  parameters,
  availableBaseUnits,
  deadline,
  sourceEventId: 'ev-created',
  at,
  ...overrides,
});
const locked: LeaseEscrowEvent = { type: 'EscrowLocked', fundingId: 'lease-1', terms, ...common, sourceEventId: 'ev-created', at };
const deferred: LeaseEscrowEvent = { type: 'EscrowFundingDeferred', fundingId: 'lease-1', terms, availableBaseUnits: 1_000_000n, deadline, ...common, sourceEventId: 'ev-created', at };

const hour = (deviceId: string, hourIndex: number, outcome: 'proven' | 'unproven' = 'proven'): LeaseEscrowCommand => {
  const slot = slots.find((s) => s.deviceId === deviceId)!;
  return {
    type: 'SettleHour',
    settlementId: `s-${deviceId}-${hourIndex}`,
    leaseId: 'lease-1',
    deviceId,
    supplierId: slot.supplierId,
    hourIndex,
    gpuCount: slot.gpuCount,
    pricePerGpuHour: slot.pricePerGpuHour,
    outcome,
    hourStart: new Date(at.getTime() + hourIndex * 3_600_000),
    hourEnd: new Date(at.getTime() + (hourIndex + 1) * 3_600_000),
    parameters,
    sourceEventId: `ev-hour-${deviceId}-${hourIndex}`,
    at,
  };
};

/** The events a history plus a command produce, folded: for amounts asserted across several steps. */
function run(history: LeaseEscrowEvent[], ...commands: LeaseEscrowCommand[]): { events: LeaseEscrowEvent[]; state: LeaseEscrowState } {
  let state = history.reduce(evolveLeaseEscrow, initialLeaseEscrowState);
  const events = [...history];
  for (const c of commands) {
    const decided = decideLeaseEscrow(c, state);
    events.push(...decided);
    state = decided.reduce(evolveLeaseEscrow, state);
  }
  return { events, state };
}

const escrowOf = (state: LeaseEscrowState) => (state.status === 'absent' ? 0n : state.escrowBaseUnits);

describe('lease escrow decider', () => {
  it('locks the quote total with the customer fees of @ionet/tokenomics when the balance covers it', () => {
    // $15.703701 at 25 bps reservation and 200 bps payment (USDC), each floored: 39,259 + 314,074.
    expect(fees.customer.reservationFeeBaseUnits).toBe(39_259n);
    expect(fees.customer.paymentFeeBaseUnits).toBe(314_074n);
    spec.given([]).when(open(fees.customerPaysBaseUnits)).then([locked]);
  });

  it('defers a funding whose balance is short, until the deadline', () => {
    spec.given([]).when(open(1_000_000n)).then([deferred]);
  });

  it('funds a deferred lease from a deposit inside the hold, and not after it', () => {
    const required = fees.customerPaysBaseUnits;
    spec
      .given([deferred])
      .when({ type: 'FundFromBalance', fundingId: 'lease-1', availableBaseUnits: required, sourceEventId: 'ev-deposit', at: new Date(deadline.getTime() - 1) })
      .then([{ ...locked, sourceEventId: 'ev-deposit', at: new Date(deadline.getTime() - 1) }]);
    spec.given([deferred]).when({ type: 'FundFromBalance', fundingId: 'lease-1', availableBaseUnits: required - 1n, sourceEventId: 'ev-deposit', at }).then([]);
    spec.given([deferred]).when({ type: 'FundFromBalance', fundingId: 'lease-1', availableBaseUnits: required, sourceEventId: 'ev-deposit', at: deadline }).then([]);
  });

  it('fails a deferred funding when the hold has passed, never before', () => {
    spec.given([deferred]).when({ type: 'ExpireFunding', fundingId: 'lease-1', availableBaseUnits: 5n, sourceEventId: 'job', at: new Date(deadline.getTime() - 1) }).then([]);
    spec
      .given([deferred])
      .when({ type: 'ExpireFunding', fundingId: 'lease-1', availableBaseUnits: 5n, sourceEventId: 'job', at: deadline })
      .then([{ type: 'EscrowLockFailed', fundingId: 'lease-1', requiredBaseUnits: terms.requiredBaseUnits, availableBaseUnits: 5n, reason: 'funding_window_expired', ...common, sourceEventId: 'job', at: deadline }]);
    spec.given([locked]).when({ type: 'ExpireFunding', fundingId: 'lease-1', availableBaseUnits: 0n, sourceEventId: 'job', at: deadline }).then([]);
  });

  it('opens a funding once: the same lease created again decides nothing', () => {
    spec.given([locked]).when(open(10n ** 12n)).then([]);
  });

  it('charges a proven hour: escrow to supplier earnings and both sides\' fees to the platform', () => {
    const hourFees = leaseFees(4_000_000n, 'USDC', parameters);
    spec
      .given([locked])
      .when(hour('dev-a', 0))
      .then([
        {
          type: 'UsageCharged',
          chargeId: 's-dev-a-0',
          supplierId: 'sup-1',
          deviceId: 'dev-a',
          hourIndex: 0,
          gpuCount: 2,
          pricePerGpuHourBaseUnits: 2_000_000n,
          computeBaseUnits: 4_000_000n,
          customerFeeBaseUnits: 90_000n,
          supplierFeeBaseUnits: 90_000n,
          grossBaseUnits: 4_090_000n,
          supplierEarningsBaseUnits: 3_910_000n,
          platformFeeBaseUnits: 180_000n,
          hourStart: at,
          hourEnd: new Date(at.getTime() + 3_600_000),
          ...common,
          sourceEventId: 'ev-hour-dev-a-0',
          at,
        },
      ]);
    expect(hourFees.customerPaysBaseUnits).toBe(hourFees.supplierReceivesBaseUnits + hourFees.platformFeesBaseUnits);
  });

  it('refunds an unproven hour with its fees, and settles each hour once', () => {
    spec
      .given([locked])
      .when(hour('dev-b', 1, 'unproven'))
      .then([{ type: 'RefundIssued', refundId: 's-dev-b-1', amountBaseUnits: 1_262_344n, reason: 'time_lock_violated', deviceId: 'dev-b', hourIndex: 1, deviceHours: 1, gpuCount: 1, hourStart: new Date(at.getTime() + 3_600_000), ...common, sourceEventId: 'ev-hour-dev-b-1', at }]);
    // The refunded hour says how many GPUs it was (the cost report's refunded GPU-hours) and when.
    expect(run([locked], hour('dev-a', 1, 'unproven')).events.find((e) => e.type === 'RefundIssued')).toMatchObject({ type: 'RefundIssued', deviceId: 'dev-a', gpuCount: 2, hourStart: new Date(at.getTime() + 3_600_000) });
    const { events } = run([locked], hour('dev-b', 1, 'unproven'));
    spec.given(events).when(hour('dev-b', 1, 'proven')).then([]);
  });

  it('refuses to charge a lease whose escrow is not locked', () => {
    spec.given([]).when(hour('dev-a', 0)).thenRefused('BILLING.LEASE_NOT_FUNDED');
    spec.given([deferred]).when(hour('dev-a', 0)).thenRefused('BILLING.LEASE_NOT_FUNDED');
  });

  it('refuses an hour the escrow cannot pay for', () => {
    const { events } = run([locked], hour('dev-a', 0), hour('dev-a', 1), hour('dev-a', 2), hour('dev-b', 0), hour('dev-b', 1), hour('dev-b', 2));
    spec.given(events).when(hour('dev-a', 3)).thenRefused('BILLING.ESCROW_EXHAUSTED');
  });

  it('a completed lease releases the rounding left in escrow once every hour is charged; money is conserved', () => {
    const all = [hour('dev-a', 0), hour('dev-b', 0), hour('dev-a', 1), hour('dev-b', 1), hour('dev-a', 2)];
    const terminate: LeaseEscrowCommand = { type: 'Terminate', leaseId: 'lease-1', hoursUsed: 3, terminationReason: 'completed', parameters, ids: { refundId: 'r', feeId: 'f', minimumId: 'm', releaseId: 'rel' }, sourceEventId: 'ev-term', at };
    const { events, state } = run([locked], ...all, terminate, hour('dev-b', 2));
    const charged = events.filter((e) => e.type === 'UsageCharged').reduce((s, e) => s + (e.type === 'UsageCharged' ? e.grossBaseUnits : 0n), 0n);
    const released = events.filter((e) => e.type === 'EscrowReleased');
    expect(events.find((e) => e.type === 'EscrowTerminationRecorded')).toMatchObject({ hoursUsed: 3, hoursRefunded: 0, pendingDeviceHours: 1 });
    expect(released).toHaveLength(1);
    // Fees on the whole lease (floored once) are at least the sum of the hourly floors: the difference is released.
    expect(charged + (released[0] as { amountBaseUnits: bigint }).amountBaseUnits).toBe(terms.requiredBaseUnits);
    expect(escrowOf(state)).toBe(0n);
  });

  it('early termination refunds the unused hours except the first hour, keeps their fees, and releases the rest', () => {
    const terminate: LeaseEscrowCommand = { type: 'Terminate', leaseId: 'lease-1', hoursUsed: 1, terminationReason: 'customer_cancelled', parameters, ids: { refundId: 'r', feeId: 'f', minimumId: 'm', releaseId: 'rel' }, sourceEventId: 'ev-term', at };
    const { events } = run([locked], terminate);
    const decided = events.slice(1);
    // Hours 2 and 3 of both devices: 2 x ($4.00 + $1.234567) back; their customer fees kept.
    const feesKept = 2n * (leaseFees(4_000_000n, 'USDC', parameters).customer.totalFeeBaseUnits + leaseFees(1_234_567n, 'USDC', parameters).customer.totalFeeBaseUnits);
    expect(feesKept).toBe(2n * (90_000n + 27_777n));
    expect(decided).toEqual([
      { type: 'EscrowTerminationRecorded', bookedHours: 3, hoursUsed: 1, hoursRefunded: 2, pendingDeviceHours: 2, terminationReason: 'customer_cancelled', ...common, sourceEventId: 'ev-term', at },
      { type: 'RefundIssued', refundId: 'r', amountBaseUnits: 10_469_134n, reason: 'early_termination', deviceId: '', hourIndex: 0, deviceHours: 4, gpuCount: 0, ...common, sourceEventId: 'ev-term', at },
      { type: 'FeeRetained', feeId: 'f', amountBaseUnits: feesKept, reason: 'early_termination_fees', ...common, sourceEventId: 'ev-term', at },
    ]);
    // The used hour is still charged when it is reported; then the escrow is empty.
    const after = run(events, hour('dev-a', 0), hour('dev-b', 0));
    expect(after.events.at(-1)).toMatchObject({ type: 'EscrowReleased' });
    expect(escrowOf(after.state)).toBe(0n);
    spec.given(after.events).when(hour('dev-a', 1)).thenRefused('BILLING.LEASE_NOT_FUNDED');
    spec.given(after.events).when(terminate).then([]);
  });

  it('a lease ended before its first hour was reported keeps that hour as a minimum charge, and nothing stays locked', () => {
    const terminate: LeaseEscrowCommand = { type: 'Terminate', leaseId: 'lease-1', hoursUsed: 0, terminationReason: 'customer_cancelled', parameters, ids: { refundId: 'r', feeId: 'f', minimumId: 'm', releaseId: 'rel' }, sourceEventId: 'ev-term', at };
    const { events, state } = run([locked], terminate);
    const firstHour = leaseFees(4_000_000n, 'USDC', parameters).customerPaysBaseUnits + leaseFees(1_234_567n, 'USDC', parameters).customerPaysBaseUnits;
    expect(events.slice(1).map((e) => [e.type, 'amountBaseUnits' in e ? e.amountBaseUnits : undefined, 'reason' in e ? e.reason : undefined])).toEqual([
      ['EscrowTerminationRecorded', undefined, undefined],
      ['RefundIssued', 10_469_134n, 'early_termination'],
      ['FeeRetained', 2n * (90_000n + 27_777n), 'early_termination_fees'],
      ['FeeRetained', firstHour, 'first_hour_minimum'],
      ['EscrowReleased', terms.requiredBaseUnits - 10_469_134n - 2n * (90_000n + 27_777n) - firstHour, undefined],
    ]);
    expect(escrowOf(state)).toBe(0n);
    spec.given(events).when(hour('dev-a', 0)).thenRefused('BILLING.LEASE_NOT_FUNDED');
  });

  it('termination fails a funding still waiting for a deposit', () => {
    spec
      .given([deferred])
      .when({ type: 'Terminate', leaseId: 'lease-1', hoursUsed: 0, terminationReason: 'funding_failed', parameters, ids: { refundId: 'r', feeId: 'f', minimumId: 'm', releaseId: 'rel' }, sourceEventId: 'ev-term', at })
      .then([
        { type: 'EscrowLockFailed', fundingId: 'lease-1', requiredBaseUnits: terms.requiredBaseUnits, availableBaseUnits: 0n, reason: 'lease_terminated', ...common, sourceEventId: 'ev-term', at },
        { type: 'EscrowTerminationRecorded', bookedHours: 0, hoursUsed: 0, hoursRefunded: 0, pendingDeviceHours: 0, terminationReason: 'funding_failed', ...common, sourceEventId: 'ev-term', at },
      ]);
  });

  it('an extension locks more hours of the same devices', () => {
    const extension = open(10n ** 12n, { fundingId: 'ext-1', creation: false, slots: [], hours: 2, sourceEventId: 'ev-ext' });
    const extCompute = 10_469_134n;
    const extFees = leaseFees(extCompute, 'USDC', parameters);
    spec
      .given([locked])
      .when(extension)
      .then([
        {
          type: 'EscrowLocked',
          fundingId: 'ext-1',
          terms: { slots: [], hours: 2, computeBaseUnits: extCompute, reservationFeeBaseUnits: extFees.customer.reservationFeeBaseUnits, paymentFeeBaseUnits: extFees.customer.paymentFeeBaseUnits, requiredBaseUnits: extFees.customerPaysBaseUnits, ioPriceUsdMicros: 0n },
          ...common,
          sourceEventId: 'ev-ext',
          at,
        },
      ]);
    spec.given([]).when(extension).thenRefused('BILLING.LEASE_NOT_FOUND');
    const { state } = run([locked], extension);
    expect(state.status !== 'absent' && state.bookedHours).toBe(5);
  });

  it('prices an IO lease at the IO price fixed when it was opened, rounded up, with no payment fee', () => {
    // $2.00 at $0.50 per IO = 4 IO a GPU-hour; IO pays the reservation fee only.
    const io = run([], open(10n ** 15n, { asset: 'IO', ioPriceUsdMicros: 500_000n, slots: [slots[0]!], hours: 1 }));
    const lockedIo = io.events[0] as Extract<LeaseEscrowEvent, { type: 'EscrowLocked' }>;
    expect(lockedIo.terms.computeBaseUnits).toBe(8n * 100_000_000n);
    expect(lockedIo.terms.paymentFeeBaseUnits).toBe(0n);
    expect(lockedIo.terms.reservationFeeBaseUnits).toBe(2_000_000n);
    const charged = decideLeaseEscrow({ ...(hour('dev-a', 0) as Extract<LeaseEscrowCommand, { type: 'SettleHour' }>) }, io.state);
    expect(charged[0]).toMatchObject({ type: 'UsageCharged', asset: 'IO', computeBaseUnits: 800_000_000n, grossBaseUnits: 802_000_000n, supplierEarningsBaseUnits: 798_000_000n, platformFeeBaseUnits: 4_000_000n });
  });
});
