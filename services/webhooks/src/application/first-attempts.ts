import type { Clock, Logger } from '@ionet/platform';
import type { Pool } from 'pg';
import { afterScheduledAttempt, isDelivered, RETRY_SCHEDULE_MS } from '../domain/delivery/retry-schedule';
import type { SendOutcome } from '../infrastructure/delivery/webhook-sender';
import { attemptHeaders, liveSecrets, scheduledAttempt, wallClockSeconds, type AttemptJob, type AttemptResult } from './delivery-attempts';
import type { DeliveryStart, DeliveryStarter, DeliveryTarget } from './fan-out';

/** Where the attempts this process does not run go (BullMQ): new deliveries, and next attempts. */
export interface AttemptQueue extends DeliveryStarter {
  addMany(jobs: Array<{ job: AttemptJob; delayClockMs: number }>): Promise<void>;
}

export interface FirstAttemptsOptions {
  pool: Pool;
  sender: { send(url: string, headers: Record<string, string>, body: string): Promise<SendOutcome> };
  clock: Clock;
  logger: Logger;
  queue: AttemptQueue;
  /** Attempts in flight in this process. */
  concurrency: number;
  /** Attempts in flight to one endpoint (its receiver sees at most this many connections from us). */
  endpointConcurrency: number;
  /** Wall time a delivery may wait here for a free slot; after it, BullMQ's workers take it. Well
   *  under the sweeper's first-attempt lease, so the sweeper never re-queues one still here. */
  handOverAfterMs: number;
  onAttempt?(outcome: AttemptResult['outcome']): void;
  wallSeconds?: () => number;
  /** The wall clock in ms, for the hand-over time (tests move it). */
  wallNowMs?: () => number;
  /** Pause before an attempt's record is tried again (default 1 s). */
  recordRetryDelayMs?: number;
}

/** Deliveries waiting here at most; beyond it new ones go to BullMQ at once (memory stays bounded). */
const WAITING_MAX = 20_000;
/** Attempts recorded in one statement at most. */
const RECORD_BATCH_MAX = 1_000;
const RECORD_RETRY_DELAY_MS = 1_000;
/** Statements one attempt's record gets before it is left to the sweeper. */
const RECORD_TRIES_MAX = 5;

interface Waiting {
  deliveryId: string;
  target: DeliveryTarget;
  queuedAtMs: number;
}

interface Lane {
  endpointId: string;
  waiting: Waiting[];
  inFlight: number;
  /** In the runnable list (has waiting deliveries and a free slot). */
  runnable: boolean;
}

export interface FirstAttemptOutcome {
  deliveryId: string;
  webhookEndpointId: string;
  at: Date;
  sent: SendOutcome;
}

/**
 * The first attempt of each new delivery, straight from the fan-out's committed batch to the
 * receiver (ADR 0341): no BullMQ job and no database read per delivery. Bounded concurrency per
 * endpoint and per process, endpoints served in turn; the attempts are recorded a batch per
 * statement (the attempt row keyed by (delivery, scheduled.0), so nothing is recorded twice), and
 * the failed ones get their next attempt as a BullMQ job, like every later attempt.
 *
 * A crash between a send and its record leaves the delivery pending at attempt 0: the sweeper
 * re-queues it once the first-attempt lease ran out and the receiver gets the same webhook-id
 * again (at-least-once). A delivery recorded as delivered is never sent again by this path.
 */
export class FirstAttempts implements DeliveryStarter {
  private readonly lanes = new Map<string, Lane>();
  private readonly runnable: Lane[] = [];
  private runnableHead = 0;
  private waitingCount = 0;
  private inFlight = 0;
  private readonly sending = new Set<Promise<void>>();
  private outcomes: FirstAttemptOutcome[] = [];
  /** Outcomes of a batch whose statement failed, recorded one per statement. */
  private readonly isolated: Array<{ outcome: FirstAttemptOutcome; tries: number }> = [];
  private recording: Promise<void> | undefined;
  private closed = false;
  private readonly wallSeconds: () => number;
  private readonly wallNowMs: () => number;

  constructor(private readonly o: FirstAttemptsOptions) {
    this.wallSeconds = o.wallSeconds ?? wallClockSeconds;
    this.wallNowMs = o.wallNowMs ?? Date.now;
  }

