/** The one source of time outside the domain. Domain code takes time from its commands and events;
 *  handlers, process managers and schedulers read it here, so a test or a demo can run faster. */
export interface Clock {
  now(): Date;
}

/** Injection token of the process's clock (provided globally by PlatformModule). */
export const CLOCK = Symbol('ionet.clock');

/** One hour a second: the fastest rate a process agrees to (beyond it, BullMQ's scheduling
 *  granularity and clock skew between hosts make "the same time" meaningless). */
export const CLOCK_RATE_MAX = 3_600;

export class SystemClock implements Clock {
  readonly rate = 1;

  now(): Date {
    return new Date();
  }
}

/** now = origin + (wall now - origin) * rate. Every process given the same origin and rate agrees
 *  on the time (to the skew of their hosts' clocks, times the rate), without talking to each other. */
export class AcceleratedClock implements Clock {
  private readonly originMs: number;

  constructor(
    readonly origin: Date,
    readonly rate: number,
    private readonly wallNowMs: () => number = Date.now,
  ) {
    if (!Number.isFinite(origin.getTime())) throw new RangeError('the clock origin is not a valid instant');
    if (!Number.isFinite(rate) || rate < 1 || rate > CLOCK_RATE_MAX) throw new RangeError(`the clock rate must be from 1 to ${CLOCK_RATE_MAX}`);
    this.originMs = origin.getTime();
  }

  now(): Date {
    return new Date(this.originMs + Math.floor((this.wallNowMs() - this.originMs) * this.rate));
  }
}

/** The settings every service reads the same way (validated by baseConfigSchema). */
export interface ClockSettings {
  CLOCK_RATE: number;
  CLOCK_ORIGIN?: string;
}

export function createClock(settings: ClockSettings, wallNowMs: () => number = Date.now): Clock & { readonly rate: number } {
  if (settings.CLOCK_RATE === 1) return new SystemClock();
  if (!settings.CLOCK_ORIGIN) throw new RangeError('an accelerated clock needs CLOCK_ORIGIN');
  return new AcceleratedClock(new Date(settings.CLOCK_ORIGIN), settings.CLOCK_RATE, wallNowMs);
}

/** How long to wait on the wall clock for `clockMs` to pass on this clock (a timer, a BullMQ
 *  delay or repeat interval): an hour of an accelerated clock at rate 60 is a minute of waiting.
 *  At least 1 ms, so a timer never spins. */
export function wallDelayMs(clock: Clock, clockMs: number): number {
  const rate = clock instanceof AcceleratedClock ? clock.rate : 1;
  return Math.max(1, Math.ceil(clockMs / rate));
}
