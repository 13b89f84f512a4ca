/** When each attempt of a delivery runs, after the previous one failed: Svix's schedule
 *  (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), about 27 h 35 min in all. Times are on
 *  the service's clock, so an accelerated clock runs the whole schedule in seconds. */
export const RETRY_SCHEDULE_MS: readonly number[] = [0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];
export const DELIVERY_ATTEMPTS_MAX = RETRY_SCHEDULE_MS.length;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A 2xx answer delivers; anything else (another status, a timeout, a refused connection, a
 *  redirect, which is never followed) is a failed attempt. */
export function isDelivered(statusCode: number | undefined): boolean {
  return statusCode !== undefined && statusCode >= 200 && statusCode < 300;
}

export type AfterAttempt =
  | { status: 'delivered' }
  | { status: 'pending'; nextAttempt: number; nextAttemptAt: Date }
  | { status: 'failed' };

/** What a scheduled attempt (0-based `attempt`) leaves the delivery in. */
export function afterScheduledAttempt(attempt: number, delivered: boolean, at: Date): AfterAttempt {
  if (!Number.isSafeInteger(attempt) || attempt < 0 || attempt >= DELIVERY_ATTEMPTS_MAX) throw new RangeError(`attempt ${attempt} is outside the schedule`);
  if (delivered) return { status: 'delivered' };
  const next = attempt + 1;
  if (next >= DELIVERY_ATTEMPTS_MAX) return { status: 'failed' };
  return { status: 'pending', nextAttempt: next, nextAttemptAt: new Date(at.getTime() + RETRY_SCHEDULE_MS[next]!) };
}

/** An endpoint is disabled when a delivery ran out of attempts and nothing at all reached the
 *  endpoint since that delivery's first attempt: it has been failing for the whole schedule
 *  (about a day), not just for one bad message. */
export function shouldDisableEndpoint(input: { deliveryFirstAttemptAt: Date; endpointLastDeliveredAt: Date | undefined }): boolean {
  return input.endpointLastDeliveredAt === undefined || input.endpointLastDeliveredAt.getTime() < input.deliveryFirstAttemptAt.getTime();
}