  start(deliveries: DeliveryStart[]): void {
    const elsewhere: DeliveryStart[] = [];
    const now = this.wallNowMs();
    for (const d of deliveries) {
      // Not read with the fan-out, or an endpoint no longer active (the worker ends those as failed).
      if (this.closed || !d.target || d.target.endpointStatus !== 'active' || this.waitingCount >= WAITING_MAX) {
        elsewhere.push(d);
        continue;
      }
      const lane = this.laneOf(d.target.webhookEndpointId);
      lane.waiting.push({ deliveryId: d.deliveryId, target: d.target, queuedAtMs: now });
      this.waitingCount++;
      this.markRunnable(lane);
    }
    this.handOver(elsewhere);
    this.pump();
  }

  /** Stops taking deliveries, hands the waiting ones to BullMQ, waits for the attempts in flight
   *  (each bounded by the sender's timeout) and their records. */
  async close(): Promise<void> {
    this.closed = true;
    const waiting: DeliveryStart[] = [];
    for (const lane of this.lanes.values()) waiting.push(...lane.waiting.splice(0).map((w) => ({ deliveryId: w.deliveryId })));
    this.waitingCount = 0;
    this.handOver(waiting);
    await Promise.allSettled([...this.sending]);
    await this.recording;
  }

  private laneOf(endpointId: string): Lane {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = { endpointId, waiting: [], inFlight: 0, runnable: false };
      this.lanes.set(endpointId, lane);
    }
    return lane;
  }

  private markRunnable(lane: Lane): void {
    if (lane.runnable || lane.waiting.length === 0 || lane.inFlight >= this.o.endpointConcurrency) return;
    lane.runnable = true;
    this.runnable.push(lane);
  }

  private nextRunnable(): Lane | undefined {
    if (this.runnableHead >= this.runnable.length) return undefined;
    const lane = this.runnable[this.runnableHead++]!;
    if (this.runnableHead > 1_024 && this.runnableHead * 2 > this.runnable.length) {
      this.runnable.splice(0, this.runnableHead);
      this.runnableHead = 0;
    }
    lane.runnable = false;
    return lane;
  }

  /** Starts attempts while slots are free, one endpoint after another. */
  private pump(): void {
    const late: DeliveryStart[] = [];
    const now = this.wallNowMs();
    while (this.inFlight < this.o.concurrency) {
      const lane = this.nextRunnable();
      if (!lane) break;
      const next = lane.waiting.shift()!;
      this.waitingCount--;
      if (now - next.queuedAtMs > this.o.handOverAfterMs) late.push({ deliveryId: next.deliveryId });
      else this.send(lane, next);
      this.markRunnable(lane);
    }
    this.handOver(late);
  }

  private send(lane: Lane, w: Waiting): void {
    lane.inFlight++;
    this.inFlight++;
    const t = w.target;
    const attempt = (async () => {
      let sent: SendOutcome;
      try {
        const secrets = liveSecrets(t.secret, t.previousSecret, t.previousSecretExpiresAt, this.o.clock.now());
        sent = await this.o.sender.send(t.url, attemptHeaders(w.deliveryId, secrets, this.wallSeconds(), t.body), t.body);
      } catch (err) {
        sent = { durationMs: 0, error: (err as Error).message };
      }
      this.o.onAttempt?.(isDelivered(sent.statusCode) ? 'delivered' : 'failed');
      this.outcomes.push({ deliveryId: w.deliveryId, webhookEndpointId: t.webhookEndpointId, at: this.o.clock.now(), sent });
      this.recording ??= this.record().finally(() => {
        this.recording = undefined;
      });
    })().finally(() => {
      this.sending.delete(attempt);
      lane.inFlight--;
      this.inFlight--;
      if (lane.inFlight === 0 && lane.waiting.length === 0) this.lanes.delete(lane.endpointId);
      else this.markRunnable(lane);
      this.pump();
    });
    this.sending.add(attempt);
  }

  /** Records what piled up while the previous statement ran: one statement per batch. A batch
   *  that fails is recorded one attempt per statement, so one unrecordable attempt holds up no
   *  other; an attempt that fails alone is retried a few times, then left to the sweeper. */
  private async record(): Promise<void> {
    while (this.outcomes.length > 0 || this.isolated.length > 0) {
      const alone = this.isolated.shift();
      const batch = alone ? [alone.outcome] : this.outcomes.splice(0, RECORD_BATCH_MAX);
      try {
        const retries = await recordFirstAttempts(this.o.pool, batch);
        if (retries.length > 0) {
          await this.o.queue
            .addMany(retries.map((deliveryId) => ({ job: { deliveryId, attemptKey: scheduledAttempt(1) }, delayClockMs: RETRY_SCHEDULE_MS[1]! })))
            // The sweeper queues them once they are overdue.
            .catch((err: Error) => this.o.logger.warn({ err: err.message, deliveries: retries.length }, 'queueing second attempts failed'));
        }
      } catch (err) {
        const message = (err as Error).message;
        if (!alone) {
          this.o.logger.warn({ err: message, attempts: batch.length }, 'recording first attempts failed; recording them one by one');
          this.isolated.push(...batch.map((outcome) => ({ outcome, tries: 0 })));
          continue;
        }
        const tries = alone.tries + 1;
        if (this.closed || tries >= RECORD_TRIES_MAX) {
          // Not recorded: the sweeper re-queues it after the lease (the receiver sees it twice).
          this.o.logger.warn({ err: message, deliveryId: alone.outcome.deliveryId, tries }, 'first attempt not recorded; the sweeper sends it again');
          continue;
        }
        this.isolated.push({ outcome: alone.outcome, tries });
        await new Promise((resolve) => setTimeout(resolve, this.o.recordRetryDelayMs ?? RECORD_RETRY_DELAY_MS));
      }
    }
  }

  private handOver(deliveries: DeliveryStart[]): void {
    if (deliveries.length > 0) this.o.queue.start(deliveries.map((d) => ({ deliveryId: d.deliveryId })));
  }
}

