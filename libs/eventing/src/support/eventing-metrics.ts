/** How a consumed event ended: applied by the handler, dropped as already applied (same event id),
 *  or recorded as a dead letter (contract failure). */
export type ConsumedOutcome = 'applied' | 'duplicate' | 'dead_lettered';

/** What the library reports its throughput and lag through. No metrics library is imported here:
 *  an application passes an adapter (`createEventingMetrics(registry)` of @ionet/platform for
 *  prom-client), which fits this interface structurally. Calls are synchronous, on the hot path:
 *  keep them cheap. */
export interface EventingMetrics {
  /** `count` events appended to streams of `streamType` and committed. */
  appended(streamType: string, count: number): void;
  /** `count` events the outbox relay published to `topic` (acknowledged by Kafka). */
  published(topic: string, count: number): void;
  /** `count` events of one committed batch of consumer `group` on `topic` ended with `outcome`. */
  consumed(group: string, topic: string, outcome: ConsumedOutcome, count: number): void;
  /** Wall time of one committed batch of consumer `group`, retries included. */
  batchDuration(group: string, seconds: number): void;
  /** Messages of `topic[partition]` not yet applied by `group` (high watermark - next offset),
   *  as of the batch just committed. */
  lag(group: string, topic: string, partition: number, lag: number): void;
  /** Failed attempts of the batch of `topic[partition]` that `group` is retrying now (0 once it
   *  committed): above zero for long, the partition is stuck on a fault. */
  batchRetries?(group: string, topic: string, partition: number, attempts: number): void;
}

const NOOP: EventingMetrics = Object.freeze({
  appended: () => undefined,
  published: () => undefined,
  consumed: () => undefined,
  batchDuration: () => undefined,
  lag: () => undefined,
  batchRetries: () => undefined,
});

export const NOOP_EVENTING_METRICS: EventingMetrics = NOOP;

/** The metrics a component reports through: the no-op without an adapter, else the adapter with
 *  every call guarded, so a failing metrics call (a bad label, a bug in the adapter) never fails
 *  an append, a publication or a batch that already committed. */
export function eventingMetrics(metrics: EventingMetrics | undefined, onError?: (err: unknown) => void): EventingMetrics {
  if (!metrics || metrics === NOOP) return NOOP;
  let reported = false;
  const guard =
    <A extends unknown[]>(call: (...args: A) => void) =>
    (...args: A): void => {
      try {
        call(...args);
      } catch (err) {
        // Report the first failure only: a broken adapter would otherwise log on every event.
        if (!reported) {
          reported = true;
          onError?.(err);
        }
      }
    };
  return {
    appended: guard((streamType: string, count: number) => metrics.appended(streamType, count)),
    published: guard((topic: string, count: number) => metrics.published(topic, count)),
    consumed: guard((group: string, topic: string, outcome: ConsumedOutcome, count: number) => metrics.consumed(group, topic, outcome, count)),
    batchDuration: guard((group: string, seconds: number) => metrics.batchDuration(group, seconds)),
    lag: guard((group: string, topic: string, partition: number, lag: number) => metrics.lag(group, topic, partition, lag)),
    batchRetries: guard((group: string, topic: string, partition: number, attempts: number) => metrics.batchRetries?.(group, topic, partition, attempts)),
  };
}
