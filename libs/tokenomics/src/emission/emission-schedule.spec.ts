import {
  cumulativeEmission,
  cumulativeEmissionTable,
  EMISSION_EPOCHS,
  EMISSION_TOTAL_BASE_UNITS,
  emissionBetween,
  emissionForEpoch,
  exactSeriesFloor,
  GENESIS_SUPPLY_BASE_UNITS,
  MAX_SUPPLY_BASE_UNITS,
} from './emission-schedule';
import { DEFAULT_EPOCH_ONE_START_MS, EPOCH_DURATION_MS, epochAt, epochEndMs, epochStartMs } from './epoch-clock';

const IO = 100_000_000n;

/**
 * An independent oracle: the cumulative emission by summing the published terms one by one as exact
 * rationals, emission_t = 500,000,000 IO * (8% / 8760) * (1 - 0.0013886952395979300%)^(t-1), over the
 * common denominator 876,000 * 10^(19 (T-1)). No closed form, no interval arithmetic.
 */
function oracleCumulativeFloor(epochs: number): bigint {
  const decayed = 10n ** 19n - 138_869_523_959_793n; // (1 - 0.0000138869523959793) * 10^19
  const firstNumerator = 500_000_000n * IO * 8n; // over 100 * 8760 = 876,000
  let sum = 0n;
  let power = 1n;
  for (let t = 1; t <= epochs; t += 1) {
    sum += firstNumerator * power * 10n ** (19n * BigInt(epochs - t));
    power *= decayed;
  }
  return sum / (876_000n * 10n ** (19n * BigInt(epochs - 1)));
}

describe('emission schedule', () => {
  it('emits about 4,566.21 IO in the first hour, exactly floor(500M * 8% / 8760) base units', () => {
    expect(emissionForEpoch(1)).toBe((500_000_000n * IO * 8n) / 876_000n);
    expect(emissionForEpoch(1)).toBe(456_621_004_566n);
  });

  it('equals the floor of the exact series summed term by term', () => {
    for (let epoch = 1; epoch <= 40; epoch += 1) expect(cumulativeEmission(epoch)).toBe(oracleCumulativeFloor(epoch));
    for (const epoch of [97, 500, 1_000]) expect(exactSeriesFloor(epoch)).toBe(oracleCumulativeFloor(epoch));
  });

  it('sums to exactly 300,000,000 IO over 175,319 epochs and stays within the 800M cap', () => {
    const table = cumulativeEmissionTable();
    let sum = 0n;
    for (let epoch = 1; epoch <= EMISSION_EPOCHS; epoch += 1) sum += emissionForEpoch(epoch);
    expect(EMISSION_EPOCHS).toBe(175_319);
    expect(sum).toBe(300_000_000n * IO);
    expect(table[EMISSION_EPOCHS]).toBe(EMISSION_TOTAL_BASE_UNITS);
    expect(GENESIS_SUPPLY_BASE_UNITS + cumulativeEmission(EMISSION_EPOCHS)).toBe(MAX_SUPPLY_BASE_UNITS);
    expect(cumulativeEmission(EMISSION_EPOCHS + 1_000)).toBe(EMISSION_TOTAL_BASE_UNITS);
  });

  it('never emits a negative or increasing amount: every epoch emits at most the one before', () => {
    const offending: number[] = [];
    let previous = emissionForEpoch(1);
    for (let epoch = 2; epoch <= EMISSION_EPOCHS; epoch += 1) {
      const current = emissionForEpoch(epoch);
      if (current <= 0n || current > previous) offending.push(epoch);
      previous = current;
    }
    expect(offending).toEqual([]);
  });

  it('gives the last epoch the remainder, within a thousandth of an IO of the raw term', () => {
    const last = emissionForEpoch(EMISSION_EPOCHS);
    expect(last).toBe(EMISSION_TOTAL_BASE_UNITS - exactSeriesFloor(EMISSION_EPOCHS - 1));
    const raw = exactSeriesFloor(EMISSION_EPOCHS) - exactSeriesFloor(EMISSION_EPOCHS - 1);
    // The raw series overshoots 300M by 44,093 base units, which the last epoch gives up.
    expect(exactSeriesFloor(EMISSION_EPOCHS) - EMISSION_TOTAL_BASE_UNITS).toBe(raw - last);
    expect(raw - last).toBeGreaterThanOrEqual(0n);
    expect(raw - last).toBeLessThan(IO / 1_000n);
  });

  it('agrees between the lazily built table and the closed form across the whole range', () => {
    const table = cumulativeEmissionTable();
    const sample = [1, 2, 8_760, 8_761, 87_600, 123_457, EMISSION_EPOCHS - 2, EMISSION_EPOCHS - 1];
    for (let epoch = 7; epoch < EMISSION_EPOCHS; epoch += 4_999) sample.push(epoch);
    for (const epoch of sample) expect(table[epoch]).toBe(exactSeriesFloor(epoch));
  });

  it('emits nothing outside the schedule and rejects non-integer epochs', () => {
    expect(emissionForEpoch(0)).toBe(0n);
    expect(emissionForEpoch(-5)).toBe(0n);
    expect(emissionForEpoch(EMISSION_EPOCHS + 1)).toBe(0n);
    expect(cumulativeEmission(0)).toBe(0n);
    expect(() => emissionForEpoch(1.5)).toThrow('EMISSION.INVALID_EPOCH');
    expect(emissionBetween(1, 8_760)).toBe(cumulativeEmission(8_760));
    expect(emissionBetween(10, 9)).toBe(0n);
  });
});