/**
 * Records first attempts in one statement: each attempt row (on conflict nothing: recorded once),
 * the delivery's next state where it still waits for attempt 0, and the endpoint's last success
 * (kept to the minute, as the worker does). Returns the deliveries that now wait for attempt 1.
 */
export async function recordFirstAttempts(pool: Pool, outcomes: FirstAttemptOutcome[]): Promise<string[]> {
  const afters = outcomes.map((o) => afterScheduledAttempt(0, isDelivered(o.sent.statusCode), o.at));
  const { rows } = await pool.query<{ delivery_id: string }>(
    `with o as (
       select * from unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::int[], $10::timestamptz[])
         as o(delivery_id, webhook_endpoint_id, attempted_at, status_code, duration_ms, error, response_excerpt, status, next_attempt, next_attempt_at)
     ), attempt as (
       insert into webhook_delivery_attempts (delivery_id, attempt_key, attempted_at, status_code, duration_ms, error, response_excerpt)
       select delivery_id, '${scheduledAttempt(0)}', attempted_at, status_code, duration_ms, error, response_excerpt from o
       on conflict do nothing returning delivery_id
     ), delivery as (
       update webhook_deliveries d set attempts = d.attempts + 1, first_attempt_at = coalesce(d.first_attempt_at, o.attempted_at), last_attempt_at = o.attempted_at,
         last_status_code = o.status_code, status = o.status, next_attempt = o.next_attempt, next_attempt_at = o.next_attempt_at,
         delivered_at = case when o.status = 'delivered' then coalesce(d.delivered_at, o.attempted_at) else d.delivered_at end
       from o join attempt a on a.delivery_id = o.delivery_id
       where d.delivery_id = o.delivery_id and d.status = 'pending' and d.next_attempt = 0
       returning d.delivery_id, d.status
     ), endpoint as (
       update webhook_endpoints e set last_delivered_at = m.at
         from (select o.webhook_endpoint_id, max(o.attempted_at) as at from o join attempt a on a.delivery_id = o.delivery_id where o.status = 'delivered' group by 1) m
        where e.webhook_endpoint_id = m.webhook_endpoint_id and (e.last_delivered_at is null or e.last_delivered_at < m.at - interval '1 minute')
     )
     select delivery_id from delivery where status = 'pending'`,
    [
      outcomes.map((o) => o.deliveryId),
      outcomes.map((o) => o.webhookEndpointId),
      outcomes.map((o) => o.at),
      outcomes.map((o) => o.sent.statusCode ?? null),
      outcomes.map((o) => o.sent.durationMs),
      outcomes.map((o) => o.sent.error ?? null),
      outcomes.map((o) => o.sent.responseExcerpt ?? null),
      afters.map((a) => a.status),
      afters.map((a) => (a.status === 'pending' ? a.nextAttempt : null)),
      afters.map((a) => (a.status === 'pending' ? a.nextAttemptAt : null)),
    ],
  );
  return rows.map((r) => r.delivery_id);
}
