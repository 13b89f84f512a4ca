export interface BackoffOptions {
  initialDelayMs: number;
  delayMsMax: number;
  /** 0..1: the share of each delay that is randomised, so many consumers do not retry in step. */
  jitterRatio: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 100, delayMsMax: 10_000, jitterRatio: 0.2 };

/** Capped exponential backoff: initial * 2^attempt, never above delayMsMax. attempt counts from 0. */
export function backoffDelayMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const base = Math.min(options.delayMsMax, options.initialDelayMs * 2 ** exponent);
  const jitter = base * options.jitterRatio * (random() * 2 - 1);
  return Math.max(0, Math.min(options.delayMsMax, Math.round(base + jitter)));
}

/** Sleeps in slices of at most sliceMs so a caller can heartbeat or notice a stop. */
export async function sleepInSlices(totalMs: number, sliceMs: number, onSlice: () => Promise<boolean | void> | boolean | void): Promise<void> {
  const deadline = Date.now() + totalMs;
  for (let remaining = totalMs; remaining > 0; remaining = deadline - Date.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(sliceMs, remaining)));
    if ((await onSlice()) === false) return;
  }
}
