import { emissionForEpoch } from '@ionet/tokenomics';
import { onEpochClosed, onEscrowLocked, onFeeRetained, onUsageCharged } from './ledger-decisions';

const at = new Date('2026-12-01T10:30:00Z');
const usdc = (n: bigint) => ({ amountBaseUnits: n, asset: 'USDC' });
const idOf = (...parts: string[]) => parts.join('/');
const inputs = { eventId: 'evt-1', idOf };
/** What billing adds to each lock beyond the money (not read by these rules). */
const lockTerms = { fundingId: 'l1', computeAmount: usdc(2_000_000n), sourceEventId: 'v0', ioPriceUsdMicros: 0n, slots: [], hours: 2 };

describe('ledger process managers: each decision keyed by what caused it', () => {
  it('funds a lease once per lease with what its escrow holds; a later lock (an extension) addresses the same decision', () => {
    const decisions = onEscrowLocked({ escrowId: 'e1', leaseId: 'l1', customerId: 'c1', amount: usdc(2_045_000n), reservationFee: usdc(5_000n), paymentFee: usdc(40_000n), lockedAt: at, ...lockTerms }, inputs);
    expect(decisions).toEqual([
      { streamKey: ['lease-funded', 'l1'], streamType: 'ledger-lease-funding', decision: { type: 'LeaseFunded', leaseId: 'l1', customerId: 'c1', escrowId: 'e1', escrowed: usdc(2_045_000n), sourceEventId: 'evt-1', fundedAt: at } },
    ]);
    const again = onEscrowLocked({ escrowId: 'e2', leaseId: 'l1', customerId: 'c1', amount: usdc(1_000n), reservationFee: usdc(0n), paymentFee: usdc(0n), lockedAt: at, ...lockTerms }, { ...inputs, eventId: 'evt-2' });
    expect(again.map((d) => d.streamKey)).toEqual([['lease-funded', 'l1']]);
  });

  it('requests the buyback share of fees retained at a termination', () => {
    const [request] = onFeeRetained({ feeId: 'f', leaseId: 'l1', customerId: 'c1', amount: usdc(45_001n), reason: 'early_termination', sourceEventId: 'v', retainedAt: at }, inputs);
    expect(request).toMatchObject({ streamKey: ['buyback-request', 'evt-1'], decision: { type: 'BuybackRequested', revenue: usdc(45_001n), buybackAmount: usdc(22_500n), buybackShareBasisPoints: 5_000 } });
  });

  it('requests the buyback share of a charged hour\'s fees (floored), and decides no payout: billing\'s PayoutScheduled is the payout (ADR 0323)', () => {
    const charge = {
      chargeId: 'ch1', leaseId: 'l1', customerId: 'c1', supplierId: 's1', deviceId: 'd1', hourIndex: 3,
      gross: usdc(1_000_001n), supplierEarnings: usdc(977_500n), platformFee: usdc(22_501n), sourceEventId: 'v', chargedAt: at,
      computeAmount: usdc(988_750n), customerFee: usdc(11_251n), supplierFee: usdc(11_250n), gpuCount: 1, pricePerGpuHour: usdc(988_750n), hourStart: at, hourEnd: at,
    };
    const decisions = onUsageCharged(charge, inputs);
    expect(decisions).toEqual([
      {
        streamKey: ['buyback-request', 'evt-1'],
        streamType: 'ledger-buyback-request',
        decision: { type: 'BuybackRequested', buybackRequestId: 'buyback-request/evt-1', revenue: usdc(22_501n), buybackShareBasisPoints: 5_000, buybackAmount: usdc(11_250n), sourceEventId: 'evt-1', requestedAt: at },
      },
    ]);
    // A fee of one base unit has no share to buy back: nothing is decided.
    expect(onUsageCharged({ ...charge, supplierEarnings: usdc(0n), platformFee: usdc(1n) }, inputs)).toEqual([]);
  });

  it("requests each epoch's scheduled emission once, and nothing outside the schedule", () => {
    const closed = { epochNumber: 1n, epochStart: at, epochEnd: at, eligibleGpuDeviceHours: 1n, eligibleCpuDeviceHours: 0n, closedAt: at };
    const [mint] = onEpochClosed(closed, inputs);
    expect(mint!.streamKey).toEqual(['emission-mint', '1']);
    expect(mint!.decision).toMatchObject({ type: 'EmissionMintRequested', epochNumber: 1n, amount: { amountBaseUnits: emissionForEpoch(1), asset: 'IO' } });
    expect(onEpochClosed({ ...closed, epochNumber: 0n }, inputs)).toEqual([]);
    expect(onEpochClosed({ ...closed, epochNumber: 175_320n }, inputs)).toEqual([]);
  });
});
