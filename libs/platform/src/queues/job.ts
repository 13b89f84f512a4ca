import type { PoolClient } from 'pg';
import type { Clock } from '../clock/clock';
import type { QueueDefinition } from './queues';

/** What a processor knows about the run it is in. */
export interface JobContext {
  /** The job's id in BullMQ (deterministic for added jobs). */
  jobId: string;
  /** The id of the side effect, recorded as done in `job_effects` in the transaction `tx`. */
  effectId: string;
  /** 0 on the first attempt. */
  attempt: number;
  /** The open transaction that records the effect as done: write the effect's own rows with it, so
   *  both commit or neither does. An effect outside PostgreSQL (a chain transfer, a webhook) passes
   *  `effectId` to the other system as its idempotency key. */
  tx: PoolClient;
  clock: Clock;
  /** For a scheduled job: the clock period it stands for (the last one completed when it fired). */
  period?: { index: number; start: Date; end: Date };
}

/** A job kind: a class with a typed payload, run by `process` once per effect id. */
export interface JobProcessor<Payload> {
  process(payload: Payload, context: JobContext): Promise<void>;
}

export interface JobKind<Payload> {
  queue: QueueDefinition<Payload>;
  name: string;
}

/** A processor class and its job kind (set by @QueueJob). */
export type JobClass<Payload> = (new (...args: never[]) => JobProcessor<Payload>) & { readonly jobKind?: JobKind<Payload> };

/** Declares a class as the processor of one job kind on one queue:
 *  `@QueueJob(QUEUES.payouts, 'settle-payout') class SettlePayoutJob implements JobProcessor<SettlePayout> {...}`. */
export function QueueJob<Payload>(queue: QueueDefinition<Payload>, name: string) {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new Error(`job name ${name} must be lower-case kebab-case`);
  return (target: new (...args: never[]) => JobProcessor<Payload>): void => {
    Object.defineProperty(target, 'jobKind', { value: { queue, name } satisfies JobKind<Payload>, enumerable: false });
  };
}

export function jobKindOf<P>(job: JobClass<P>): JobKind<P> {
  const kind = job.jobKind;
  if (!kind) throw new Error(`${job.name} is not decorated with @QueueJob`);
  return kind;
}

/** What travels in BullMQ: the payload and the W3C trace context of whoever added the job. */
export interface JobEnvelope<Payload> {
  payload: Payload;
  trace?: Record<string, string>;
  /** Set on jobs fired by a scheduler. */
  schedule?: { schedulerId: string; everyClockMs: number };
}
