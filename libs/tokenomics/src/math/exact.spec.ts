import { apportion, bpsOfFloor, mulDivCeil, mulDivFloor } from './exact';

describe('exact arithmetic', () => {
  it('rounds down and up as named', () => {
    expect(mulDivFloor(10n, 1n, 3n)).toBe(3n);
    expect(mulDivCeil(10n, 1n, 3n)).toBe(4n);
    expect(mulDivCeil(9n, 1n, 3n)).toBe(3n);
    expect(bpsOfFloor(1_999n, 25)).toBe(4n); // 4.9975
    expect(() => mulDivFloor(-1n, 1n, 1n)).toThrow(RangeError);
  });

  describe('apportion (largest remainder)', () => {
    it('sums exactly to the total and gives each part its floor or floor + 1', () => {
      const weights = [
        { key: 'a', weight: 3n },
        { key: 'b', weight: 3n },
        { key: 'c', weight: 1n },
      ];
      for (let total = 0n; total < 60n; total += 1n) {
        const parts = apportion(total, weights);
        expect([...parts.values()].reduce((s, v) => s + v, 0n)).toBe(total);
        for (const { key, weight } of weights) {
          const floor = (total * weight) / 7n;
          expect([floor, floor + 1n]).toContain(parts.get(key));
        }
      }
    });

    it('breaks ties by key, whatever the input order', () => {
      const forward = apportion(2n, [
        { key: 'x', weight: 1n },
        { key: 'y', weight: 1n },
        { key: 'z', weight: 1n },
      ]);
      const backward = apportion(2n, [
        { key: 'z', weight: 1n },
        { key: 'y', weight: 1n },
        { key: 'x', weight: 1n },
      ]);
      expect(Object.fromEntries(forward)).toEqual({ x: 1n, y: 1n, z: 0n });
      expect(Object.fromEntries(backward)).toEqual(Object.fromEntries(forward));
    });

    it('gives the leftover to the largest remainder first and nothing to zero weights', () => {
      // 10 * 5/8 = 6.25, 10 * 3/8 = 3.75: the leftover unit goes to b.
      expect(Object.fromEntries(apportion(10n, [{ key: 'a', weight: 5n }, { key: 'b', weight: 3n }, { key: 'c', weight: 0n }]))).toEqual({ a: 6n, b: 4n, c: 0n });
      expect(() => apportion(1n, [{ key: 'a', weight: 0n }])).toThrow(RangeError);
    });
  });
});
