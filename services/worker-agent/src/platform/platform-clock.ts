import type { PlatformClockSync } from '@ionet/agent-protocol';
import type { ClockSync } from '../state/state-dir';

/** The platform's clock as the agent estimates it between answers: the last `platformTime` plus the
 *  wall time since, scaled by `clockRate` (60 under `npm start`: an hour a minute). */
export class PlatformClock {
  private sync: ClockSync | undefined;
  private lastIssuedMs = -Infinity;

  constructor(
    initial: ClockSync | undefined,
    private readonly wallNowMs: () => number,
    private readonly onSync: (sync: ClockSync) => void = () => undefined,
  ) {
    this.sync = initial;
  }

  /** Takes the clock from an answer; an answer without a valid one changes nothing. */
  observe(answer: Partial<PlatformClockSync> | undefined): void {
    const platformTimeMs = typeof answer?.platformTime === 'string' ? Date.parse(answer.platformTime) : Number.NaN;
    const clockRate = answer?.clockRate;
    if (Number.isNaN(platformTimeMs) || typeof clockRate !== 'number' || !(clockRate > 0) || clockRate > 10_000) return;
    this.sync = { platformTimeMs, wallTimeMs: this.wallNowMs(), clockRate };
    this.onSync(this.sync);
  }

  rate(): number {
    return this.sync?.clockRate ?? 1;
  }

  synced(): boolean {
    return this.sync !== undefined;
  }

  nowMs(): number {
    if (!this.sync) return this.wallNowMs();
    return Math.round(this.sync.platformTimeMs + (this.wallNowMs() - this.sync.wallTimeMs) * this.sync.clockRate);
  }

  /** Platform time for a heartbeat: never earlier than one already stamped (a re-sync can move the
   *  estimate back a little; a chain's times only go forward). */
  stampMs(notBeforeMs = -Infinity): number {
    const t = Math.max(this.nowMs(), this.lastIssuedMs + 1, notBeforeMs + 1);
    this.lastIssuedMs = t;
    return t;
  }

  /** Wall milliseconds until a platform time (a job's `endsAt`). */
  wallMsUntil(platformTimeMs: number): number {
    return (platformTimeMs - this.nowMs()) / this.rate();
  }
}
