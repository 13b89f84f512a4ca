import { CommandHandlers, derivedId, PgTransactionRunner, type CommandCause } from '@ionet/eventing';
import { newEventId } from '@ionet/contracts';
import { canAccessTenant, decodeCursor, toPage, type AuthContext, type Clock, type Page } from '@ionet/platform';
import type { Pool } from 'pg';
import type { WebhookEventType } from '../domain/endpoint/event-types';
import { WEBHOOK_TEST_EVENT_TYPE } from '../domain/endpoint/event-types';
import type { WebhookEndpointStatus } from '../domain/endpoint/webhook-endpoint.decider';
import { webhookIdOf } from '../domain/delivery/webhook-message';
import type { DeliveryStatus } from '../domain/delivery/retry-schedule';
import { WebhooksError } from '../domain/shared/webhooks.errors';
import { newWebhookSecret, secretFingerprint } from '../infrastructure/delivery/signature';
import { ForbiddenTargetError, type WebhookSender } from '../infrastructure/delivery/webhook-sender';
import type { DeliveryQueue } from '../infrastructure/delivery/delivery-queue';
import { deliveryIdOf, fanOutTo } from './fan-out';
import { webhookEndpointAggregate } from './webhooks-aggregates';

export interface WebhookEndpoint {
  webhookEndpointId: string;
  organizationId: string;
  url: string;
  eventTypes: WebhookEventType[];
  description: string;
  status: WebhookEndpointStatus;
  createdAt: Date;
  disabledAt: Date | null;
  /** While the previous secret still signs beside the new one. */
  previousSecretExpiresAt: Date | null;
}

