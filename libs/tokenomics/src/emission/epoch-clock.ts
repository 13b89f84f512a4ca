import { TokenomicsError } from '../tokenomics.errors';

export const EPOCH_DURATION_MS = 3_600_000;

/** 2024-04-28T00:00:00Z, when io.net's epoch 1 began. */
export const DEFAULT_EPOCH_ONE_START_MS = 1_714_262_400_000;

/**
 * The epoch containing `atMs`: epoch T covers [start + (T-1) h, start + T h). Times before the start
 * give 0 or less and times after the schedule give more than EMISSION_EPOCHS; both emit nothing.
 */
export function epochAt(atMs: number, epochOneStartMs: number = DEFAULT_EPOCH_ONE_START_MS): number {
  if (!Number.isFinite(atMs) || !Number.isFinite(epochOneStartMs)) throw new TokenomicsError('EMISSION.INVALID_TIME', 'times must be finite milliseconds');
  return Math.floor((atMs - epochOneStartMs) / EPOCH_DURATION_MS) + 1;
}

export function epochStartMs(epoch: number, epochOneStartMs: number = DEFAULT_EPOCH_ONE_START_MS): number {
  if (!Number.isSafeInteger(epoch)) throw new TokenomicsError('EMISSION.INVALID_EPOCH', `epoch must be an integer, got ${epoch}`);
  if (!Number.isSafeInteger(epochOneStartMs)) throw new TokenomicsError('EMISSION.INVALID_TIME', `epoch 1 start ${epochOneStartMs} is not an integer millisecond`);
  return epochOneStartMs + (epoch - 1) * EPOCH_DURATION_MS;
}

/** The first millisecond after the epoch; an epoch closes when time reaches it. */
export function epochEndMs(epoch: number, epochOneStartMs: number = DEFAULT_EPOCH_ONE_START_MS): number {
  return epochStartMs(epoch + 1, epochOneStartMs);
}
