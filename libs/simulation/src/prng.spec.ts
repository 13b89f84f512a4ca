import { Prng } from './prng';

describe('Prng', () => {
  it('repeats its sequence for a seed and differs between neighbouring seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
    expect(sa.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
  });

  it('draws bounded integers roughly uniformly', () => {
    const prng = new Prng(7);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 60_000; i += 1) counts[prng.int(6)] += 1;
    for (const n of counts) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });

  it('stays within bigint ranges and honours weights', () => {
    const prng = new Prng(1);
    for (let i = 0; i < 1_000; i += 1) {
      const x = prng.bigintBetween(10n ** 20n, 10n ** 20n + 5n);
      expect(x >= 10n ** 20n && x <= 10n ** 20n + 5n).toBe(true);
    }
    const hits = [0, 0];
    for (let i = 0; i < 10_000; i += 1) hits[prng.weighted([1, 3])] += 1;
    expect(hits[1] / hits[0]).toBeGreaterThan(2.5);
    expect(hits[1] / hits[0]).toBeLessThan(3.5);
    expect(() => new Prng(-1)).toThrow(RangeError);
  });
});