describe('epoch clock', () => {
  it('starts epoch 1 at 2024-04-28T00:00Z and counts whole hours', () => {
    expect(DEFAULT_EPOCH_ONE_START_MS).toBe(Date.UTC(2024, 3, 28));
    expect(epochAt(Date.UTC(2024, 3, 28))).toBe(1);
    expect(epochAt(Date.UTC(2024, 3, 28, 0, 59, 59, 999))).toBe(1);
    expect(epochAt(Date.UTC(2024, 3, 28, 1))).toBe(2);
    expect(epochAt(Date.UTC(2024, 3, 27, 23, 59))).toBe(0);
    expect(epochStartMs(2)).toBe(DEFAULT_EPOCH_ONE_START_MS + EPOCH_DURATION_MS);
    expect(epochEndMs(1)).toBe(epochStartMs(2));
  });

  it('takes a configurable start', () => {
    const start = Date.UTC(2030, 0, 1);
    expect(epochAt(start + 5 * EPOCH_DURATION_MS + 1, start)).toBe(6);
    expect(epochAt(epochStartMs(EMISSION_EPOCHS, start), start)).toBe(EMISSION_EPOCHS);
  });
});

describe('emission input errors (issue 16 defects)', () => {
  const codeOf = (run: () => unknown) => {
    try {
      run();
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code ?? (error as Error).name;
    }
  };

  it('given an epoch that is not an integer, when emission is asked, then a typed error says so', () => {
    for (const epoch of [1.5, Number.NaN, Infinity, -Infinity]) {
      expect([epoch, codeOf(() => emissionForEpoch(epoch))]).toEqual([epoch, 'EMISSION.INVALID_EPOCH']);
      expect([epoch, codeOf(() => cumulativeEmission(epoch))]).toEqual([epoch, 'EMISSION.INVALID_EPOCH']);
      expect([epoch, codeOf(() => emissionBetween(1, epoch))]).toEqual([epoch, 'EMISSION.INVALID_EPOCH']);
      expect([epoch, codeOf(() => epochStartMs(epoch))]).toEqual([epoch, 'EMISSION.INVALID_EPOCH']);
    }
    expect(codeOf(() => epochAt(Number.NaN))).toBe('EMISSION.INVALID_TIME');
    expect(codeOf(() => epochStartMs(2, Number.NaN))).toBe('EMISSION.INVALID_TIME');
  });
});
