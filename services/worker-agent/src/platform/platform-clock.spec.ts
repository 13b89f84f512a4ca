import { PlatformClock } from './platform-clock';

describe('the platform clock as the agent estimates it', () => {
  it('runs from the last sync at the platform\'s rate, and ignores answers without a clock', () => {
    let wall = 1_000_000;
    const saved: unknown[] = [];
    const clock = new PlatformClock(undefined, () => wall, (s) => saved.push(s));
    expect(clock.nowMs()).toBe(1_000_000);
    clock.observe({ platformTime: '2026-12-01T00:00:00.000Z', clockRate: 60 });
    wall += 1_000;
    expect(new Date(clock.nowMs()).toISOString()).toBe('2026-12-01T00:01:00.000Z');
    expect(clock.wallMsUntil(Date.parse('2026-12-01T01:00:00.000Z'))).toBe(59_000);
    clock.observe({ platformTime: 'soon', clockRate: 60 });
    clock.observe({ platformTime: '2026-12-01T00:00:00.000Z', clockRate: 0 });
    expect(saved).toHaveLength(1);
  });

  it('never stamps a heartbeat earlier than the one before, even when a re-sync moves the estimate back', () => {
    let wall = 0;
    const clock = new PlatformClock({ platformTimeMs: 10_000, wallTimeMs: 0, clockRate: 1 }, () => wall);
    wall = 5_000;
    const first = clock.stampMs();
    clock.observe({ platformTime: new Date(12_000).toISOString(), clockRate: 1 });
    const second = clock.stampMs(first);
    expect(first).toBe(15_000);
    expect(second).toBe(15_001);
  });
});
