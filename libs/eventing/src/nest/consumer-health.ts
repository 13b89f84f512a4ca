import type { ConsumerRunner } from '../consumer/consumer-runner';

/** The token under which libraries contribute readiness checks to @ionet/platform's /health/ready.
 *  A string, so neither library imports the other; platform declares the same string. */
export const HEALTH_CHECK_CONTRIBUTIONS = 'ionet.health-check-contributions';

/** The shape of @ionet/platform's HealthCheck (structural). */
export interface ContributedHealthCheck {
  name: string;
  timeoutMs: number;
  probe(): Promise<unknown>;
}

/** A batch retried past this long means its partition is stuck on a fault: not ready. */
export const CONSUMER_STUCK_AFTER_MS = 60_000;

/** Down while any consumer has retried one batch for longer than `stuckAfterMs`, naming it. */
export function consumersHealthCheck(runners: () => ConsumerRunner[], stuckAfterMs = CONSUMER_STUCK_AFTER_MS): ContributedHealthCheck {
  return {
    name: 'consumers',
    timeoutMs: 1_000,
    probe: async () => {
      const now = Date.now();
      const stuck = runners()
        .flatMap((r) => r.retryingBatches())
        .filter((b) => now - b.sinceMs >= stuckAfterMs);
      if (stuck.length === 0) return;
      const first = stuck[0]!;
      throw new Error(
        `${stuck.length} batch(es) stuck; ${first.groupId} ${first.topic}[${first.partition}] @${first.firstOffset}: ${first.attempts} attempts in ${Math.round((now - first.sinceMs) / 1000)} s, last error: ${first.lastError}`,
      );
    },
  };
}
