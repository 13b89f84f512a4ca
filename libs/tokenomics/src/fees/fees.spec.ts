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
