import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  const noJitter = { initialDelayMs: 100, delayMsMax: 5_000, jitterRatio: 0 };

  it('doubles from the initial delay and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelayMs(a, noJitter))).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });

  it('keeps jitter within its ratio and under the cap', () => {
    const options = { initialDelayMs: 1_000, delayMsMax: 1_500, jitterRatio: 0.2 };
    expect(backoffDelayMs(0, options, () => 0)).toBe(800);
    expect(backoffDelayMs(0, options, () => 1)).toBe(1_200);
    expect(backoffDelayMs(3, options, () => 1)).toBe(1_500);
  });
});
