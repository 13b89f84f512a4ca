import { Asset } from '@ionet/ledger';
import { ParameterSchedule } from '../parameters/parameter-schedule';
import { DEFAULT_TOKENOMICS_PARAMETERS as P } from '../parameters/tokenomics-parameters';
import { planBuyback } from './buyback';
import { creditsForUsdc, leaseFees, usdMicrosInAsset } from './fees';

describe('lease fees', () => {
  it('charge 0.25% reservation and 2% payment to both sides in USDC', () => {
    const f = leaseFees(100_000_000n, 'USDC', P); // 100 USDC
    expect(f.customer).toEqual({ reservationFeeBaseUnits: 250_000n, paymentFeeBaseUnits: 2_000_000n, totalFeeBaseUnits: 2_250_000n });
    expect(f.supplier).toEqual(f.customer);
    expect(f.customerPaysBaseUnits).toBe(102_250_000n);
    expect(f.supplierReceivesBaseUnits).toBe(97_750_000n);
    expect(f.platformFeesBaseUnits).toBe(4_500_000n);
  });

  it('charge no payment fee in IO and the USDC rate in credits', () => {
    expect(leaseFees(1_000_000_000n, 'IO', P).customer.paymentFeeBaseUnits).toBe(0n);
    expect(leaseFees(1_000_000_000n, 'IO', P).customer.reservationFeeBaseUnits).toBe(2_500_000n);
    expect(leaseFees(1_000_000n, 'CREDIT', P).customer.paymentFeeBaseUnits).toBe(20_000n);
  });

  it('round each fee down and keep customer pays = supplier receives + platform fees', () => {
    for (const amount of [0n, 1n, 39n, 40n, 399n, 12_345_678n, 999_999_999_999n]) {
      for (const asset of ['USDC', 'IO', 'CREDIT'] as const) {
        const f = leaseFees(amount, asset, P);
        // floor: fee * 10,000 <= amount * bps < (fee + 1) * 10,000
        expect(f.customer.reservationFeeBaseUnits * 10_000n <= amount * 25n).toBe(true);
        expect((f.customer.reservationFeeBaseUnits + 1n) * 10_000n > amount * 25n).toBe(true);
        expect(f.customerPaysBaseUnits).toBe(f.supplierReceivesBaseUnits + f.platformFeesBaseUnits);
      }
    }
    expect(leaseFees(39n, 'USDC', P).customer.reservationFeeBaseUnits).toBe(0n);
    expect(leaseFees(40n, 'USDC', P).customer.reservationFeeBaseUnits).toBe(0n);
    expect(leaseFees(400n, 'USDC', P).customer.reservationFeeBaseUnits).toBe(1n);
  });

  it('convert dollar prices to IO rounding up, and credits 1:1 with USDC', () => {
    // $2.00 at $1.50 per IO = 1.333... IO, rounded up to 133,333,334 base units.
    expect(usdMicrosInAsset(2_000_000n, 'IO', 1_500_000n)).toBe(133_333_334n);
    expect(usdMicrosInAsset(2_000_000n, 'USDC', 1_500_000n)).toBe(2_000_000n);
    expect(creditsForUsdc(1_000_000n)).toBe(1_000_000n);
    expect(() => usdMicrosInAsset(1n, 'IO', 0n)).toThrow('FEES.INVALID_INPUT');
  });
});

describe('fee input that must be refused', () => {
  it('given fee rates that together exceed 100% on one side, when they are set or used, then they are refused instead of paying the supplier a negative amount', () => {
    const greedy = { ...P, reservationFeeBps: 6_000, paymentFeeBps: { USDC: 5_000, IO: 0, CREDIT: 200 } };
    expect(() => ParameterSchedule.of(greedy)).toThrow('PARAMS.INVALID');
    expect(() => ParameterSchedule.of().apply({ changeId: 'x', decidedAtMs: 0, effectiveFromMs: 0, changes: { reservationFeeBps: 8_001, paymentFeeBps: { USDC: 2_000, IO: 0, CREDIT: 0 } } })).toThrow(
      'PARAMS.INVALID',
    );
    expect(() => leaseFees(1_000n, 'USDC', greedy)).toThrow('FEES.INVALID_INPUT');
    // Exactly 100% is the most a side can pay: the supplier receives nothing, never less.
    const all = { ...P, reservationFeeBps: 8_000, paymentFeeBps: { USDC: 2_000, IO: 0, CREDIT: 200 } };
    expect(ParameterSchedule.of(all).at(0).reservationFeeBps).toBe(8_000);
    expect(leaseFees(1_000n, 'USDC', all).supplierReceivesBaseUnits).toBe(0n);
  });

  it('given an unknown asset or a rate that is not an integer 0..10,000 bps, when fees are computed, then a typed error refuses it', () => {
    expect(() => leaseFees(1_000n, 'BTC' as Asset, P)).toThrow('FEES.INVALID_INPUT');
    expect(() => leaseFees(1_000n, 'USDC', { ...P, reservationFeeBps: -1 })).toThrow('FEES.INVALID_INPUT');
    expect(() => leaseFees(1_000n, 'USDC', { ...P, reservationFeeBps: 2.5 })).toThrow('FEES.INVALID_INPUT');
    expect(() => usdMicrosInAsset(1n, 'BTC' as Asset, 1n)).toThrow('FEES.INVALID_INPUT');
  });

  it('given a buyback share above 100% or negative, when a buyback is planned, then it is refused rather than funding operations with a negative amount', () => {
    const input = { revenueUsdcBaseUnits: 1_000n, carriedUsdcBaseUnits: 0n, ioPriceUsdMicrosPerIo: 1_000_000n };
    expect(() => planBuyback({ ...input, buybackShareBps: 10_001 })).toThrow('FEES.INVALID_INPUT');
    expect(() => planBuyback({ ...input, buybackShareBps: -1 })).toThrow('FEES.INVALID_INPUT');
    expect(planBuyback({ ...input, buybackShareBps: 10_000 }).toOperationsUsdcBaseUnits).toBe(0n);
  });
});

describe('buyback', () => {
  it('spends the governed share at the price, burns whole base units and carries the dust', () => {
    const plan = planBuyback({ revenueUsdcBaseUnits: 1_000_001n, carriedUsdcBaseUnits: 5n, buybackShareBps: 5_000, ioPriceUsdMicrosPerIo: 3_000_000n });
    expect(plan.toBuybackUsdcBaseUnits).toBe(500_000n);
    expect(plan.toOperationsUsdcBaseUnits).toBe(500_001n);
    // 500,005 micro-dollars at $3 per IO = 0.16666833 IO.
    expect(plan.ioToBurnBaseUnits).toBe(16_666_833n);
    expect(plan.usdcSpentBaseUnits).toBe(500_005n);
    expect(plan.usdcCarriedBaseUnits).toBe(0n);
  });

  it('never spends more than is available, whatever the price', () => {
    for (const price of [1n, 7n, 999_999n, 1_234_567n, 10n ** 12n]) {
      const plan = planBuyback({ revenueUsdcBaseUnits: 777_777n, carriedUsdcBaseUnits: 3n, buybackShareBps: 3_333, ioPriceUsdMicrosPerIo: price });
      const available = plan.toBuybackUsdcBaseUnits + 3n;
      expect(plan.usdcSpentBaseUnits + plan.usdcCarriedBaseUnits).toBe(available);
      expect(plan.usdcCarriedBaseUnits >= 0n).toBe(true);
      // One more IO base unit would cost more than what is carried.
      expect((plan.ioToBurnBaseUnits + 1n) * price > available * 100_000_000n).toBe(true);
    }
  });
});