export interface DeliveryAttemptView {
  attempt: string;
  attemptedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface DeliveryView {
  deliveryId: string;
  webhookId: string;
  webhookEndpointId: string;
  eventType: string;
  sourceEventId: string;
  status: DeliveryStatus;
  attempts: DeliveryAttemptView[];
  lastStatusCode: number | null;
  nextAttemptAt: Date | null;
  occurredAt: Date;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface WebhooksServiceOptions {
  pool: Pool;
  handlers: CommandHandlers;
  sender: WebhookSender;
  queue: DeliveryQueue;
  clock: Clock;
  allowPrivateTargets: boolean;
  secretOverlapMs: number;
  endpointsPerOrganizationMax: number;
}

interface EndpointRow {
  webhook_endpoint_id: string;
  organization_id: string;
  url: string;
  event_types: WebhookEventType[];
  description: string;
  status: WebhookEndpointStatus;
  secret: string;
  created_at: Date;
  disabled_at: Date | null;
  previous_secret_expires_at: Date | null;
}

const ENDPOINT_COLUMNS = `webhook_endpoint_id, organization_id, url, event_types, description, status, secret, created_at, disabled_at, previous_secret_expires_at`;

function endpointOf(r: EndpointRow, now: Date): WebhookEndpoint {
  return {
    webhookEndpointId: r.webhook_endpoint_id,
    organizationId: r.organization_id,
    url: r.url,
    eventTypes: r.event_types,
    description: r.description,
    status: r.status,
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
    previousSecretExpiresAt: r.previous_secret_expires_at && r.previous_secret_expires_at > now ? r.previous_secret_expires_at : null,
  };
}

/** Endpoints (commands through the kit, with the row and its secret written in the same
 *  transaction as the events), their deliveries, tests and redeliveries. */
export class WebhooksService {
  private readonly transactions: PgTransactionRunner;

  constructor(private readonly o: WebhooksServiceOptions) {
    this.transactions = new PgTransactionRunner(o.pool);
  }

  async createEndpoint(
    caller: AuthContext,
    webhookEndpointId: string,
    input: { url: string; eventTypes: string[]; description?: string },
    cause: CommandCause,
  ): Promise<WebhookEndpoint & { secret: string }> {
    const organizationId = caller.tenantId;
    await this.assertTargetAllowed(input.url);
    const secret = newWebhookSecret();
    const at = this.o.clock.now();
    const row = await this.transactions.transaction(async (tx) => {
      // One creation at a time per organization, so the limit holds under concurrent requests.
      await tx.query(`select pg_advisory_xact_lock(hashtext('webhook-endpoints:' || $1))`, [organizationId]);
      const live = await tx.query<{ n: string }>(`select count(*) as n from webhook_endpoints where organization_id = $1 and status <> 'deleted'`, [organizationId]);
      const result = await this.o.handlers
        .for(webhookEndpointAggregate)
        .handle(webhookEndpointId, { type: 'CreateWebhookEndpoint', webhookEndpointId, organizationId, ...input, secretFingerprint: secretFingerprint(secret), at }, cause, { tx });
      if (result.duplicate) {
        const existing = await tx.query<EndpointRow>(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where webhook_endpoint_id = $1`, [webhookEndpointId]);
        return existing.rows[0]!;
      }
      if (Number(live.rows[0]!.n) >= this.o.endpointsPerOrganizationMax) {
        throw new WebhooksError('WEBHOOK_ENDPOINT.LIMIT_REACHED', `an organization has at most ${this.o.endpointsPerOrganizationMax} endpoints; delete one first`);
      }
      const created = result.events[0]!;
      if (created.type !== 'WebhookEndpointCreated') throw new Error(`creating an endpoint decided ${created.type}`);
      const inserted = await tx.query<EndpointRow>(
        `insert into webhook_endpoints (webhook_endpoint_id, organization_id, url, event_types, description, status, secret, created_at, version)
         values ($1, $2, $3, $4, $5, 'active', $6, $7, $8) returning ${ENDPOINT_COLUMNS}`,
        [webhookEndpointId, organizationId, created.url, created.eventTypes, created.description, secret, created.at, result.version.toString()],
      );
      return inserted.rows[0]!;
    });
    return { ...endpointOf(row, at), secret: row.secret };
  }

  async rotateSecret(caller: AuthContext, webhookEndpointId: string, cause: CommandCause): Promise<{ webhookEndpointId: string; secret: string; previousSecretExpiresAt: Date }> {
    await this.endpointFor(caller, webhookEndpointId);
    const secret = newWebhookSecret();
    const at = this.o.clock.now();
    return this.transactions.transaction(async (tx) => {
      const result = await this.o.handlers
        .for(webhookEndpointAggregate)
        .handle(webhookEndpointId, { type: 'RotateWebhookEndpointSecret', secretFingerprint: secretFingerprint(secret), overlapMs: this.o.secretOverlapMs, at }, cause, { tx });
      const rotated = result.events[0];
      if (!rotated || rotated.type !== 'WebhookEndpointSecretRotated') throw new Error('rotating a secret decided no rotation');
      if (result.duplicate) {
        const row = (await tx.query<{ secret: string; previous_secret_expires_at: Date }>(`select secret, previous_secret_expires_at from webhook_endpoints where webhook_endpoint_id = $1`, [webhookEndpointId])).rows[0]!;
        return { webhookEndpointId, secret: row.secret, previousSecretExpiresAt: row.previous_secret_expires_at };
      }
      await tx.query(
        `update webhook_endpoints set previous_secret = secret, secret = $2, previous_secret_expires_at = $3, version = $4 where webhook_endpoint_id = $1`,
        [webhookEndpointId, secret, rotated.previousSecretExpiresAt, result.version.toString()],
      );
      return { webhookEndpointId, secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt };
    });
  }

  /** Deleting a deleted endpoint of one's own succeeds and changes nothing (a retried DELETE). */
  async deleteEndpoint(caller: AuthContext, webhookEndpointId: string, cause: CommandCause): Promise<void> {
    const row = await this.endpointFor(caller, webhookEndpointId, { deleted: true });
    if (row.status === 'deleted') return;
    const at = this.o.clock.now();
    await this.transactions.transaction(async (tx) => {
      const result = await this.o.handlers.for(webhookEndpointAggregate).handle(webhookEndpointId, { type: 'DeleteWebhookEndpoint', at }, cause, { tx });
      if (result.state.status === 'deleted') {
        await tx.query(`update webhook_endpoints set status = 'deleted', deleted_at = coalesce(deleted_at, $2), version = $3 where webhook_endpoint_id = $1`, [
          webhookEndpointId,
          result.state.deletedAt ?? at,
          result.version.toString(),
        ]);
      }
    });
  }

  async getEndpoint(caller: AuthContext, webhookEndpointId: string): Promise<WebhookEndpoint> {
    return endpointOf(await this.endpointFor(caller, webhookEndpointId), this.o.clock.now());
  }

  /** The caller's endpoints (ops: every organization's), oldest first; deleted ones are gone. */
  async listEndpoints(caller: AuthContext, limit: number, cursor?: string): Promise<Page<WebhookEndpoint>> {
    const ops = caller.scopes.includes('ops');
    const params: unknown[] = [];
    const where = [`status <> 'deleted'`];
    if (!ops) {
      params.push(caller.tenantId);
      where.push(`organization_id = $${params.length}`);
    }
    if (cursor) {
      const position = decodeCursor(cursor, { createdAt: 'timestamp', id: 'uuid' });
      params.push(position.createdAt, position.id);
      where.push(`(created_at, webhook_endpoint_id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows = await this.o.pool.query<EndpointRow>(
      `select ${ENDPOINT_COLUMNS} from webhook_endpoints where ${where.join(' and ')} order by created_at, webhook_endpoint_id limit $${params.length}`,
      params,
    );
    const now = this.o.clock.now();
    return toPage(
      rows.rows.map((r) => endpointOf(r, now)),
      limit,
      (e) => ({ createdAt: e.createdAt.toISOString(), id: e.webhookEndpointId }),
    );
  }

  /** Newest first, each with its attempts. */
  async listDeliveries(caller: AuthContext, webhookEndpointId: string, limit: number, cursor?: string): Promise<Page<DeliveryView>> {
    await this.endpointFor(caller, webhookEndpointId);
    const params: unknown[] = [webhookEndpointId];
    let after = '';
    if (cursor) {
      const position = decodeCursor(cursor, { createdAt: 'timestamp', id: 'uuid' });
      params.push(position.createdAt, position.id);
      after = `and (created_at, delivery_id) < ($2::timestamptz, $3::uuid)`;
    }
    params.push(limit + 1);
    const rows = await this.o.pool.query<DeliveryRow>(`select ${DELIVERY_COLUMNS} from webhook_deliveries where webhook_endpoint_id = $1 ${after} order by created_at desc, delivery_id desc limit $${params.length}`, params);
    const views = await this.withAttempts(rows.rows);
    return toPage(views, limit, (d) => ({ createdAt: d.createdAt.toISOString(), id: d.deliveryId }));
  }

  async getDelivery(caller: AuthContext, deliveryId: string): Promise<DeliveryView> {
    const row = (await this.o.pool.query<DeliveryRow>(`select ${DELIVERY_COLUMNS} from webhook_deliveries where delivery_id = $1`, [deliveryId])).rows[0];
    if (!row || !canAccessTenant(caller, row.organization_id)) throw new WebhooksError('WEBHOOK_DELIVERY.NOT_FOUND', `No webhook delivery ${deliveryId}.`);
    return (await this.withAttempts([row]))[0]!;
  }

  /** One more attempt now, with the same webhook-id and body; the schedule, if still running, goes on. */
  async redeliver(caller: AuthContext, deliveryId: string, idempotency?: { tenantId: string; key: string }): Promise<{ deliveryId: string; webhookId: string; attempt: string }> {
    const delivery = await this.getDelivery(caller, deliveryId);
    const endpoint = await this.endpointFor(caller, delivery.webhookEndpointId);
    if (endpoint.status !== 'active') throw new WebhooksError('WEBHOOK_ENDPOINT.DISABLED', `Webhook endpoint ${endpoint.webhook_endpoint_id} is ${endpoint.status}: it receives nothing.`);
    const attempt = `manual.${idempotency ? derivedId('webhook-redelivery', idempotency.tenantId, idempotency.key) : newEventId()}` as const;
    await this.o.queue.add({ deliveryId, attemptKey: attempt });
    return { deliveryId, webhookId: webhookIdOf(deliveryId), attempt };
  }

  /** A `webhook.test` delivery to this endpoint, on the same schedule as any other. */
  async sendTest(caller: AuthContext, webhookEndpointId: string, idempotency?: { tenantId: string; key: string }): Promise<{ deliveryId: string; webhookId: string }> {
    const endpoint = await this.endpointFor(caller, webhookEndpointId);
    if (endpoint.status !== 'active') throw new WebhooksError('WEBHOOK_ENDPOINT.DISABLED', `Webhook endpoint ${webhookEndpointId} is ${endpoint.status}: it receives nothing.`);
    const sourceEventId = idempotency ? derivedId('webhook-test', webhookEndpointId, idempotency.tenantId, idempotency.key) : newEventId();
    const now = this.o.clock.now();
    const started = await fanOutTo(
      this.o.pool,
      webhookEndpointId,
      {
        organizationId: endpoint.organization_id,
        type: WEBHOOK_TEST_EVENT_TYPE,
        sourceEventId,
        occurredAt: now,
        data: { webhookEndpointId, message: 'A test event: your endpoint receives and verifies ionet webhooks.' },
      },
      now,
    );
    this.o.queue.start(started);
    const deliveryId = deliveryIdOf(webhookEndpointId, sourceEventId);
    return { deliveryId, webhookId: webhookIdOf(deliveryId) };
  }

  private async withAttempts(rows: DeliveryRow[]): Promise<DeliveryView[]> {
    if (rows.length === 0) return [];
    const attempts = await this.o.pool.query<{ delivery_id: string; attempt_key: string; attempted_at: Date; status_code: number | null; duration_ms: number; error: string | null }>(
      `select delivery_id, attempt_key, attempted_at, status_code, duration_ms, error from webhook_delivery_attempts where delivery_id = any($1::uuid[]) order by attempted_at, attempt_key`,
      [rows.map((r) => r.delivery_id)],
    );
    const byDelivery = new Map<string, DeliveryAttemptView[]>();
    for (const a of attempts.rows) {
      const list = byDelivery.get(a.delivery_id) ?? [];
      list.push({ attempt: a.attempt_key, attemptedAt: a.attempted_at, statusCode: a.status_code, durationMs: a.duration_ms, error: a.error });
      byDelivery.set(a.delivery_id, list);
    }
    return rows.map((r) => ({
      deliveryId: r.delivery_id,
      webhookId: webhookIdOf(r.delivery_id),
      webhookEndpointId: r.webhook_endpoint_id,
      eventType: r.event_type,
      sourceEventId: r.source_event_id,
      status: r.status,
      attempts: byDelivery.get(r.delivery_id) ?? [],
      lastStatusCode: r.last_status_code,
      nextAttemptAt: r.next_attempt_at,
      occurredAt: r.occurred_at,
      createdAt: r.created_at,
      deliveredAt: r.delivered_at,
    }));
  }

  /** Another tenant's endpoint reads as absent, so ids cannot be probed; ops see all. */
  private async endpointFor(caller: AuthContext, webhookEndpointId: string, options: { deleted?: boolean } = {}): Promise<EndpointRow> {
    const row = (await this.o.pool.query<EndpointRow>(`select ${ENDPOINT_COLUMNS} from webhook_endpoints where webhook_endpoint_id = $1`, [webhookEndpointId])).rows[0];
    if (!row || (row.status === 'deleted' && !options.deleted) || !canAccessTenant(caller, row.organization_id)) throw new WebhooksError('WEBHOOK_ENDPOINT.NOT_FOUND', `No webhook endpoint ${webhookEndpointId}.`);
    return row;
  }

  private async assertTargetAllowed(url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_URL', 'url is not an absolute URL');
    }
    if (this.o.allowPrivateTargets || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return;
    try {
      await this.o.sender.assertAllowed(parsed.toString());
    } catch (err) {
      if (err instanceof ForbiddenTargetError) throw new WebhooksError('WEBHOOK_ENDPOINT.PRIVATE_TARGET', err.detail);
      throw new WebhooksError('WEBHOOK_ENDPOINT.INVALID_URL', `${parsed.hostname} does not resolve: ${(err as Error).message}`);
    }
  }
}

interface DeliveryRow {
  delivery_id: string;
  webhook_endpoint_id: string;
  organization_id: string;
  event_type: string;
  source_event_id: string;
  status: DeliveryStatus;
  last_status_code: number | null;
  next_attempt_at: Date | null;
  occurred_at: Date;
  created_at: Date;
  delivered_at: Date | null;
}

const DELIVERY_COLUMNS = `delivery_id, webhook_endpoint_id, organization_id, event_type, source_event_id, status, last_status_code, next_attempt_at, occurred_at, created_at, delivered_at`;
