import { deciderSpec } from '@ionet/testing';
import { decidePayout, duePayouts, evolvePayout, initialPayoutState, isDue, type UnpaidCharge } from './payout.decider';

const spec = deciderSpec({ decide: decidePayout, evolve: evolvePayout, initialState: initialPayoutState });
const day = (d: number, h = 0) => new Date(Date.UTC(2026, 11, d, h));

const charge = (overrides: Partial<UnpaidCharge>): UnpaidCharge => ({
  chargeId: 'c-1',
  supplierId: 'sup-1',
  asset: 'USDC',
  supplierEarningsBaseUnits: 1_000n,
  hourStart: day(1, 10),
  hourEnd: day(1, 11),
  leaseBookedHours: 4,
  leaseEndedAt: null,
  ...overrides,
});

describe('payouts', () => {
  it('pays a lease shorter than a day at its end, not while it runs', () => {
    expect(isDue(charge({}), day(1, 12))).toBe(false);
    expect(isDue(charge({ leaseEndedAt: day(1, 14) }), day(1, 13))).toBe(false);
    expect(isDue(charge({ leaseEndedAt: day(1, 14) }), day(1, 14))).toBe(true);
  });

  it('pays a lease of a day or more daily: an hour once its UTC day is over', () => {
    const long = charge({ leaseBookedHours: 48, hourStart: day(1, 22), hourEnd: day(1, 23) });
    expect(isDue(long, day(1, 23))).toBe(false);
    expect(isDue(long, day(2, 0))).toBe(true);
    expect(isDue(charge({ leaseBookedHours: 48, hourStart: day(1, 23), hourEnd: day(2, 0) }), day(2, 0))).toBe(true);
  });

  it('groups what is due by supplier and asset, summing the earnings exactly', () => {
    const due = duePayouts(
      [
        charge({ chargeId: 'a', leaseEndedAt: day(1, 12), supplierEarningsBaseUnits: 3n }),
        charge({ chargeId: 'b', leaseEndedAt: day(1, 12), supplierEarningsBaseUnits: 4n, hourStart: day(1, 9) }),
        charge({ chargeId: 'c', leaseEndedAt: day(1, 12), supplierId: 'sup-2', supplierEarningsBaseUnits: 5n }),
        charge({ chargeId: 'd', leaseEndedAt: day(1, 12), asset: 'IO', supplierEarningsBaseUnits: 6n }),
        charge({ chargeId: 'e', supplierEarningsBaseUnits: 100n }),
      ],
      day(1, 13),
    );
    expect(due.map((d) => [d.supplierId, d.asset, d.amountBaseUnits, d.charges.map((c) => c.chargeId)])).toEqual([
      ['sup-1', 'IO', 6n, ['d']],
      ['sup-1', 'USDC', 7n, ['b', 'a']],
      ['sup-2', 'USDC', 5n, ['c']],
    ]);
  });

  it('schedules a payout once under its id (supplier, period) and refuses one that does not add up', () => {
    const [due] = duePayouts([charge({ leaseEndedAt: day(1, 12) })], day(1, 13));
    const command = { type: 'SchedulePayout' as const, payoutId: 'p-1', periodStart: day(1, 12), periodEnd: day(1, 13), due: due!, at: day(1, 13) };
    const scheduled = { type: 'PayoutScheduled' as const, payoutId: 'p-1', supplierId: 'sup-1', asset: 'USDC' as const, amountBaseUnits: 1_000n, periodStart: day(1, 12), periodEnd: day(1, 13), chargeIds: ['c-1'], deviceHours: 1, at: day(1, 13) };
    spec.given([]).when(command).then([scheduled]);
    spec.given([scheduled]).when(command).then([]);
    spec.given([]).when({ ...command, due: { ...due!, amountBaseUnits: 999n } }).thenRefused('BILLING.INVALID_AMOUNT');
  });
});
