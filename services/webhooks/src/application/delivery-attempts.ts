import { CommandHandlers, derivedId, PgTransactionRunner, type EventingTransaction } from '@ionet/eventing';
import type { Clock } from '@ionet/platform';
import type { Pool } from 'pg';
import { afterScheduledAttempt, DELIVERY_ATTEMPTS_MAX, isDelivered, RETRY_SCHEDULE_MS, shouldDisableEndpoint, type DeliveryStatus } from '../domain/delivery/retry-schedule';
import { webhookIdOf } from '../domain/delivery/webhook-message';
import { signatureHeader } from '../infrastructure/delivery/signature';
import type { SendOutcome, WebhookSender } from '../infrastructure/delivery/webhook-sender';
import { webhookEndpointAggregate } from './webhooks-aggregates';

/** `scheduled.<n>` is the n-th attempt of the retry schedule (0-based); `manual.<id>` a redelivery. */
export type AttemptKey = `scheduled.${number}` | `manual.${string}`;

export function scheduledAttempt(attempt: number): AttemptKey {
  return `scheduled.${attempt}`;
}

export interface AttemptJob {
  deliveryId: string;
  attemptKey: AttemptKey;
}

/** What the queue does after an attempt: nothing, or the next scheduled attempt after a delay. */
export interface AttemptResult {
  outcome: 'delivered' | 'failed' | 'skipped';
  next?: { job: AttemptJob; delayClockMs: number };
}

interface DeliveryRow {
  delivery_id: string;
  webhook_endpoint_id: string;
  organization_id: string;
  body: string;
  status: DeliveryStatus;
  next_attempt: number | null;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  endpoint_status: 'active' | 'disabled' | 'deleted';
}

/** The secrets that sign now: the current one, and the previous one during a rotation's overlap
 *  (on the service's clock). */
export function liveSecrets(secret: string, previousSecret: string | null, previousSecretExpiresAt: Date | null, now: Date): string[] {
  return previousSecret && previousSecretExpiresAt && previousSecretExpiresAt > now ? [secret, previousSecret] : [secret];
}

/** The Standard Webhooks headers of one attempt: the delivery's webhook-id (the same on every
 *  attempt), the wall clock's seconds (receivers compare them with their own clock) and one
 *  signature per live secret. */
export function attemptHeaders(deliveryId: string, secrets: readonly string[], timestampSeconds: number, body: string): Record<string, string> {
  const webhookId = webhookIdOf(deliveryId);
  return { 'webhook-id': webhookId, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signatureHeader(secrets, webhookId, timestampSeconds, body) };
}

/** Unix seconds of the wall clock, for webhook-timestamp. */
export function wallClockSeconds(): number {
  return Math.floor(Date.now() / 1_000);
}

/** Thrown when the job's delivery is not visible yet (its transaction has not committed): the
 *  queue retries the job shortly. */
export class DeliveryNotVisibleError extends Error {
  constructor(deliveryId: string) {
    super(`delivery ${deliveryId} is not visible yet`);
    this.name = 'DeliveryNotVisibleError';
  }
}

/**
 * One attempt of one delivery: send, then record the attempt and the delivery's next state in one
 * transaction. The attempt row's key (delivery, attempt) makes a re-run of the same job (a retry
 * after a crash, a job re-added by the sweeper) record nothing twice; the receiver may see the
 * message again (at-least-once) and deduplicates on webhook-id, the same on every attempt.
 */
export class DeliveryAttempts {
  private readonly transactions: PgTransactionRunner;

  constructor(
    private readonly pool: Pool,
    private readonly handlers: CommandHandlers,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
    /** Unix seconds for webhook-timestamp: receivers check it against their own clock. */
    private readonly wallSeconds: () => number = wallClockSeconds,
  ) {
    this.transactions = new PgTransactionRunner(pool);
  }

