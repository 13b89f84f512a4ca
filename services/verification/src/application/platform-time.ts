import type { PlatformClockSync } from '@ionet/agent-protocol';
import type { Clock } from '@ionet/platform';

/** The clock's rate (1 = real time). */
export function clockRate(clock: Clock): number {
  return (clock as Clock & { rate?: number }).rate ?? 1;
}

/** What every answer to an agent carries, so it stamps heartbeats in platform time. */
export function platformSync(clock: Clock): PlatformClockSync {
  return { platformTime: clock.now().toISOString(), clockRate: clockRate(clock) };
}

/** A wall duration as platform time on this clock. */
export function platformMs(clock: Clock, wallMs: number): number {
  return wallMs * clockRate(clock);
}
