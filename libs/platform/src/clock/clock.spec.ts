import { AcceleratedClock, CLOCK_RATE_MAX, SystemClock, createClock, wallDelayMs } from './clock';

const ORIGIN = '2026-12-01T00:00:00.000Z';
const originMs = Date.parse(ORIGIN);
const HOUR_MS = 3_600_000;

describe('clock', () => {
  it('is the system clock at rate 1', () => {
    const clock = createClock({ CLOCK_RATE: 1 });
    expect(clock).toBeInstanceOf(SystemClock);
    const before = Date.now();
    const now = clock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('at rate 60 lives one hour per wall minute from the origin', () => {
    let wall = originMs;
    const clock = createClock({ CLOCK_RATE: 60, CLOCK_ORIGIN: ORIGIN }, () => wall);
    expect(clock.now().toISOString()).toBe(ORIGIN);
    wall += 60_000;
    expect(clock.now().toISOString()).toBe('2026-12-01T01:00:00.000Z');
    wall += 23 * 60_000;
    expect(clock.now().toISOString()).toBe('2026-12-02T00:00:00.000Z');
  });

  it('agrees across processes that share the settings, whenever each started', () => {
    const wall = originMs + 7 * 60_000 + 123;
    const a = new AcceleratedClock(new Date(ORIGIN), 60, () => wall);
    const b = createClock({ CLOCK_RATE: 60, CLOCK_ORIGIN: '2026-12-01T01:00:00+01:00' }, () => wall);
    expect(a.now().getTime()).toBe(b.now().getTime());
    expect(a.now().getTime()).toBe(originMs + (7 * 60_000 + 123) * 60);
  });

  it('never runs backwards and keeps exact milliseconds at a fractional rate', () => {
    let wall = originMs + 1_000;
    const clock = new AcceleratedClock(new Date(ORIGIN), 2.5, () => wall);
    const seen: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      wall += i % 3;
      seen.push(clock.now().getTime());
    }
    expect(seen.every((t, i) => i === 0 || t >= seen[i - 1]!)).toBe(true);
    expect(seen.every((t) => Number.isInteger(t))).toBe(true);
  });

  it('converts clock durations to wall delays', () => {
    expect(wallDelayMs(new SystemClock(), HOUR_MS)).toBe(HOUR_MS);
    expect(wallDelayMs(new AcceleratedClock(new Date(ORIGIN), 60), HOUR_MS)).toBe(60_000);
    expect(wallDelayMs(new AcceleratedClock(new Date(ORIGIN), CLOCK_RATE_MAX), 1)).toBe(1);
  });

  it('refuses an origin that is not an instant, and rates below 1 or above the maximum', () => {
    expect(() => createClock({ CLOCK_RATE: 60 })).toThrow(/CLOCK_ORIGIN/);
    expect(() => new AcceleratedClock(new Date('not a date'), 60)).toThrow(RangeError);
    for (const rate of [0.5, 0, -60, CLOCK_RATE_MAX + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new AcceleratedClock(new Date(ORIGIN), rate)).toThrow(RangeError);
    }
  });
});