  async run(job: AttemptJob): Promise<AttemptResult> {
    const { deliveryId, attemptKey } = job;
    const found = await this.pool.query<DeliveryRow>(
      `select d.delivery_id, d.webhook_endpoint_id, d.organization_id, d.body, d.status, d.next_attempt,
              e.url, e.secret, e.previous_secret, e.previous_secret_expires_at, e.status as endpoint_status
         from webhook_deliveries d join webhook_endpoints e on e.webhook_endpoint_id = d.webhook_endpoint_id
        where d.delivery_id = $1`,
      [deliveryId],
    );
    const row = found.rows[0];
    if (!row) throw new DeliveryNotVisibleError(deliveryId);
    const scheduled = attemptKey.startsWith('scheduled.') ? Number(attemptKey.slice('scheduled.'.length)) : undefined;
    if (scheduled !== undefined && (row.status !== 'pending' || row.next_attempt !== scheduled)) return { outcome: 'skipped' };
    if (scheduled === undefined) {
      const done = await this.pool.query(`select 1 from webhook_delivery_attempts where delivery_id = $1 and attempt_key = $2`, [deliveryId, attemptKey]);
      if (done.rowCount) return { outcome: 'skipped' };
    }
    if (row.endpoint_status !== 'active') {
      // A deleted or disabled endpoint receives nothing more: its open deliveries end as failed.
      if (scheduled !== undefined) {
        await this.pool.query(`update webhook_deliveries set status = 'failed', next_attempt = null, next_attempt_at = null where delivery_id = $1 and status = 'pending' and next_attempt = $2`, [
          deliveryId,
          scheduled,
        ]);
      }
      return { outcome: 'skipped' };
    }

    const secrets = liveSecrets(row.secret, row.previous_secret, row.previous_secret_expires_at, this.clock.now());
    const sent = await this.sender.send(row.url, attemptHeaders(deliveryId, secrets, this.wallSeconds(), row.body), row.body);
    const at = this.clock.now();
    const delivered = isDelivered(sent.statusCode);
    const after = scheduled === undefined ? undefined : afterScheduledAttempt(scheduled, delivered, at);
    // The last failed attempt may disable the endpoint: that one runs in a transaction with the
    // command. Every other outcome is one statement (atomic on its own): the common path stays at
    // two round trips to the database per attempt.
    if (after?.status === 'failed') return this.transactions.transaction((tx) => this.recordLastFailure(tx, row, scheduled!, sent, at));
    const recorded = await this.pool.query<{ updated: boolean }>(
      `with attempt as (
         insert into webhook_delivery_attempts (delivery_id, attempt_key, attempted_at, status_code, duration_ms, error, response_excerpt)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing returning delivery_id
       ), delivery as (
         update webhook_deliveries set attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, $3), last_attempt_at = $3, last_status_code = $4,
           status = case when $8::text is not null then $8::text when $9 then 'delivered' else status end,
           next_attempt = case when $8::text is not null then $10::int when $9 then null else next_attempt end,
           next_attempt_at = case when $8::text is not null then $11::timestamptz when $9 then null else next_attempt_at end,
           delivered_at = case when $9 then coalesce(delivered_at, $3) else delivered_at end
         where delivery_id = $1 and exists (select 1 from attempt)
           and ($12::int is null or (status = 'pending' and next_attempt = $12::int))
         returning delivery_id
       ), endpoint as (
         -- Kept to the minute: an update of every delivery would make the endpoint's row the
         -- lock every attempt to it waits on.
         update webhook_endpoints set last_delivered_at = $3
          where webhook_endpoint_id = $13 and $9 and exists (select 1 from attempt)
            and (last_delivered_at is null or last_delivered_at < $3::timestamptz - interval '1 minute')
       )
       select exists (select 1 from delivery) as updated`,
      [
        row.delivery_id,
        attemptKey,
        at,
        sent.statusCode ?? null,
        sent.durationMs,
        sent.error ?? null,
        sent.responseExcerpt ?? null,
        after ? after.status : null,
        delivered,
        after?.status === 'pending' ? after.nextAttempt : null,
        after?.status === 'pending' ? after.nextAttemptAt : null,
        scheduled ?? null,
        row.webhook_endpoint_id,
      ],
    );
    // Nothing updated: another run recorded this attempt, or a redelivery ended the schedule meanwhile.
    const outcome = delivered ? 'delivered' : 'failed';
    if (!recorded.rows[0]?.updated || after?.status !== 'pending') return { outcome };
    return { outcome, next: { job: { deliveryId: row.delivery_id, attemptKey: scheduledAttempt(after.nextAttempt) }, delayClockMs: RETRY_SCHEDULE_MS[after.nextAttempt]! } };
  }

  private async recordLastFailure(tx: EventingTransaction, row: DeliveryRow, scheduled: number, sent: SendOutcome, at: Date): Promise<AttemptResult> {
    const inserted = await tx.query(
      `insert into webhook_delivery_attempts (delivery_id, attempt_key, attempted_at, status_code, duration_ms, error, response_excerpt)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
      [row.delivery_id, scheduledAttempt(scheduled), at, sent.statusCode ?? null, sent.durationMs, sent.error ?? null, sent.responseExcerpt ?? null],
    );
    if (inserted.rowCount === 0) return { outcome: 'skipped' };
    const updated = await tx.query<{ first_attempt_at: Date }>(
      `update webhook_deliveries set attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, $2), last_attempt_at = $2, last_status_code = $3,
         status = 'failed', next_attempt = null, next_attempt_at = null
       where delivery_id = $1 and status = 'pending' and next_attempt = $4
       returning first_attempt_at`,
      [row.delivery_id, at, sent.statusCode ?? null, scheduled],
    );
    if (updated.rowCount) await this.disableIfFailing(tx, row, updated.rows[0]!.first_attempt_at, at);
    return { outcome: 'failed' };
  }

  private async disableIfFailing(tx: EventingTransaction, row: DeliveryRow, firstAttemptAt: Date, at: Date): Promise<void> {
    const endpoint = await tx.query<{ last_delivered_at: Date | null; status: string }>(`select last_delivered_at, status from webhook_endpoints where webhook_endpoint_id = $1 for update`, [
      row.webhook_endpoint_id,
    ]);
    const current = endpoint.rows[0];
    if (!current || current.status !== 'active') return;
    if (!shouldDisableEndpoint({ deliveryFirstAttemptAt: firstAttemptAt, endpointLastDeliveredAt: current.last_delivered_at ?? undefined })) return;
    const result = await this.handlers.for(webhookEndpointAggregate).handle(
      row.webhook_endpoint_id,
      { type: 'DisableWebhookEndpoint', reason: 'deliveries_failing', lastDeliveryId: row.delivery_id, failedAttempts: DELIVERY_ATTEMPTS_MAX, failingSince: firstAttemptAt, at },
      { correlationId: row.delivery_id, causationId: derivedId('webhook-endpoint-disable', row.delivery_id), deterministic: true },
      { tx },
    );
    if (result.state.status === 'disabled') {
      await tx.query(`update webhook_endpoints set status = 'disabled', disabled_at = $2, version = $3 where webhook_endpoint_id = $1`, [
        row.webhook_endpoint_id,
        result.state.disabledAt ?? at,
        result.version.toString(),
      ]);
    }
  }
}
